"""Dispatch under races: takeovers, late status callbacks, store errors, consent changes,
slow channels. Each case was first written as a failing probe of an earlier dispatcher."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.channels.base import ChannelError, ErrorKind, OutboundMessage, StatusUpdate
from bot.channels.console import ConsoleChannel
from bot.config import Settings
from bot.inbound import status as callbacks
from bot.outbound.delivery import Delivery
from bot.outbound.dispatch import Dispatcher
from bot.patients import enrolment as patients
from bot.runtime import tick
from bot.store.models import Contact, DeliveryAttempt, Reminder
from bot.store.store import Store, open_store
from tests.helpers import FakeChannel, enrol_console, sent_count, settings_for, write_program

DUE = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def weekly(tmp_path: Path, settings: Settings) -> Iterator[Store]:
    write_program(tmp_path)
    store = open_store(settings_for(tmp_path, settings))
    yield store
    store.engine.dispose()


def test_F1_a_send_landing_after_a_takeover_is_not_sent_again(weekly: Store) -> None:
    """A's send is slow (> lease). B reconciles: pending attempt, lookup not there yet ->
    planned. A's send then lands; recording it sees 'planned' and keeps it. C sends again."""
    enrol_console(weekly, now=datetime(2026, 11, 20, tzinfo=UTC))
    tick(weekly, now=DUE - timedelta(days=1))
    console = ConsoleChannel(weekly)
    a = Dispatcher(store=weekly, channels={"console": console}, now=DUE)
    [rid] = a.claims.claim()
    delivery = a.sender.prepare(rid, set())
    assert delivery is not None  # attempt saved, A now waits on the provider
    b = Dispatcher(store=weekly, channels={"console": console}, now=DUE + timedelta(minutes=6))
    asyncio.run(b.reconcile.stale())  # lookup: not there yet -> not-found -> planned
    provider_id = asyncio.run(console.send(delivery.message))  # A's send lands
    a.record.sent(delivery, provider_id)
    Dispatcher(store=weekly, channels={"console": console}, now=DUE + timedelta(minutes=8)).run()
    assert sent_count(weekly) == 1, "reminder delivered twice"


class SlowCreateSms(FakeChannel):
    """Twilio-like: the create answers 5xx (it did create the message), and list() lags."""

    name = "sms"
    ceiling = "personal"
    concurrency = 1

    def __init__(self) -> None:
        self.sends = 0

    async def send(self, message: OutboundMessage) -> str:
        self.sends += 1
        raise ChannelError("provider error", ErrorKind.AMBIGUOUS, code="500")

    async def lookup(self, message: OutboundMessage) -> str | None:
        return None  # e.g. list(limit=50) lags or misses it


def _sms_patient(tmp_path: Path, settings: Settings) -> Store:
    """A store with one patient reached by SMS only, their reminder planned."""
    write_program(tmp_path)
    p = tmp_path / "schedules" / "test-weekly.toml"
    p.write_text(p.read_text().replace('order = ["console"]', 'order = ["sms"]'))
    store = open_store(settings_for(tmp_path, settings))
    patients.enrol(
        store,
        reference="S-1",
        program="test-weekly",
        language="nl",
        timezone="Europe/Brussels",
        name="Jan",
        contacts={"sms": "+32470123450"},
        consent=["sms"],
        actor="test",
        now=datetime(2026, 11, 20, tzinfo=UTC),
    )
    tick(store, now=DUE - timedelta(days=1))
    return store


def test_F2_a_delivered_callback_settles_an_unfound_send(
    tmp_path: Path, settings: Settings
) -> None:
    store = _sms_patient(tmp_path, settings)
    sms = SlowCreateSms()
    Dispatcher(store=store, channels={"sms": sms}, now=DUE).run()  # type: ignore[dict-item]
    with store.session() as s:
        [att] = s.exec(select(DeliveryAttempt)).all()
        assert att.outcome == "not-found"
    # Twilio's signed status callback for that very attempt: delivered.
    delivered = StatusUpdate(
        channel="sms", provider_id="SM123", status="delivered", attempt=str(att.id)
    )
    assert callbacks.apply(store, delivered, now=DUE + timedelta(seconds=5))
    Dispatcher(
        store=store,
        channels={"sms": sms},  # type: ignore[dict-item]
        now=DUE + timedelta(minutes=2),
    ).run()
    with store.session() as s:
        assert s.get(Reminder, att.reminder_id).status == "delivered"  # type: ignore[union-attr]
    store.engine.dispose()
    assert sms.sends == 1, "sent again although Twilio called back 'delivered'"


