"""Weekly figures for admins: reminders sent, delivered and failed, reply rate, readings out of
range, urgent replies and opt-outs. Counts only: nothing here can identify a patient."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, col, select

from bot.store.models import Consent, Reminder, Reply
from bot.store.statuses import ReminderStatus as S

SENT = {S.SENT, S.DELIVERED, S.READ}
FAILED = {S.FAILED, S.UNDELIVERABLE, S.MISSED, S.UNCONFIRMED}


@dataclass
class Week:
    week: str  # ISO week start (Monday), e.g. 2026-11-23
    reminders: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    replies: int = 0
    reply_rate: float = 0.0  # replies per reminder sent, that week
    out_of_range: int = 0
    urgent: int = 0
    opt_outs: int = 0


def _monday(when: datetime) -> date:
    day = when.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def weekly(session: Session, *, weeks: int, now: datetime) -> list[Week]:
    """The `weeks` weeks that end with the one holding `now` (nothing after `now` counts),
    oldest first: `now` is the clock, or the end of the day a report is asked `--until`."""
    first = _monday(now) - timedelta(weeks=weeks - 1)
    since = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    table: dict[date, Week] = defaultdict(lambda: Week(week=""))
    for due, status in session.exec(
        select(Reminder.due_at, Reminder.status).where(
            col(Reminder.due_at) >= since, col(Reminder.due_at) <= now
        )
    ):
        row = table[_monday(due)]
        row.reminders += 1
        row.sent += status in SENT
        row.delivered += status in (S.DELIVERED, S.READ)
        row.failed += status in FAILED
    for received, flags in session.exec(
        select(Reply.received_at, Reply.flags).where(
            col(Reply.received_at) >= since, col(Reply.received_at) <= now
        )
    ):
        row = table[_monday(received)]
        marks = flags.split(",")
        row.replies += 1
        row.out_of_range += "attention" in marks
        row.urgent += "urgent" in marks
    for recorded in session.exec(
        select(Consent.recorded_at).where(
            Consent.granted == False,  # noqa: E712  (SQL, not Python)
            col(Consent.recorded_at) >= since,
            col(Consent.recorded_at) <= now,
        )
    ):
        table[_monday(recorded)].opt_outs += 1
    result = []
    for i in range(weeks):
        monday = first + timedelta(weeks=i)
        row = table[monday] if monday in table else Week(week="")
        row.week = monday.isoformat()
        row.reply_rate = round(row.replies / row.sent, 2) if row.sent else 0.0
        result.append(row)
    return result


def end_of(day: date) -> datetime:
    """The last instant a report `--until DAY` counts: the end of that day (UTC)."""
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    return end - timedelta(microseconds=1)


def as_rows(weeks: list[Week]) -> list[dict[str, object]]:
    return [asdict(w) for w in weeks]
