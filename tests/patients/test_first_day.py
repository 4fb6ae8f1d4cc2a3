"""The day a follow-up starts: with the shipped Monday program (an offset of one local day),
the first reminder is the Monday of the week after enrolment, whatever the day and hour of
the enrolment (it once came 13 days after a Tuesday enrolment)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.outbound.planning import local_slots
from bot.patients import enrolment as patients
from bot.programs import catalog
from bot.store.models import Patient
from bot.store.store import Store


def test_every_enrolment_day_and_hour_gets_its_first_monday_in_the_next_week(
    store: Store,
) -> None:
    zone = ZoneInfo("Europe/Brussels")
    monday = datetime(2026, 11, 30, tzinfo=zone)
    for hours in range(0, 7 * 24, 5):
        enrolled = (monday + timedelta(hours=hours, minutes=17)).astimezone(UTC)
        who = patients.enrol(
            store, reference=f"REF-{hours}", program="post-stroke-weekly", language="nl",
            timezone="Europe/Brussels", name="Jan", contacts={}, consent=["console"],
            actor="test", now=enrolled,
        ).pseudonym  # fmt: skip
        with store.session() as session:
            program = catalog.get(store, session, "post-stroke-weekly")
            patient = session.get(Patient, who)
            assert patient is not None
            start = patient.plan_from
        first = local_slots(program, "Europe/Brussels", start, start + timedelta(days=21))[0]
        assert first.astimezone(zone).date() == datetime(2026, 12, 7).date(), enrolled


def test_an_offset_of_zero_starts_at_the_moment_of_enrolment() -> None:
    from bot.patients.fields import first_day

    now = datetime(2026, 12, 1, 11, 7, tzinfo=UTC)
    assert first_day(now, timezone="Asia/Tokyo", offset_days=0) == now
