"""carebot down for 1 h, 7 h, 25 h and 15 days (`tick --at` jumps): every slot that fell due
meanwhile ends with a status, sent if it is still within the catch-up grace (6 h) and `missed`
otherwise, and none is sent twice."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.store.models import Reminder
from tests.reliability.conftest import MakeRig
from tests.reliability.rig import Rig, slot

pytestmark = pytest.mark.reliability

PATIENTS = 6
GRACE = timedelta(hours=6)


@pytest.mark.parametrize(
    "gap",
    [
        timedelta(hours=1),
        timedelta(hours=7),
        timedelta(hours=25),
        timedelta(days=15),
    ],
    ids=["1h", "7h", "25h", "15d"],
)
def test_after_downtime_every_slot_has_a_status_and_none_is_sent_twice(
    make_rig: MakeRig, gap: timedelta
) -> None:
    rig = make_rig(PATIENTS)
    last_up = slot(0) - timedelta(hours=1)
    rig.tick(last_up)  # plans the coming week, then carebot goes down
    back = slot(0) + gap
    rig.label("back")
    rig.tick(back)
    rig.tick(back + timedelta(minutes=10))  # cron's next tick changes nothing more
    assert rig.duplicates() == 0
    expected = expected_slots(back)
    assert store_slots(rig, back) == expected, "a slot without its status"
    sent = sum(count for status, count in expected.values() if status == "sent")
    assert rig.received_with("back") == sent  # what the store calls sent, the providers hold


def expected_slots(back: datetime) -> dict[str, tuple[str, int]]:
    """Each weekly slot due by `back`: sent when within the grace, else missed; per patient."""
    found: dict[str, tuple[str, int]] = {}
    week = 0
    while slot(week) <= back:
        status = "sent" if back - slot(week) <= GRACE else "missed"
        found[slot(week).strftime("%Y-%m-%dT%H:%M")] = (status, PATIENTS)
        week += 1
    return found


def store_slots(rig: Rig, back: datetime) -> dict[str, tuple[str, int]]:
    """Each slot due by `back` in the store: its status (all of them, if they differ), and
    how many rows."""
    assert rig.store is not None
    with rig.store.session() as session:
        rows = session.exec(select(Reminder).where(col(Reminder.due_at) <= back)).all()
    per_slot: dict[str, list[str]] = {}
    for row in rows:
        per_slot.setdefault(row.local_slot, []).append(str(row.status))
    return {
        local: ("/".join(sorted(set(statuses))), len(statuses))
        for local, statuses in per_slot.items()
    }
