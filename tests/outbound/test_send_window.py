"""The ambiguous window is the request and the moment before it: a send's attempt is saved
(committed) only once its rate-limit slot is booked, shortly before that slot, and always
before the provider is called."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import func, select

from bot.channels.base import OutboundMessage
from bot.channels.ratelimit import Limits
from bot.config import Settings
from bot.outbound import send
from bot.outbound.dispatch import Dispatcher
from bot.outbound.send import LATE
from bot.patients import enrolment as patients
from bot.runtime import tick
from bot.store.models import DeliveryAttempt
from bot.store.store import Store, open_store
from tests.helpers import FakeChannel, settings_for, write_program

DUE = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PHONE = "+32470123450"


def _attempts(store: Store) -> list[DeliveryAttempt]:
    """The attempts committed so far, read in a session of their own."""
    with store.session() as session:
        return list(session.exec(select(DeliveryAttempt)).all())


class Gate(Limits):
    """A channel's real limits (10 a second, 1 per chat) that also note what the store held
    while the send waited for its slot."""

    def __init__(self, store: Store) -> None:
        super().__init__(10, per_recipient=1)
        self.store = store
        self.waited_for: list[str | None] = []
        self.attempts_while_waiting: list[int] = []

    async def acquire(self, recipient: str | None) -> None:
        self.waited_for.append(recipient)
        self.attempts_while_waiting.append(len(_attempts(self.store)))
        await super().acquire(recipient)

    async def reserve(self, recipient: str | None) -> float:
        self.waited_for.append(recipient)
        self.attempts_while_waiting.append(len(_attempts(self.store)))
        return await super().reserve(recipient)


class Recording(FakeChannel):
    """An SMS-like channel that notes, when it is called, whether its attempt is committed."""

    name = "sms"
    ceiling = "personal"

    def __init__(self, store: Store) -> None:
        self.store = store
        self.limits = Gate(store)
        self.committed_when_called: list[bool] = []

    async def send(self, message: OutboundMessage) -> str:
        saved = [a for a in _attempts(self.store) if a.id == message.attempt_id]
        self.committed_when_called.append(
            len(saved) == 1 and saved[0].outcome == "pending" and saved[0].sent_wall_at is not None
        )
        return "SM-1"


def test_the_attempt_is_saved_after_the_rate_limit_slot_and_before_the_send(
    tmp_path: Path, settings: Settings
) -> None:
    write_program(tmp_path)
    program = tmp_path / "schedules" / "test-weekly.toml"
    program.write_text(program.read_text().replace('order = ["console"]', 'order = ["sms"]'))
    store = open_store(settings_for(tmp_path, settings))
    patients.enrol(
        store,
        reference="W-1",
        program="test-weekly",
        language="nl",
        timezone="Europe/Brussels",
        name="Jan",
        contacts={"sms": PHONE},
        consent=["sms"],
        actor="test",
        now=datetime(2026, 11, 20, tzinfo=UTC),
    )
    tick(store, now=DUE - timedelta(days=1))
    channel = Recording(store)
    Dispatcher(store=store, channels={"sms": channel}, now=DUE).run()  # type: ignore[dict-item]
    with store.session() as session:
        sent = session.exec(
            select(func.count())
            .select_from(DeliveryAttempt)
            .where(DeliveryAttempt.outcome == "sent")
        ).one()
    store.engine.dispose()
    gate = channel.limits
    assert isinstance(gate, Gate)
    assert gate.waited_for == [PHONE]  # the slot is the patient's own (1 a second per chat)
    assert gate.attempts_while_waiting == [0], "an attempt was in flight while it waited"
    assert channel.committed_when_called == [True], "the provider was called first"
    assert sent == 1


def test_a_send_held_up_past_its_departure_does_not_leave_late() -> None:
    """A send leaves DEPART after its slot, or not at all on that slot: when the event loop
    was held up past LATE after that moment, it is told to take a new slot."""

    async def held_up() -> bool:
        moment = time.monotonic() + 0.01
        time.sleep(0.01 + LATE + 0.02)  # blocks the loop past the moment
        return await send._leave_at(moment)  # noqa: SLF001

    assert asyncio.run(held_up()) is False
