"""The rig of benchmarks/scaleout.py: a PostgreSQL server, the fake Twilio's process, a
template database of enrolled patients with their reminders planned, and `carebot tick`
processes on copies of it.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from multiprocessing import Pipe
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, func, make_url, text
from sqlmodel import Session, col, select

from benchmarks import scaleout_probe as probe
from bot.config import Settings
from bot.outbound.planning import plan
from bot.patients import enrolment as patients
from bot.store import crypto
from bot.store.models import DeliveryAttempt, Reminder
from bot.store.statuses import AttemptOutcome, ReminderStatus
from bot.store.store import open_store

ROOT = Path(__file__).resolve().parent.parent
CAREBOT = str(Path(sys.executable).with_name("carebot"))
PREFIXES = ("CAREBOT_", "TWILIO_", "TELEGRAM_", "X_")
BRUSSELS = ZoneInfo("Europe/Brussels")
ENROLLED = datetime(2026, 11, 16, 12, tzinfo=BRUSSELS)  # a Monday: week 1 starts the next day
SLOT = datetime(2026, 11, 23, 10, tzinfo=BRUSSELS)  # every patient's first reminder
UNFINISHED = (ReminderStatus.PLANNED, ReminderStatus.SENDING)


@dataclass(frozen=True)
class Share:
    """What one tick sent: how many, and when its first and last requests left."""

    sent: int
    first: datetime
    last: datetime


def shares(split: Sequence[Share]) -> str:
    """Each tick's count, window (seconds from the first request of all) and pace."""
    if not split:
        return "[]"
    start = min(s.first for s in split)
    parts = []
    for s in split:
        begin, end = ((t - start).total_seconds() for t in (s.first, s.last))
        pace = s.sent / (end - begin) if end > begin else 0.0
        parts.append(f"{s.sent} in {begin:.1f}-{end:.1f} s ({pace:.1f}/s)")
    return "[" + ", ".join(parts) + "]"


@dataclass(frozen=True)
class Config:
    """The benchmark's knobs."""

    patients: int = 2000
    latency: float = 0.1  # the fake's, seconds a request
    in_flight: int = 4  # CAREBOT_MAX_IN_FLIGHT: sends one dispatcher keeps in flight
    rate: int = 5000  # CAREBOT_TWILIO_RATE: far above what the dispatchers reach
    lease: int = 20  # CAREBOT_SEND_LEASE_SECONDS in the kill run
    spec_every: int = 20  # the fake checks one create in 20 against the OpenAPI spec
    timeout: float = 600  # seconds a run's ticks may take before they count as hung


def exited(proc: subprocess.Popen[bytes]) -> bool:
    """Whether `proc` has ended, without reaping it (its CPU time is read when it is)."""
    return os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


