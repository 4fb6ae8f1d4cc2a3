"""Twilio's answers that leave carebot unsure, end to end through `carebot tick`: its own
wait (`Retry-After`) honoured, and look-ups that find a message although Twilio's clock, or
carebot's (`tick --at`), is off by a quarter of an hour."""

from __future__ import annotations

import json
from datetime import UTC, timedelta

from sqlmodel import col, select

from bot.store.models import Reminder
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
