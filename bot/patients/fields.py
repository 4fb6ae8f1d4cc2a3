"""An enrolment's own fields, checked before anything is written: zone, greeting name, and
the day the follow-up starts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.patients.queries import PatientError
from bot.programs.render import MAX_NAME_LENGTH
from bot.text import has_unsafe


def check_timezone(name: str) -> str:
    """The zone name, or a refusal that does not repeat it: what was typed into `--tz` may
    be anything, a patient's name included."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PatientError(
            "--tz is not a known time zone (use an IANA name such as Europe/Brussels)"
        ) from exc
    return name


def first_day(now: datetime, *, timezone: str, offset_days: int) -> datetime:
    """When a patient's follow-up starts: the start of the local calendar day `offset_days`
    after the day of enrolment, in the patient's zone (0: the moment of enrolment). The
    first reminder is the program's first slot from then on: with Monday slots and an
    offset of 1, always the Monday of the week after enrolment, whatever the day and hour
    of the enrolment (an offset counted in 24-hour days from the enrolment's hour put a
    Tuesday enrolment's first Monday 13 days on)."""
    if offset_days <= 0:
        return now
    zone = ZoneInfo(timezone)
    day = now.astimezone(zone).date() + timedelta(days=offset_days)
    return datetime.combine(day, datetime.min.time(), tzinfo=zone).astimezone(UTC)


def check_name(name: str) -> str:
    """The greeting name, stripped; refused when empty, too long, or holding control or
    format characters (an escape sequence, a bidi override, a zero-width character), which
    would reach the patient's message and the nurses' screens."""
    if not name.strip() or len(name) > MAX_NAME_LENGTH:
        raise PatientError(f"the greeting name must be 1 to {MAX_NAME_LENGTH} characters")
    if has_unsafe(name):
        raise PatientError("the greeting name may not hold control, bidi or zero-width characters")
    return name.strip()
