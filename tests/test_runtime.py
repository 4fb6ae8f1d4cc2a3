"""Planning and dispatch: local hours across clock changes, grace, quiet hours, no duplicates."""

from __future__ import annotations

import asyncio
import gc
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.channels.base import ChannelError, ErrorKind, OutboundMessage
from bot.channels.console import ConsoleChannel
from bot.config import Settings
from bot.outbound.dispatch import Dispatcher
from bot.outbound.planning import local_slots
from bot.patients import enrolment as patients
from bot.programs import catalog
from bot.runtime import tick
from bot.store.store import Store, open_store
from tests.conftest import CAREBOT, Cli
from tests.helpers import (
    FakeChannel,
    enrol_console,
    sent_count,
    settings_for,
    statuses,
    store_for,
    write_program,
)

BRUSSELS = ZoneInfo("Europe/Brussels")


def _store(tmp_path: Path, settings: Settings, **program: object) -> Iterator[Store]:
    write_program(tmp_path, **program)  # type: ignore[arg-type]
    store = open_store(settings_for(tmp_path, settings))
    yield store
    store.engine.dispose()


@pytest.fixture
def weekly(tmp_path: Path, settings: Settings) -> Iterator[Store]:
    yield from _store(tmp_path, settings)


def _program(store: Store, name: str = "test-weekly"):  # type: ignore[no-untyped-def]
    with store.session() as session:
        return catalog.ensure(store, session, name, actor="test")


@pytest.mark.parametrize(
    "start,end",
    [
        (datetime(2027, 3, 15, tzinfo=UTC), datetime(2027, 4, 6, tzinfo=UTC)),  # spring forward
        (datetime(2026, 10, 12, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC)),  # autumn back
    ],
)
def test_the_weekly_reminder_stays_at_ten_local_across_clock_changes(
    weekly: Store, start: datetime, end: datetime
) -> None:
    slots = local_slots(_program(weekly), "Europe/Brussels", start, end)
    assert len(slots) == 4  # four Mondays, two on each side of the change
    assert {s.astimezone(BRUSSELS).hour for s in slots} == {10}
    assert len({s.utcoffset() for s in slots}) == 2  # the UTC hour did change


def test_the_repeated_hour_in_autumn_sends_once(tmp_path: Path, settings: Settings) -> None:
    for store in _store(tmp_path, settings, cadence='cron = "30 2 * * *"', grace=3):
        enrol_console(store, now=datetime(2026, 10, 23, tzinfo=UTC))
        now = datetime(2026, 10, 24, 22, tzinfo=UTC)  # 00:00 local on the day clocks go back
        for _ in range(8):  # every 30 minutes through both 02:30s
            now += timedelta(minutes=30)
            tick(store, now=now)
        slots = [slot for slot, _ in statuses(store) if slot.startswith("2026-10-25")]
        assert slots == ["2026-10-25T02:30"]
        assert sent_count(store) == 1


def test_two_ticks_at_the_same_instant_send_once(weekly: Store) -> None:
    enrol_console(weekly, now=datetime(2026, 11, 20, tzinfo=UTC))
    due = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 10:00 in Brussels
    tick(weekly, now=due)
    tick(weekly, now=due)
    assert sent_count(weekly) == 1
    assert ("2026-11-23T10:00", "sent") in statuses(weekly)


def test_a_late_reminder_within_grace_is_sent_and_beyond_grace_is_missed(weekly: Store) -> None:
    enrol_console(weekly, now=datetime(2026, 11, 20, tzinfo=UTC))
    tick(weekly, now=datetime(2026, 11, 20, 12, tzinfo=UTC))  # planned ahead, then downtime
    tick(weekly, now=datetime(2026, 11, 23, 14, 30, tzinfo=UTC))  # 5.5 h late: within 6 h
    assert ("2026-11-23T10:00", "sent") in statuses(weekly)
    tick(weekly, now=datetime(2026, 11, 30, 16, tzinfo=UTC))  # 7 h late
    assert ("2026-11-30T10:00", "missed") in statuses(weekly)
    assert sent_count(weekly) == 1


def test_the_grace_is_judged_when_the_reminder_is_sent_not_when_the_cycle_began(
    weekly: Store,
) -> None:
    enrol_console(weekly, now=datetime(2026, 11, 20, tzinfo=UTC))
    due = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    tick(weekly, now=due - timedelta(days=1))
    grace = timedelta(hours=_program(weekly).catch_up_grace_hours)
    late = Dispatcher(
        store=weekly,
        channels={"console": ConsoleChannel(weekly)},
        now=due + grace - timedelta(seconds=1),
    )
    late.lease.started -= 5  # the cycle began 5 s ago: its reminder waited in a lane meanwhile
    assert late.run() == {"missed": 1}
    assert sent_count(weekly) == 0


