"""A share of provider faults (5xx before acceptance, 429 with Retry-After), and a provider
that cannot be reached at all (connection refused) for a while: every reminder ends with one
final status, none is sent twice."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.fakes.chaos import Chaos, read_log
from tests.reliability.conftest import MakeRig
from tests.reliability.rig import Rig, recover, slot

pytestmark = pytest.mark.reliability

GRACE = timedelta(hours=6)  # post-stroke-weekly's catch-up grace


def tick_every(rig: Rig, start: datetime, *, step: timedelta, until: datetime) -> datetime:
    at = start
    while at <= until:
        rig.tick(at)
        at += step
    return at


def test_thirty_percent_faults_end_every_reminder_once(make_rig: MakeRig) -> None:
    rig = make_rig(40)
    rig.telegram.chaos = Chaos(fault_rate=0.3, seed=3)
    rig.twilio.chaos = Chaos(fault_rate=0.3, seed=4)
    due = slot(0)
    rig.label("slot-0")
    recover(rig, due + timedelta(minutes=1), due_by=due, ticks=60, step=timedelta(minutes=5))
    tick_every(rig, due + GRACE, step=timedelta(minutes=30), until=due + GRACE + timedelta(hours=1))
    drawn = rig.telegram.chaos.drawn + rig.twilio.chaos.drawn
    assert drawn["fault"] + drawn["throttle"] >= 8, drawn  # the faults did happen
    assert rig.duplicates() == 0
    statuses = rig.statuses(due_by=due)
    assert rig.unfinished(due_by=due) == 0, statuses
    assert statuses["failed"] == 0, statuses  # a fault is retried, not given up at once
    assert statuses["sent"] + statuses["unconfirmed"] == 40, statuses


def test_twilio_429_retry_after_is_waited_for(make_rig: MakeRig) -> None:
    """Twilio asks for 120 s: no SMS may reach it before then (by its own clock)."""
    rig = make_rig(1, channels=("sms",))
    rig.twilio.chaos = Chaos(fault_rate=1.0, throttle_share=1.0, retry_after=120)
    due = slot(0) + timedelta(minutes=1)
    rig.label("slot-0")
    rig.tick(due)
    rig.twilio.chaos = None
    tick_every(
        rig,
        due + timedelta(seconds=30),
        step=timedelta(seconds=30),
        until=due + timedelta(minutes=5),
    )
    entries = read_log(rig.twilio.received.path)  # type: ignore[union-attr]
    assert len(entries) == 1
    first = datetime.fromisoformat(entries[0]["at"])
    assert first >= due + timedelta(seconds=120), f"sent {first - due} after the 429"


def test_an_hour_of_twilio_refusing_connections_ends_with_every_sms_sent_once(
    make_rig: MakeRig,
) -> None:
    rig = make_rig(20)
    due = slot(0)
    rig.label("slot-0")
    rig.twilio.go_down()
    at = tick_every(
        rig, due + timedelta(minutes=1), step=timedelta(minutes=10), until=due + timedelta(hours=1)
    )
    assert rig.statuses(due_by=due)["sent"] == 10  # Telegram's, while Twilio is down
    rig.twilio.come_up()
    recover(rig, at, due_by=due, ticks=30, step=timedelta(minutes=5))
    assert rig.duplicates() == 0
    statuses = rig.statuses(due_by=due)
    assert statuses["sent"] == 20, statuses


def test_seven_hours_of_twilio_down_give_one_status_for_one_outage(make_rig: MakeRig) -> None:
    rig = make_rig(20, channels=("sms",))
    due = slot(0)
    rig.label("slot-0")
    rig.twilio.go_down()
    at = tick_every(
        rig, due + timedelta(minutes=1), step=timedelta(minutes=30), until=due + timedelta(hours=7)
    )
    rig.twilio.come_up()
    tick_every(rig, at, step=timedelta(minutes=30), until=at + timedelta(hours=1))
    assert rig.received() == []
    statuses = rig.statuses(due_by=due)
    assert rig.unfinished(due_by=due) == 0, statuses
    assert len(statuses) == 1, statuses
