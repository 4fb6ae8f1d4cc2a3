"""What benchmarks/scaleout.py measures, and how: the fake Twilio in a process of its own,
CPU time from /proc and wait4, lock waits sampled from pg_stat_activity, and the counts that
say whether a run was correct (duplicates and lost reminders, judged at the provider).
"""

from __future__ import annotations

import os
import resource
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from sqlalchemy import create_engine, text

from bot.store.statuses import ReminderStatus
from tests.fakes.twilio import FakeTwilio

TICKS = os.sysconf("SC_CLK_TCK")
# A reminder the provider accepted: `sent`, or a status callback's later word on it.
SENT = frozenset({ReminderStatus.SENT, ReminderStatus.DELIVERED, ReminderStatus.READ})


# --- correctness, judged at the provider --------------------------------------------------


def duplicates(accepted: Mapping[str, int]) -> int:
    """Messages the provider accepted beyond the first for a recipient (each patient has one
    number and one reminder due in the slot)."""
    return sum(count - 1 for count in accepted.values() if count > 1)


def lost(due: Mapping[str, str], numbers: Mapping[str, str], accepted: Mapping[str, int]) -> int:
    """Reminders due (pseudonym -> status) that are not accounted for: neither sent and
    received by the provider, nor `unconfirmed` (an outcome left for an admin). A reminder
    still `planned` or `sending`, `failed` or `missed`, or `sent` in the store but never
    received, is lost."""
    return sum(
        1
        for pseudonym, status in due.items()
        if status != ReminderStatus.UNCONFIRMED
        and not (status in SENT and accepted.get(numbers[pseudonym], 0) > 0)
    )


def strays(numbers: Iterable[str], accepted: Mapping[str, int]) -> int:
    """Messages accepted for a number that no due reminder goes to (something sent early)."""
    known = set(numbers)
    return sum(count for number, count in accepted.items() if number not in known)


# --- the fake provider, in its own process ------------------------------------------------


@dataclass
class FakeReport:
    """What the fake accepted during one run: per recipient, and when (wall clock)."""

    accepted: Counter[str] = field(default_factory=Counter)
    first: float | None = None  # first and last accepted message (within 5 ms)
    last: float | None = None
    max_in_flight: int = 0  # most requests it was answering at once
    cpu: float = 0.0  # its own CPU seconds
    violations: list[str] = field(default_factory=list)

    @property
    def window(self) -> float:
        """Seconds from the first accepted message to the last."""
        return (self.last - self.first) if self.first and self.last else 0.0


class _Watch(threading.Thread):
    """Notes, every 5 ms, when the fake's count of accepted messages first and last moved."""

    def __init__(self, fake: FakeTwilio) -> None:
        super().__init__(daemon=True)
        self.fake, self.seen = fake, 0
        self.first: float | None = None
        self.last: float | None = None
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.005):
            count = len(self.fake.messages)
            if count != self.seen:
                now = time.time()
                self.first = self.first or now
                self.last, self.seen = now, count


def serve_twilio(latency: float, spec_every: int, conn: Connection) -> None:
    """The fake Twilio, answering the harness by `conn`: "count" (accepted so far), "reset"
    (a new run), "report" (the run's FakeReport), "stop"."""
    with FakeTwilio() as fake:
        fake.latency, fake.spec_every = latency, spec_every
        conn.send((fake.url, fake.account_sid, fake.auth_token))
        watch, cpu = _Watch(fake), _own_cpu()
        watch.start()
        while (command := conn.recv()) != "stop":
            if command == "count":
                conn.send(len(fake.messages))
            elif command == "reset":
                watch.stopping.set()
                watch.join()
                fake.messages.clear()  # between runs: no request is being answered
                fake.max_in_flight = 0
                watch, cpu = _Watch(fake), _own_cpu()
                watch.start()
                conn.send("ok")
            elif command == "report":
                accepted = Counter(m.to for m in list(fake.messages))
                conn.send(
                    FakeReport(
                        accepted, watch.first, watch.last, fake.max_in_flight,
                        _own_cpu() - cpu, fake.take_violations(),
                    )
                )  # fmt: skip


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- CPU of the PostgreSQL server ---------------------------------------------------------


def _stat(pid: int) -> list[str]:
    """/proc/PID/stat's fields after the command name (which may hold spaces)."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    return raw[raw.rindex(")") + 2 :].split()


def server_cpu(postmaster: int) -> float:
    """CPU seconds used so far by a PostgreSQL server: the postmaster, its live processes,
    and (cutime, cstime) the backends that have exited. Differences between two readings
    count a backend that lived across either reading exactly once."""
    own = _stat(postmaster)
    total = sum(int(v) for v in own[11:15])  # utime stime cutime cstime
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == postmaster:
            continue
        try:
            fields = _stat(int(entry.name))
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue  # exited meanwhile: now in the postmaster's cutime
        if int(fields[1]) == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / TICKS


def postmaster_of(url: str) -> int | None:
    """The server's main process, when it runs on this machine and /proc shows it."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            backend = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
        return int(_stat(backend)[1])
    except (OSError, ValueError, IndexError):
        return None
    finally:
        engine.dispose()


# --- lock waits ---------------------------------------------------------------------------

SAMPLE = text(
    "SELECT wait_event_type, wait_event FROM pg_stat_activity "
    "WHERE datname = :db AND state = 'active' AND pid <> pg_backend_pid()"
)


class LockSampler(threading.Thread):
    """Samples the run's active backends every `every` seconds: how many were running a
    statement, and how many of those were waiting for a lock (`Lock`: a row, a transaction
    or an advisory lock; `LWLock`: a server-internal one), by wait event."""

    def __init__(self, url: str, database: str, every: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.engine = create_engine(url, isolation_level="AUTOCOMMIT")
        self.database, self.every = database, every
        self.active = 0
        self.waits: Counter[str] = Counter()  # "Lock:advisory" -> samples
        self.stopping = threading.Event()

    def run(self) -> None:
        with self.engine.connect() as conn:
            while not self.stopping.wait(self.every):
                for kind, event in conn.execute(SAMPLE, {"db": self.database}):
                    self.active += 1
                    if kind in ("Lock", "LWLock"):
                        self.waits[f"{kind}:{event}"] += 1

    def stop(self) -> None:
        self.stopping.set()
        self.join()
        self.engine.dispose()

    def share(self, kind: str | None = None) -> float | None:
        """The share of active samples waiting on `kind` ("Lock", "LWLock"; None: both)."""
        if not self.active:
            return None
        waiting = sum(n for key, n in self.waits.items() if kind in (None, key.split(":")[0]))
        return waiting / self.active
