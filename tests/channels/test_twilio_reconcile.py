"""Twilio's answers that leave carebot unsure, end to end through `carebot tick`: its own
wait (`Retry-After`) honoured, and look-ups that find a message although Twilio's clock, or
carebot's (`tick --at`), is off by a quarter of an hour."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.store.models import DeliveryAttempt, Reminder
from tests.conftest import Cli
from tests.fakes.twilio import FakeTwilio
from tests.helpers import cli_tick, first_due, store_for

PHONE = "+32470123456"


def _enrol(cli: Cli) -> None:
    result = cli(
        *("patient", "enrol", "--ref", "AZ-7", "--program", "post-stroke-weekly"),
        *("--lang", "nl", "--tz", "Europe/Brussels", "--name", "Jan"),
        *("--sms", PHONE, "--consent", "sms"),
    )
    assert result.code == 0, result.err


def _reminder(cli: Cli) -> Reminder:
    """The first reminder."""
    store = store_for(cli)
    try:
        with store.session() as session:
            first = session.exec(select(Reminder).order_by(col(Reminder.due_at))).first()
            assert first is not None
            return first
    finally:
        store.engine.dispose()


def _deliveries(cli: Cli) -> list[dict[str, object]]:
    return list(json.loads(cli("audit", "deliveries", "--format", "json").out))


def test_twilio_retry_after_is_the_least_wait_before_the_retry(
    wired: Cli, fake_twilio: FakeTwilio
) -> None:
    _enrol(wired)
    at = first_due() + timedelta(minutes=1)
    fake_twilio.fail_next(429, retry_after=120)
    cli_tick(wired, at)
    reminder = _reminder(wired)
    assert reminder.status == "planned" and fake_twilio.messages == []
    assert reminder.next_attempt_at is not None
    retry = reminder.next_attempt_at.replace(tzinfo=reminder.next_attempt_at.tzinfo or UTC)
    assert retry - at >= timedelta(seconds=120)
    cli_tick(wired, at + timedelta(seconds=100))  # not yet: nothing sent
    assert fake_twilio.messages == []
    cli_tick(wired, retry + timedelta(seconds=1))
    assert len(fake_twilio.messages) == 1


@pytest.mark.parametrize("skew_minutes", [-15, 15])
def test_an_sms_whose_answer_was_lost_is_found_although_twilios_clock_is_off(
    wired: Cli, fake_twilio: FakeTwilio, skew_minutes: int
) -> None:
    """Twilio dates the message by its own clock, a quarter of an hour off the real time,
    and `tick --at` puts carebot a week ahead of both: the look-up still finds it."""
    _enrol(wired)
    at = first_due() + timedelta(minutes=1)  # carebot's clock: days ahead of the real one
    fake_twilio.clock = lambda: datetime.now(UTC) + timedelta(minutes=skew_minutes)
    fake_twilio.drop_next(target="create")  # accepted, then the connection drops
    cli_tick(wired, at)
    cli_tick(wired, at + timedelta(minutes=10))
    cli_tick(wired, at + timedelta(hours=1))
    assert len(fake_twilio.messages) == 1, "sent twice"
    first = _deliveries(wired)[0]
    assert (first["status"], first["provider_id"]) == ("sent", fake_twilio.messages[0].sid)


def test_a_look_up_never_takes_another_attempts_sid_for_this_one(
    wired: Cli, fake_twilio: FakeTwilio
) -> None:
    """Two attempts of the same text within the look-up's window: the second, lost, is not
    taken for the first, whose SID carebot already recorded, and stays to be decided."""
    _enrol(wired)
    at = first_due() + timedelta(minutes=1)
    fake_twilio.fail_next(500)  # nothing created, ambiguous: looked up, not found
    cli_tick(wired, at)
    cli_tick(wired, at + timedelta(minutes=5))  # looked up again, absent: sent, answered
    assert len(fake_twilio.messages) == 1
    store = store_for(wired)
    try:
        with store.session() as session:
            sent = session.exec(select(Reminder).order_by(col(Reminder.due_at))).first()
            assert sent is not None and sent.status == "sent"
            # as if that SID had been recorded for an earlier attempt of the patient's, and
            # this reminder's own answer had been lost: the look-up must not take it for it
            sent.status, sent.provider_id = "sending", None
            attempts = session.exec(
                select(DeliveryAttempt).where(DeliveryAttempt.reminder_id == sent.id)
            ).all()
            last = max(attempts, key=lambda a: a.id or 0)
            first = min(attempts, key=lambda a: a.id or 0)
            first.provider_id, last.provider_id = last.provider_id, None
            last.outcome = "pending"
            sent.claimed_at = sent.updated_at - timedelta(hours=1)
            session.add_all([sent, first, last])
    finally:
        store.engine.dispose()
    cli_tick(wired, at + timedelta(hours=1))  # the stale claim is looked up
    assert _deliveries(wired)[0]["provider_id"] != fake_twilio.messages[0].sid