def test_a_reminder_due_in_quiet_hours_waits_for_the_morning(
    tmp_path: Path, settings: Settings
) -> None:
    quiet = 'quiet_hours = { start = "21:00", end = "08:00" }'
    for store in _store(
        tmp_path, settings, cadence='days = ["mon"]\ntime = "20:00"', grace=14, quiet=quiet
    ):
        enrol_console(store, now=datetime(2026, 11, 20, tzinfo=UTC))
        tick(store, now=datetime(2026, 11, 20, 12, tzinfo=UTC))
        tick(store, now=datetime(2026, 11, 23, 21, 30, tzinfo=UTC))  # 22:30 local: quiet
        assert sent_count(store) == 0
        tick(store, now=datetime(2026, 11, 24, 6, 0, tzinfo=UTC))  # 07:00 local: still quiet
        assert sent_count(store) == 0
        tick(store, now=datetime(2026, 11, 24, 7, 5, tzinfo=UTC))  # 08:05 local
        assert sent_count(store) == 1


def test_sends_go_with_what_the_process_held_set_aside_from_garbage_collection(
    weekly: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A full collection of everything the process holds took 50-80 ms and made two paced
    # sends leave together (a 429 in test_ratelimit on PostgreSQL); see scheduling.tick.
    frozen_during_sends: list[int] = []
    send = ConsoleChannel.send

    async def watched(channel: ConsoleChannel, message: OutboundMessage) -> str:
        frozen_during_sends.append(gc.get_freeze_count())
        return await send(channel, message)

    monkeypatch.setattr(ConsoleChannel, "send", watched)
    enrol_console(weekly, now=datetime(2026, 11, 20, tzinfo=UTC))
    due = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    tick(weekly, now=due - timedelta(days=1))
    tick(weekly, now=due + timedelta(minutes=1))
    assert len(frozen_during_sends) == 1
    assert frozen_during_sends[0] > 10_000  # the SDKs, SQLAlchemy, the settings...
    assert gc.get_freeze_count() == 0  # and given back to the collector after the cycle


class SimulatedCrash(BaseException):
    """The process dies between the provider's answer and carebot's commit."""


class CrashingConsole(ConsoleChannel):
    async def send(self, message: OutboundMessage) -> str:
        await super().send(message)
        raise SimulatedCrash()


def test_a_crash_between_the_send_and_the_commit_does_not_send_twice(weekly: Store) -> None:
    enrol_console(weekly, now=datetime(2026, 11, 20, tzinfo=UTC))
    due = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    tick(weekly, now=due - timedelta(days=1))
    with pytest.raises(SimulatedCrash):
        Dispatcher(store=weekly, channels={"console": CrashingConsole(weekly)}, now=due).run()
    assert sent_count(weekly) == 1
    assert ("2026-11-23T10:00", "sending") in statuses(weekly)
    tick(weekly, now=due + timedelta(minutes=1))  # within the lease: left alone
    tick(weekly, now=due + timedelta(minutes=10))  # past it: looked up, found, not resent
    assert sent_count(weekly) == 1
    assert ("2026-11-23T10:00", "sent") in statuses(weekly)


def test_a_claim_taken_over_as_stale_is_never_sent_by_the_cycle_that_lost_it(weekly: Store) -> None:
    """Cycle A claims a reminder and stalls past the lease; cycle B takes it over. When A
    comes back to it, it finds the claim is no longer its own and sends nothing."""
    enrol_console(weekly, now=datetime(2026, 11, 20, tzinfo=UTC))
    due = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    tick(weekly, now=due - timedelta(days=1))
    a = Dispatcher(store=weekly, channels={"console": ConsoleChannel(weekly)}, now=due)
    [claimed] = a.claims.claim()
    b = Dispatcher(
        store=weekly, channels={"console": ConsoleChannel(weekly)}, now=due + timedelta(minutes=6)
    )
    asyncio.run(b.reconcile.stale())  # claimed, never sent, past the lease: planned again
    assert b.claims.claim() == [claimed]
    assert a.sender.prepare(claimed, set()) is None  # A lost it: no attempt, nothing sent
    assert asyncio.run(b.sender.send_on(claimed, "console", set())) is None  # B sends it
    assert sent_count(weekly) == 1
    assert ("2026-11-23T10:00", "sent") in statuses(weekly)


@dataclass
class Provider:
    """What one test's fake provider has seen, whichever channel client asked it."""

    sends: int = 0
    lookups: int = 0


class SlowProviderConsole(ConsoleChannel):
    """Its answer is lost, and the message shows up at the provider only after a while."""

    def __init__(self, store: Store, provider: Provider) -> None:
        super().__init__(store)
        self.provider = provider

    async def send(self, message: OutboundMessage) -> str:
        self.provider.sends += 1
        raise ChannelError("no answer after sending", ErrorKind.AMBIGUOUS)

    async def lookup(self, message: OutboundMessage) -> str | None:
        self.provider.lookups += 1
        return None if self.provider.lookups == 1 else "late-1"


def test_a_send_not_found_at_once_is_looked_up_again_before_any_retry(weekly: Store) -> None:
    enrol_console(weekly, now=datetime(2026, 11, 20, tzinfo=UTC))
    due = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    tick(weekly, now=due - timedelta(days=1))
    provider = Provider()  # one provider, seen by each cycle's channel client
    for minutes in (0, 2):  # the retry comes 15 to 30 s after the first try
        Dispatcher(
            store=weekly,
            channels={"console": SlowProviderConsole(weekly, provider)},
            now=due + timedelta(minutes=minutes),
        ).run()
    assert (provider.sends, provider.lookups) == (1, 2)  # never resent
    assert ("2026-11-23T10:00", "sent") in statuses(weekly)


CONSOLE_PATIENTS = 20


class RecordingConsole(ConsoleChannel):
    def __init__(self, store: Store, events: list[str]) -> None:
        super().__init__(store)
        self.events = events

    async def send(self, message: OutboundMessage) -> str:
        sent = await super().send(message)
        self.events.append("console")
        return sent


class SlowSms(FakeChannel):
    """An SMS provider that answers nothing until every console reminder has gone (or 10 s
    have passed), one message at a time: any worker it held would hold the console up too."""

    name = "sms"
    ceiling = "personal"
    concurrency = 1

    def __init__(self, events: list[str]) -> None:
        self.events = events

    async def send(self, message: OutboundMessage) -> str:
        for _ in range(200):  # not a timing: the console lane's progress decides
            if self.events.count("console") >= CONSOLE_PATIENTS:
                break
            await asyncio.sleep(0.05)
        self.events.append("sms")
        return f"SM{message.attempt_id}"

    async def lookup(self, message: OutboundMessage) -> str | None:
        return None


def test_a_slow_channel_does_not_hold_up_the_others(tmp_path: Path, settings: Settings) -> None:
    write_program(tmp_path)
    path = tmp_path / "schedules" / "test-weekly.toml"
    path.write_text(path.read_text().replace('order = ["console"]', 'order = ["sms", "console"]'))
    store = open_store(settings_for(tmp_path, settings))
    enrolled = datetime(2026, 11, 20, tzinfo=UTC)
    for i in range(5):  # claimed first: their reminders have the lowest ids
        patients.enrol(
            store,
            reference=f"SMS-{i}",
            program="test-weekly",
            language="nl",
            timezone="Europe/Brussels",
            name="Jan",
            contacts={"sms": f"+3247012345{i}"},
            consent=["sms"],
            actor="test",
            now=enrolled,
        )
    for i in range(CONSOLE_PATIENTS):
        enrol_console(store, ref=f"AZ-{i}", now=enrolled)
    due = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    tick(store, now=due - timedelta(days=1))
    events: list[str] = []
    channels = {"sms": SlowSms(events), "console": RecordingConsole(store, events)}
    Dispatcher(store=store, channels=channels, now=due).run()  # type: ignore[arg-type]
    assert events == ["console"] * CONSOLE_PATIENTS + ["sms"] * 5
    store.engine.dispose()


class BuggyConsole(ConsoleChannel):
    """Fails with an error no channel maps (a bug) on its first send."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self.failed = False

    async def send(self, message: OutboundMessage) -> str:
        if not self.failed:
            self.failed = True
            raise RuntimeError("unexpected")
        return await super().send(message)


def test_an_unexpected_error_on_one_reminder_does_not_stop_the_others(weekly: Store) -> None:
    for i in range(3):
        enrol_console(weekly, ref=f"AZ-{i}", now=datetime(2026, 11, 20, tzinfo=UTC))
    due = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    tick(weekly, now=due - timedelta(days=1))
    outcomes = Dispatcher(store=weekly, channels={"console": BuggyConsole(weekly)}, now=due).run()
    assert outcomes == {"sent": 2, "unconfirmed": 1}  # it may have left: never sent blindly
    assert sent_count(weekly) == 2


def test_two_dispatchers_at_once_send_each_reminder_once(cli: Cli) -> None:
    """Two `carebot tick` processes on one store (two cron jobs that overlap, or two
    machines on PostgreSQL): each reminder is claimed, sent and audited once."""
    write_program(cli.cwd)
    cli.env.update(
        {
            "CAREBOT_SCHEDULES_DIR": str(cli.cwd / "schedules"),
            "CAREBOT_TEMPLATES_DIR": str(cli.cwd / "templates"),
        }
    )
    store = store_for(cli)
    for i in range(60):
        enrol_console(store, ref=f"AZ-{i}", now=datetime(2026, 11, 9, 12, tzinfo=UTC))
    tick(store, now=datetime(2026, 11, 22, tzinfo=UTC))  # plan; nothing is due yet
    at = datetime(2026, 11, 23, 9, 1, tzinfo=UTC).isoformat()  # Monday 10:01 in Brussels
    ticks = [
        subprocess.Popen(
            [CAREBOT, "tick", "--at", at],
            cwd=cli.cwd,
            env=cli.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for proc in ticks:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert sent_count(store) == 60
    assert Counter(status for slot, status in statuses(store) if slot.startswith("2026-11-23")) == {
        "sent": 60
    }
    store.engine.dispose()
    verify = cli("audit", "verify")
    assert verify.code == 0, verify.err