@contextmanager
def postgres(url: str | None) -> Iterator[str]:
    """An admin URL: `url`, or that of a throwaway server (.ci/postgres) on a free port,
    stopped and removed afterwards."""
    if url:
        yield url
        return
    folder = Path(tempfile.mkdtemp(prefix="carebot-scaleout-pg-"))
    folder.chmod(0o755)  # the server runs as `postgres` when we are root
    env = {**os.environ, "CAREBOT_TEST_PG_PORT": str(_free_port())}
    script = str(ROOT / ".ci" / "postgres")
    try:
        out = subprocess.run(
            [script, "start", str(folder)], env=env, check=True, capture_output=True, text=True
        )
        yield out.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([script, "stop", str(folder)], env=env, check=False)
        shutil.rmtree(folder, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Bench:
    """The fake's process and the template database, for as many runs as wanted."""

    folder: Path
    admin: str
    config: Config
    at: datetime = SLOT + timedelta(minutes=1)
    numbers: dict[str, str] = field(default_factory=dict)  # pseudonym -> its SMS number
    setup_seconds: float = 0.0
    idle_cpu: float | None = None  # CPU seconds of a tick with nothing to send
    keys: dict[str, str] = field(default_factory=dict)
    _fake: Connection | None = None
    _process: SpawnProcess | None = None
    _template: str = ""
    _postmaster: int | None = None

    def __enter__(self) -> Self:
        ours, theirs = Pipe()
        args = (self.config.latency, self.config.spec_every, theirs)
        # spawned, not forked: the process that runs the benchmark (pytest) may have threads
        spawn = multiprocessing.get_context("spawn")
        self._process = spawn.Process(target=probe.serve_twilio, args=args, daemon=True)
        self._process.start()
        self._fake = ours
        self._twilio = ours.recv()
        self.keys = {
            "CAREBOT_MASTER_KEY": crypto.encode_key(crypto.new_key()),
            "CAREBOT_PSEUDONYM_SECRET": crypto.encode_key(crypto.new_key()),
        }
        started = time.monotonic()
        self._template = f"scaleout_{uuid.uuid4().hex[:10]}"
        self._create(self._template)
        self._enrol(self._url(self._template))
        self.setup_seconds = time.monotonic() - started
        self._postmaster = probe.postmaster_of(self.admin)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._template:
            self._drop(self._template)
        if self._fake is not None and self._process is not None:
            self._fake.send("stop")
            self._process.join(timeout=10)

    # --- databases ---

    def _url(self, database: str) -> str:
        return make_url(self.admin).set(database=database).render_as_string(hide_password=False)

    def _admin_sql(self, statement: str) -> None:
        engine = create_engine(self.admin, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(statement))
        finally:
            engine.dispose()

    def _create(self, name: str, template: str | None = None) -> None:
        copy = f' TEMPLATE "{template}"' if template else ""
        self._admin_sql(f'CREATE DATABASE "{name}"{copy}')

    def _drop(self, name: str) -> None:
        self._admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    @contextmanager
    def database(self) -> Iterator[str]:
        """A fresh copy of the template, dropped afterwards."""
        name = f"{self._template}_{uuid.uuid4().hex[:6]}"
        self._create(name, self._template)
        try:
            yield name
        finally:
            self._drop(name)

    def _enrol(self, url: str) -> None:
        """Every patient on SMS in one transaction, then their reminders planned as the
        ticks will see them (so that the ticks' own planning finds nothing to add)."""
        settings = self._settings(url)
        store = open_store(settings)
        try:
            with store.session() as session:
                for i in range(self.config.patients):
                    number = f"+32470{100_000 + i}"
                    enrolled = patients.enrol(
                        store, reference=f"SCALE-{i}", program="post-stroke-weekly",
                        language="nl", timezone="Europe/Brussels", name="Jan",
                        contacts={"sms": number}, consent=["sms"], actor="bench",
                        now=ENROLLED, session=session,
                    )  # fmt: skip
                    self.numbers[enrolled.pseudonym] = number
            with store.session() as session:
                plan(
                    store.engine,
                    session,
                    now=self.at,
                    horizon_days=settings.carebot_plan_horizon_days,
                )
        finally:
            store.engine.dispose()

    def _settings(self, url: str) -> Settings:
        values: dict[str, Any] = {
            k.lower(): v for k, v in self.env(url).items() if k.startswith(PREFIXES)
        }
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    # --- dispatchers ---

    def env(self, database: str, *, lease: int | None = None) -> dict[str, str]:
        """The environment of `carebot tick` on `database` (a name or a URL)."""
        url, sid, token = self._twilio
        env = {k: v for k, v in os.environ.items() if not k.startswith(PREFIXES)}
        env.update(self.keys)
        env.update({
            "CAREBOT_DATABASE_URL": database if "://" in database else self._url(database),
            "TWILIO_ACCOUNT_SID": sid, "TWILIO_AUTH_TOKEN": token, "TWILIO_FROM": "+3278000000",
            "CAREBOT_TWILIO_API_URL": url, "CAREBOT_TWILIO_RATE": str(self.config.rate),
            "CAREBOT_MAX_IN_FLIGHT": str(self.config.in_flight),
        })  # fmt: skip
        if lease is not None:
            env["CAREBOT_SEND_LEASE_SECONDS"] = str(lease)
        return env

    def spawn(self, env: dict[str, str], at: datetime) -> subprocess.Popen[bytes]:
        """`carebot tick --at` as a real process, its output kept in the folder."""
        with (self.folder / "carebot.log").open("ab") as log:
            return subprocess.Popen(
                [CAREBOT, "tick", "--at", at.isoformat()],
                cwd=self.folder, env=env, stdout=log, stderr=log,
            )  # fmt: skip

    def reap(
        self,
        procs: list[subprocess.Popen[bytes]],
        allow: Sequence[subprocess.Popen[bytes]] = (),
    ) -> tuple[float, list[int]]:
        """Wait for each; their CPU seconds (wait4), and the exit codes that were not 0
        (apart from those in `allow`: the killed one)."""
        cpu, failed = 0.0, []
        deadline = time.monotonic() + self.config.timeout
        for proc in procs:
            while not exited(proc) and time.monotonic() < deadline:
                time.sleep(0.05)
            if not exited(proc):  # hung: killed, and counted as failed below
                os.kill(proc.pid, signal.SIGKILL)
                allow = [p for p in allow if p is not proc]
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            cpu += usage.ru_utime + usage.ru_stime
            if proc.returncode != 0 and proc not in allow:
                failed.append(proc.returncode)
        return cpu, failed

    def server_cpu(self) -> float | None:
        return probe.server_cpu(self._postmaster) if self._postmaster else None

    # --- the fake ---

    def _ask(self, command: str) -> Any:
        assert self._fake is not None
        self._fake.send(command)
        return self._fake.recv()

    def fake_count(self) -> int:
        return int(self._ask("count"))

    def reset_fake(self) -> None:
        self._ask("reset")

    def fake_report(self) -> probe.FakeReport:
        report = self._ask("report")
        assert isinstance(report, probe.FakeReport)
        return report

    # --- the store's side ---

    def reminders(self, database: str) -> tuple[dict[str, str], list[Share]]:
        """The slot's reminders (pseudonym -> status), and what each tick sent: how many,
        and when its first and last requests left (the attempts' real times)."""
        engine = create_engine(self._url(database))
        try:
            with Session(engine) as session:
                due = dict(
                    session.exec(
                        select(Reminder.pseudonym, Reminder.status).where(
                            col(Reminder.due_at) <= self.at
                        )
                    ).all()
                )
                rows = session.exec(
                    select(
                        func.count(),
                        func.min(DeliveryAttempt.sent_wall_at),
                        func.max(DeliveryAttempt.sent_wall_at),
                    )
                    .select_from(Reminder)
                    .join(DeliveryAttempt, col(DeliveryAttempt.reminder_id) == Reminder.id)
                    .where(
                        col(Reminder.status) == ReminderStatus.SENT,
                        col(Reminder.due_at) <= self.at,
                        col(DeliveryAttempt.outcome) == AttemptOutcome.SENT,
                    )
                    .group_by(col(Reminder.claim_token))
                ).all()
        finally:
            engine.dispose()
        shares = [Share(int(n), first, last) for n, first, last in rows if first and last]
        return {p: str(s) for p, s in due.items()}, sorted(shares, key=lambda s: -s.sent)

    def unfinished(self, database: str) -> Counter[str]:
        """Reminders due with no final status, those claimed, and attempts still in flight."""
        engine = create_engine(self._url(database))
        try:
            with Session(engine) as session:
                statuses = Counter(
                    str(s)
                    for s in session.exec(
                        select(Reminder.status).where(col(Reminder.due_at) <= self.at)
                    )
                )
                pending = session.exec(
                    select(func.count())
                    .select_from(DeliveryAttempt)
                    .where(col(DeliveryAttempt.outcome) == AttemptOutcome.PENDING)
                ).one()
        finally:
            engine.dispose()
        return Counter({
            "unfinished": sum(statuses[s] for s in UNFINISHED),
            "sending": statuses[ReminderStatus.SENDING], "in flight": int(pending),
        })  # fmt: skip
