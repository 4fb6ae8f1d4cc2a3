"""The report's figures, per week (Monday to Sunday, UTC) and for the whole period: what
became of the reminders due, which patients were reached and replied, their blood pressure,
urgent replies and how fast they were resolved, opt-outs, and whether carebot ran at all.

Computed from `facts.Facts`, unsuppressed: `document.py` turns them into the report
document and hides the small cells. Each rate and median keeps the number of patients it
was computed over (`bases`), which decides its suppression. See README "Reports".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from statistics import median

from bot.report.facts import Facts, ReminderFact, ReplyFact, Withdrawal
from bot.store.statuses import ReminderStatus as S

SENT = frozenset({S.SENT, S.DELIVERED, S.READ})  # accepted by the provider
DELIVERED = frozenset({S.DELIVERED, S.READ})
# Reminders whose outcome is settled and that were meant to go out: delivery_rate's divisor
# (cancelled ones were rightly not sent; planned or sending ones have no outcome yet).
SETTLED = SENT | {S.FAILED, S.UNDELIVERABLE, S.MISSED, S.UNCONFIRMED}
STATUS_COUNTS = ("failed", "undeliverable", "missed", "cancelled", "unconfirmed")
CONTROLLED_BELOW = 140  # systolic mmHg, as in PINGS-2
WEEK = timedelta(weeks=1)


@dataclass
class Figures:
    """One week's figures, or the period's (`ran`: every week of it ran)."""

    due: int = 0
    sent: int = 0
    delivered: int = 0
    read: int = 0
    failed: int = 0
    undeliverable: int = 0
    missed: int = 0
    cancelled: int = 0
    unconfirmed: int = 0
    delivery_rate: float | None = None
    patients_active: int = 0
    patients_reached: int = 0
    patients_replying: int = 0
    reply_share: float | None = None
    readings: int = 0
    bp_patients: int = 0
    bp_controlled_share: float | None = None
    median_systolic: float | None = None
    attention: int = 0
    urgent: int = 0
    urgent_resolution_median_minutes: float | None = None
    opt_outs: int = 0
    withdrawals: int = 0
    ran: bool = False
    # per rate or median, the number of patients it was computed over
    bases: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class CohortWeek:
    week_since_enrolment: int
    patients: int
    replying: int


@dataclass(frozen=True)
class Period:
    first: date  # a Monday
    weeks: int
    until: datetime  # the last instant counted

    @property
    def since(self) -> datetime:
        return datetime.combine(self.first, datetime.min.time(), tzinfo=UTC)

    def mondays(self) -> list[date]:
        return [self.first + timedelta(weeks=i) for i in range(self.weeks)]


def monday(when: datetime) -> date:
    """The Monday (UTC) of the week holding `when`."""
    day = when.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def period(*, weeks: int, until: datetime) -> Period:
    """The `weeks` weeks that end with the one holding `until` (nothing after it counts)."""
    return Period(monday(until) - timedelta(weeks=weeks - 1), weeks, until)


def end_of(day: date) -> datetime:
    """The last instant a report `--until DAY` counts: the end of that day (UTC)."""
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    return end - timedelta(microseconds=1)


@dataclass
class _Bucket:
    reminders: list[ReminderFact] = field(default_factory=list)
    replies: list[ReplyFact] = field(default_factory=list)
    withdrawals: list[Withdrawal] = field(default_factory=list)


def weekly(facts: Facts, span: Period) -> tuple[list[Figures], Figures]:
    """Each week's figures, oldest first and every week present, and the period's."""
    buckets: dict[date, _Bucket] = defaultdict(_Bucket)
    for reminder in facts.reminders:
        buckets[monday(reminder.due_at)].reminders.append(reminder)
    for reply in facts.replies:
        buckets[monday(reply.received_at)].replies.append(reply)
    for withdrawal in facts.withdrawals:
        buckets[monday(withdrawal.at)].withdrawals.append(withdrawal)
    weeks, replying = [], set()
    for week in span.mondays():
        bucket = buckets.get(week, _Bucket())
        figures, who_replied = _figures(bucket, replying_by_week=None)
        figures.ran = week in facts.ran
        replying |= who_replied
        weeks.append(figures)
    everything = _Bucket(facts.reminders, facts.replies, facts.withdrawals)
    totals, _ = _figures(everything, replying_by_week=replying)
    totals.ran = all(w.ran for w in weeks)
    return weeks, totals


def _figures(bucket: _Bucket, *, replying_by_week: set[str] | None) -> tuple[Figures, set[str]]:
    """The figures of a set of facts; `replying_by_week`, for the period, the patients who
    replied in a week they were active (else: active in the bucket and replied in it)."""
    out = Figures()
    _count_reminders(out, bucket.reminders)
    active = {r.pseudonym for r in bucket.reminders if r.status != S.CANCELLED}
    reached = {r.pseudonym for r in bucket.reminders if r.status in SENT}
    replied = {r.pseudonym for r in bucket.replies}
    replying = replying_by_week if replying_by_week is not None else active & replied
    out.patients_active, out.patients_reached = len(active), len(reached)
    out.patients_replying = len(replying)
    out.reply_share = _share(len(replying), len(active))
    out.bases["reply_share"] = len(active)
    _count_replies(out, bucket.replies)
    out.opt_outs = len({w.pseudonym for w in bucket.withdrawals if w.by_patient})
    out.withdrawals = len({w.pseudonym for w in bucket.withdrawals if not w.by_patient})
    return out, replying


def _count_reminders(out: Figures, reminders: list[ReminderFact]) -> None:
    out.due = len(reminders)
    out.sent = sum(r.status in SENT for r in reminders)
    out.delivered = sum(r.status in DELIVERED for r in reminders)
    out.read = sum(r.status == S.READ for r in reminders)
    for name in STATUS_COUNTS:
        setattr(out, name, sum(r.status == name for r in reminders))
    settled = [r for r in reminders if r.status in SETTLED]
    out.delivery_rate = _share(out.sent, len(settled))
    out.bases["delivery_rate"] = len({r.pseudonym for r in settled})


def _count_replies(out: Figures, replies: list[ReplyFact]) -> None:
    out.readings = sum(r.has_reading for r in replies)
    out.attention = sum("attention" in r.flags for r in replies)
    out.urgent = sum("urgent" in r.flags for r in replies)
    latest: dict[str, ReplyFact] = {}
    for reply in replies:
        if reply.systolic is None:
            continue
        kept = latest.get(reply.pseudonym)
        if kept is None or reply.received_at >= kept.received_at:
            latest[reply.pseudonym] = reply
    systolics = [r.systolic for r in latest.values() if r.systolic is not None]
    out.bp_patients = len(systolics)
    out.bp_controlled_share = _share(sum(s < CONTROLLED_BELOW for s in systolics), len(systolics))
    out.median_systolic = _median(systolics, 1)
    out.bases["bp_controlled_share"] = out.bases["median_systolic"] = len(systolics)
    resolved = [r for r in replies if "urgent" in r.flags and r.resolved_after_minutes is not None]
    out.urgent_resolution_median_minutes = _median(
        [r.resolved_after_minutes for r in resolved if r.resolved_after_minutes is not None], 1
    )
    out.bases["urgent_resolution_median_minutes"] = len({r.pseudonym for r in resolved})


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def _median(values: Iterable[float], digits: int) -> float | None:
    values = list(values)
    return round(float(median(values)), digits) if values else None


def cohort(facts: Facts, span: Period) -> list[CohortWeek]:
    """Reply share by week since enrolment, for the patients whose follow-up started in the
    period: their week k runs seven days from the start of their follow-up plus k-1 weeks,
    and counts once it is over (by the period's end). A patient is in week k's row if they
    were active in it (a reminder due other than cancelled), replying if they also replied
    in it."""
    active: dict[int, set[str]] = defaultdict(set)
    replied: dict[int, set[str]] = defaultdict(set)
    for reminder in facts.reminders:
        if reminder.status != S.CANCELLED:
            k = _week_of(facts, reminder.pseudonym, reminder.due_at, span)
            if k is not None:
                active[k].add(reminder.pseudonym)
    for reply in facts.replies:
        k = _week_of(facts, reply.pseudonym, reply.received_at, span)
        if k is not None:
            replied[k].add(reply.pseudonym)
    last = max(active, default=0)
    return [CohortWeek(k, len(active[k]), len(active[k] & replied[k])) for k in range(1, last + 1)]


def _week_of(facts: Facts, pseudonym: str, when: datetime, span: Period) -> int | None:
    """The week since enrolment holding `when`, for a patient whose follow-up started in
    the period, if that week was over by the period's end."""
    starts = facts.starts.get(pseudonym)
    if starts is None or starts < span.since or when < starts:
        return None
    index = (when - starts) // WEEK
    if starts + (index + 1) * WEEK > span.until + timedelta(microseconds=1):
        return None
    return index + 1
