"""The rig of the reliability suite: a store, fake Telegram and Twilio logging what they
accept to files, patients on both channels, and `carebot tick` as a real subprocess.

Shared by tests/reliability/ (bounded for CI) and benchmarks/reliability.py (the long run).
What counts is measured at both ends: duplicates from the fakes' received logs (same body to
the same recipient twice within one slot's label), and reminders due but without a final
status from the store.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.config import Settings
from bot.patients import enrolment as patients
from bot.runtime import tick
from bot.store import crypto
from bot.store.models import Reminder
from bot.store.statuses import ReminderStatus
from bot.store.store import Store, open_store
from tests.fakes.chaos import ReceivedLog, SimClock, duplicates, read_log
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio

CAREBOT = str(Path(sys.executable).with_name("carebot"))
PREFIXES = ("CAREBOT_", "TWILIO_", "TELEGRAM_", "X_")
BRUSSELS = ZoneInfo("Europe/Brussels")
ENROLLED = datetime(2026, 11, 16, 12, tzinfo=BRUSSELS)  # a Monday: week 1 starts the next day
FIRST_SLOT = datetime(2026, 11, 23, 10, tzinfo=BRUSSELS)  # the first Monday 10:00 reminder
UNFINISHED = (ReminderStatus.PLANNED, ReminderStatus.SENDING)
LEASE = timedelta(seconds=300)  # carebot's default send lease


def slot(week: int) -> datetime:
    """Monday 10:00 in Brussels, `week` weeks after the first reminder (wall time kept)."""
    return FIRST_SLOT + timedelta(weeks=week)


@dataclass
class Rig:
    """One store with `n` patients (every other one on Telegram, the rest on SMS)."""

    folder: Path
    n: int
    channels: tuple[str, ...] = ("telegram", "sms")
    telegram: FakeTelegram = field(default_factory=FakeTelegram, repr=False)
    twilio: FakeTwilio = field(default_factory=FakeTwilio, repr=False)
    clock: SimClock = field(default_factory=lambda: SimClock(ENROLLED), repr=False)
    program: str = "post-stroke-weekly"
    enrolled: datetime = ENROLLED
    latency: float = 0.05
    env: dict[str, str] = field(default_factory=dict, repr=False)  # holds the keys
    store: Store | None = field(default=None, repr=False)

    def __enter__(self) -> Self:
        for fake, name in ((self.telegram, "telegram"), (self.twilio, "twilio")):
            fake.received = ReceivedLog(self.folder / f"{name}.received.jsonl")
            fake.clock = self.clock
            fake.latency = self.latency
            fake.start()
        self.env = self._env()
        if (self.folder / "schedules").is_dir():  # a program of the test's own
            self.env["CAREBOT_SCHEDULES_DIR"] = str(self.folder / "schedules")
            self.env["CAREBOT_TEMPLATES_DIR"] = str(self.folder / "templates")
        self.store = open_store(self.settings())
        self._enrol()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.telegram.stop()
        self.twilio.stop()
        if self.store is not None:
            self.store.engine.dispose()

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(PREFIXES)}
        env.update(
            {
                "CAREBOT_DATABASE_URL": f"sqlite:///{self.folder / 'carebot.db'}",
                "CAREBOT_MASTER_KEY": crypto.encode_key(crypto.new_key()),
                "CAREBOT_PSEUDONYM_SECRET": crypto.encode_key(crypto.new_key()),
                "TELEGRAM_BOT_TOKEN": self.telegram.token,
                "TELEGRAM_BOT_USERNAME": "carebot_test_bot",
                "CAREBOT_TELEGRAM_API_URL": f"{self.telegram.url}/bot",
                "TWILIO_ACCOUNT_SID": self.twilio.account_sid,
                "TWILIO_AUTH_TOKEN": self.twilio.auth_token,
                "TWILIO_FROM": "+3278000000",
                "CAREBOT_TWILIO_API_URL": self.twilio.url,
                "CAREBOT_TWILIO_RATE": "100",
            }
        )
        return env

    def settings(self) -> Settings:
        """The settings `carebot tick` reads from `self.env`, for work in this process."""
        values: dict[str, Any] = {
            k.lower(): v for k, v in self.env.items() if k.startswith(PREFIXES)
        }
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    def _enrol(self) -> None:
        assert self.store is not None
        for i in range(self.n):
            channel = self.channels[i % len(self.channels)]
            address = str(700_000 + i) if channel == "telegram" else f"+32470{100_000 + i}"
            patients.enrol(
                self.store,
                reference=f"REL-{i}",
                program=self.program,
                language="nl",
                timezone="Europe/Brussels",
                name="Jan",
                contacts={channel: address},
                consent=[channel],
                actor="reliability",
                now=self.enrolled,
            )
        if self.enrolled == ENROLLED:
            self.tick(ENROLLED + timedelta(days=1))  # plan only: nothing is due yet

    def label(self, text: str) -> None:
        """Tag what the fakes receive from now on (one slot, one label)."""
        assert self.telegram.received and self.twilio.received
        self.telegram.received.label = self.twilio.received.label = text

    def accepted(self) -> int:
        """How many messages both fakes accepted so far (in memory: cheap to poll)."""
        return len(self.telegram.sent) + len(self.twilio.messages)

    def tick(self, at: datetime) -> Counter[str]:
        """One cycle in this process, as if the clock read `at`; its outcomes."""
        assert self.store is not None
        self.clock.set(at)
        return tick(self.store, now=at).outcomes

    def spawn(self, at: datetime, *, extra: tuple[str, ...] = ()) -> subprocess.Popen[bytes]:
        """`carebot tick --at` as a real subprocess (or another command: `extra`)."""
        self.clock.set(at)
        args = [CAREBOT, *(extra or ("tick", "--at", at.isoformat()))]
        with (self.folder / "carebot.stderr").open("ab") as err:
            return subprocess.Popen(
                args, cwd=self.folder, env=self.env, stdout=subprocess.DEVNULL, stderr=err
            )

    def received(self) -> list[dict[str, Any]]:
        """Everything both fakes accepted, from their logs on disk."""
        entries = []
        for fake in (self.telegram, self.twilio):
            assert fake.received is not None
            entries += read_log(fake.received.path)
        return entries

    def received_with(self, label: str) -> int:
        return sum(1 for e in self.received() if e["label"] == label)

    def duplicates(self) -> int:
        return duplicates(self.received())

    def statuses(self, *, due_by: datetime) -> Counter[str]:
        """How many reminders due by `due_by` are in each status."""
        assert self.store is not None
        with self.store.session() as session:
            rows = session.exec(select(Reminder.status).where(col(Reminder.due_at) <= due_by))
            return Counter(str(s) for s in rows)

    def unfinished(self, *, due_by: datetime) -> int:
        """Reminders due by `due_by` still `planned` or `sending`: no final status."""
        counts = self.statuses(due_by=due_by)
        return sum(counts[s] for s in UNFINISHED)


def kill_during_sends(
    rig: Rig, proc: subprocess.Popen[bytes], *, rng: random.Random, n: int
) -> bool:
    """SIGKILL `proc` once the fakes have accepted a random number (below `n`) of messages
    from it, and a few milliseconds more; False if it finished first."""
    start, target = rig.accepted(), rng.randrange(0, max(n - 1, 1))
    deadline = time.monotonic() + 60
    while proc.poll() is None and rig.accepted() - start < target:
        if time.monotonic() > deadline:
            break
        time.sleep(0.005)
    time.sleep(rng.uniform(0, 0.08))
    if proc.poll() is not None:
        return False
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    return True


def recover(
    rig: Rig,
    at: datetime,
    *,
    due_by: datetime,
    ticks: int = 10,
    step: timedelta = timedelta(minutes=2),
) -> datetime:
    """Tick from `at` every `step`, as cron would, until nothing due by `due_by` is left
    `planned` or `sending` (a send not found at its provider is looked up again before its
    retry, a cycle later); returns the instant of the last tick."""
    rig.tick(at)
    for _ in range(ticks):
        if not rig.unfinished(due_by=due_by):
            break
        at += step
        rig.tick(at)
    return at


@dataclass
class KillRun:
    """What one kill run left: messages received, duplicates, reminders unfinished."""

    killed: int = 0
    recovery_killed: int = 0
    received: int = 0
    duplicates: int = 0
    statuses: Counter[str] = field(default_factory=Counter)


def kill_loop(
    rig: Rig,
    *,
    runs: int,
    seed: int,
    kill_recovery_every: int = 4,
    progress: Callable[[int, KillRun], None] | None = None,
) -> KillRun:
    """`runs` slots in a row: each tick killed during its sends, then a recovery tick past the
    lease (itself killed every `kill_recovery_every` runs, then recovered again)."""
    rng = random.Random(seed)
    result = KillRun()
    for week in range(runs):
        due = slot(week)
        label = f"week-{week}"
        rig.label(label)
        proc = rig.spawn(due + timedelta(minutes=1))
        result.killed += kill_during_sends(rig, proc, rng=rng, n=rig.n)
        recovery = due + timedelta(minutes=1) + LEASE + timedelta(minutes=1)
        if kill_recovery_every and week % kill_recovery_every == kill_recovery_every - 1:
            proc = rig.spawn(recovery)
            left = rig.n - rig.received_with(label)
            result.recovery_killed += kill_during_sends(rig, proc, rng=rng, n=left)
            recovery += LEASE + timedelta(minutes=1)
        recover(rig, recovery, due_by=due)
        result.received += rig.received_with(label)
        if progress is not None:
            progress(week, result)
    last = slot(runs - 1) + timedelta(hours=1)
    result.statuses = rig.statuses(due_by=last)
    result.duplicates = rig.duplicates()
    return result