class SlowConsole(ConsoleChannel):
    """Each send takes half a second; `in_flight` lists the sends that have begun."""

    def __init__(self, store: Store, in_flight: list[int]) -> None:
        super().__init__(store)
        self.in_flight = in_flight

    async def send(self, message: OutboundMessage) -> str:
        self.in_flight.append(message.attempt_id)
        await asyncio.sleep(0.5)
        return await super().send(message)


def test_F3_a_store_error_on_one_reminder_leaves_the_others_going(
    weekly: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(12):
        enrol_console(weekly, ref=f"AZ-{i}", now=datetime(2026, 11, 20, tzinfo=UTC))
    tick(weekly, now=DUE - timedelta(days=1))
    in_flight: list[int] = []
    d = Dispatcher(store=weekly, channels={"console": SlowConsole(weekly, in_flight)}, now=DUE)
    real, routed = d.sender.route, []

    async def route(rid: int, excluded: frozenset[str]) -> tuple[str, Delivery | None] | None:
        routed.append(rid)
        if len(routed) % 2:  # e.g. sqlite3.OperationalError: database is locked
            raise RuntimeError("store hiccup on one reminder")
        return await real(rid, excluded)

    monkeypatch.setattr(d.sender, "route", route)
    d.run()
    with weekly.session() as s:
        rows = [
            (r.id, r.status)
            for r in s.exec(select(Reminder))
            if r.local_slot.startswith("2026-11-23")
        ]
        atts = {a.outcome for a in s.exec(select(DeliveryAttempt))}
    assert all(st != "sending" for _, st in rows), "left sending; in-flight send cancelled"
    assert atts == {"sent"}  # the sends in flight finished
    assert {st for _, st in rows} == {"sent", "planned"}  # the rest retried later


def test_F4_with_no_channel_configured_the_cycle_ends(weekly: Store) -> None:
    enrol_console(weekly, now=datetime(2026, 11, 20, tzinfo=UTC))
    tick(weekly, now=DUE - timedelta(days=1))
    d = Dispatcher(store=weekly, channels={}, now=DUE)

    async def go() -> None:
        await asyncio.wait_for(d.run_async(), timeout=5)

    asyncio.run(go())  # no TimeoutError: nothing to wait for
    assert d.outcomes == {}  # left planned for a process that has the channel, not lost
    with weekly.session() as s:
        (row,) = s.exec(select(Reminder).where(Reminder.local_slot == "2026-11-23T10:00"))
    assert (row.status, row.error) == ("planned", "console is not configured")


class XLike(FakeChannel):
    """An X-like channel with one worker and nothing to look up; subclasses send."""

    name = "x"
    ceiling = "public"
    concurrency = 1

    async def lookup(self, message: OutboundMessage) -> str | None:
        return None


class PacedX(XLike):
    """One send per 0.3 s; `times` gets each send's channel and time."""

    def __init__(self, times: list[tuple[str, float]]) -> None:
        self.times = times

    async def send(self, message: OutboundMessage) -> str:
        await asyncio.sleep(0.3)
        self.times.append(("x", asyncio.get_running_loop().time()))
        return f"x-{message.attempt_id}"


class TimedConsole(ConsoleChannel):
    def __init__(self, store: Store, times: list[tuple[str, float]]) -> None:
        super().__init__(store)
        self.times = times

    async def send(self, message: OutboundMessage) -> str:
        self.times.append(("console", asyncio.get_running_loop().time()))
        return await super().send(message)


def test_F5_a_full_slow_lane_does_not_throttle_the_others(
    tmp_path: Path, settings: Settings
) -> None:
    write_program(tmp_path, sensitivity="public")
    p = tmp_path / "schedules" / "test-weekly.toml"
    p.write_text(p.read_text().replace('order = ["console"]', 'order = ["x", "console"]'))
    store = open_store(settings_for(tmp_path, settings))
    enrolled = datetime(2026, 11, 20, tzinfo=UTC)
    for i in range(8):
        patients.enrol(
            store,
            reference=f"X-{i}",
            program="test-weekly",
            language="nl",
            timezone="Europe/Brussels",
            name="Jan",
            contacts={"x": f"10{i}"},
            consent=["x"],
            actor="test",
            now=enrolled,
        )
    for i in range(8):
        enrol_console(store, ref=f"AZ-{i}", now=enrolled)
    tick(store, now=DUE - timedelta(days=1))
    times: list[tuple[str, float]] = []
    channels = {"x": PacedX(times), "console": TimedConsole(store, times)}
    batch = 4  # claims scaled down from 500
    Dispatcher(store=store, channels=channels, now=DUE, batch=batch).run()  # type: ignore[arg-type]
    t0 = min(t for _, t in times)
    first_console = min(t for k, t in times if k == "console") - t0
    store.engine.dispose()
    assert first_console < 0.2, f"console waited {first_console:.2f}s behind the X lane"


def test_F7_a_consent_given_between_peek_and_prepare_is_sent(
    weekly: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The peek ran just before a consent or contact was recorded by another process: the
    delivery that prepare then saved is sent, not dropped."""
    enrol_console(weekly, now=datetime(2026, 11, 20, tzinfo=UTC))
    tick(weekly, now=DUE - timedelta(days=1))
    d = Dispatcher(store=weekly, channels={"console": ConsoleChannel(weekly)}, now=DUE)
    monkeypatch.setattr(d.sender, "peek", lambda rid, excluded: None)  # the stale answer
    d.run()
    with weekly.session() as s:
        rows = [r.status for r in s.exec(select(Reminder)) if r.local_slot.startswith("2026-11-23")]
        atts = [a.outcome for a in s.exec(select(DeliveryAttempt))]
    assert (rows, atts, sent_count(weekly)) == (["sent"], ["sent"], 1)


class UnreachableLookupSms(SlowCreateSms):
    """As SlowCreateSms: not found at first; the next look-up cannot reach the provider."""

    def __init__(self) -> None:
        super().__init__()
        self.lookups = 0

    async def lookup(self, message: OutboundMessage) -> str | None:
        self.lookups += 1
        if self.lookups == 1:
            return None
        raise ChannelError("could not connect")


def test_F8_a_failed_look_up_leaves_a_claim_taken_over_meanwhile_alone(
    tmp_path: Path, settings: Settings
) -> None:
    """A looks an unfound send up again; it takes longer than the lease and B takes the
    reminder over. A's "look-up failed, retry later" must not plan it again under B."""
    store = _sms_patient(tmp_path, settings)
    sms = UnreachableLookupSms()
    channels = {"sms": sms}
    Dispatcher(store=store, channels=channels, now=DUE).run()  # type: ignore[arg-type]
    a = Dispatcher(
        store=store,
        channels=channels,  # type: ignore[arg-type]
        now=DUE + timedelta(minutes=2),
    )
    [rid] = a.claims.claim()
    earlier = a.reconcile.unsettled(rid, "sms")
    assert earlier is not None
    with store.session() as s:  # B's takeover, while A waits on the look-up
        reminder = s.get(Reminder, rid)
        assert reminder is not None
        reminder.claim_token = "cycle-b"
        s.add(reminder)
    assert asyncio.run(a.reconcile.settle(earlier)) is True
    with store.session() as s:
        reminder = s.get(Reminder, rid)
        assert reminder is not None
        state = (reminder.status, reminder.claim_token)
    store.engine.dispose()
    assert state == ("sending", "cycle-b"), "planned again under the cycle that took it over"


class UnenrolledX(XLike):
    """X refusing the hospital's app itself (403 client-forbidden), whoever the recipient."""

    async def send(self, message: OutboundMessage) -> str:
        raise ChannelError(
            "the X app may not send direct messages", code="403", kind=ErrorKind.ACCOUNT_REFUSED
        )


def test_an_account_refusal_falls_back_and_keeps_the_contact(
    tmp_path: Path, settings: Settings
) -> None:
    write_program(tmp_path, sensitivity="public")
    p = tmp_path / "schedules" / "test-weekly.toml"
    p.write_text(p.read_text().replace('order = ["console"]', 'order = ["x", "console"]'))
    store = open_store(settings_for(tmp_path, settings))
    patients.enrol(
        store,
        reference="X-1",
        program="test-weekly",
        language="nl",
        timezone="Europe/Brussels",
        name="Jan",
        contacts={"x": "101"},
        consent=["x", "console"],
        actor="test",
        now=datetime(2026, 11, 20, tzinfo=UTC),
    )
    tick(store, now=DUE - timedelta(days=1))
    outcomes = Dispatcher(
        store=store,
        channels={
            "x": UnenrolledX(),  # type: ignore[dict-item]
            "console": ConsoleChannel(store),
        },
        now=DUE,
    ).run()
    with store.session() as s:
        [contact] = s.exec(select(Contact)).all()
        consent = patients.consents(s, contact.pseudonym)
    sent = sent_count(store)
    store.engine.dispose()
    assert outcomes == {"sent": 1} and sent == 1  # by the console, in the same cycle
    assert contact.reachable and consent == {"x": True, "console": True}
