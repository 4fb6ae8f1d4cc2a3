"""Sends whose outcome carebot cannot know, on every channel: the provider accepted the
message, then answered 5xx, or closed the connection, or answered after carebot's timeout;
and a provider whose clock is off from carebot's by 15 minutes. Each must end sent exactly
once (found by a look-up) or `unconfirmed` (no look-up: Telegram), never sent twice."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.fakes.base import Failure, FakeProvider
from tests.reliability.conftest import MakeRig
from tests.reliability.rig import LEASE, Rig, recover, slot

pytestmark = pytest.mark.reliability

PATIENTS = 4


def fake_of(rig: Rig, channel: str) -> FakeProvider:
    return rig.telegram if channel == "telegram" else rig.twilio


def ambiguous_slot(rig: Rig, failures: dict[str, Failure]) -> None:
    """Every patient's first send misbehaves as `failures` says per channel; then carebot
    ticks on, as cron would, past the lease, until nothing is left to do."""
    for channel, failure in failures.items():
        fake = fake_of(rig, channel)
        for _ in range(PATIENTS):
            fake.inject(failure)
    due = slot(0)
    rig.label("slot-0")
    rig.tick(due + timedelta(minutes=1))
    recover(rig, due + timedelta(minutes=2) + LEASE, due_by=due)


def check_once_or_unconfirmed(rig: Rig, n: int) -> None:
    """None sent twice, none left without a final status; what the store calls sent, the
    provider holds."""
    due = slot(0)
    assert rig.duplicates() == 0
    statuses = rig.statuses(due_by=due)
    assert rig.unfinished(due_by=due) == 0, statuses
    assert statuses["sent"] + statuses["unconfirmed"] == n, statuses
    assert rig.received_with("slot-0") >= statuses["sent"]


@pytest.mark.parametrize(
    ("channel", "kind"),
    [
        ("telegram", "accept-error"),
        ("telegram", "drop"),
        ("sms", "accept-error"),
        ("sms", "drop"),
    ],
)
def test_a_send_accepted_then_answered_5xx_or_dropped_is_never_sent_twice(
    make_rig: MakeRig, channel: str, kind: str
) -> None:
    rig = make_rig(PATIENTS, channels=(channel,))
    fake = fake_of(rig, channel)
    ambiguous_slot(rig, {channel: Failure(kind=kind, status=500, target=fake.send_target)})  # type: ignore[arg-type]
    check_once_or_unconfirmed(rig, PATIENTS)
    assert rig.received_with("slot-0") >= PATIENTS  # each was accepted at least once


def test_a_create_answered_after_the_timeout_is_never_sent_twice(make_rig: MakeRig) -> None:
    """Both channels in one cycle, so that their timeouts (15 s) run at the same time."""
    rig = make_rig(PATIENTS * 2, channels=("telegram", "sms"))
    ambiguous_slot(
        rig,
        {
            "telegram": Failure(kind="hang", seconds=20, target=rig.telegram.send_target),
            "sms": Failure(kind="hang", seconds=20, target=rig.twilio.send_target),
        },
    )
    check_once_or_unconfirmed(rig, PATIENTS * 2)


@pytest.mark.parametrize("minutes", [-15, -3, 15])
def test_an_sms_whose_answer_was_lost_is_found_under_clock_skew(
    make_rig: MakeRig, minutes: int
) -> None:
    """Twilio's clock `minutes` off carebot's (or `tick --at` ahead of real time)."""
    rig = make_rig(PATIENTS, channels=("sms",))
    rig.clock.skew = timedelta(minutes=minutes)
    ambiguous_slot(rig, {"sms": Failure(kind="drop", target=rig.twilio.send_target)})
    check_once_or_unconfirmed(rig, PATIENTS)
    assert rig.statuses(due_by=slot(0))["sent"] == PATIENTS  # found, not left unconfirmed
