"""What a report counts, read from the store for one period: reminders, replies (their
readings decrypted in memory only), consent withdrawals and the cycles carebot ran.

Plain SQLAlchemy selects with no dialect-specific function: the same queries run on SQLite
and PostgreSQL, and every time is put into weeks in Python (UTC). Nothing read here is
logged; readings leave this module as numbers attached to a pseudonym that the figures
count and never print.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, true
from sqlalchemy import select as select_columns  # more than sqlmodel's four typed columns
from sqlmodel import Session, col, select

from bot.store.keyring import ErasedError
from bot.store.models import AuditEvent, Consent, DeliveryAttempt, Patient, Reminder, Reply
from bot.store.store import Store

# Consent methods by which a patient withdrew themself: a STOP or a request in words to stop
# (`keyword`), or a provider refusing the recipient (a blocked bot, an unsubscribed number).
PATIENT_METHODS = frozenset({"keyword", "provider"})
# Methods by which a nurse withdrew a consent (`patient consent ... --withdraw`).
NURSE_METHODS = frozenset({"nurse-paper", "cli"})
READINGS = ("systolic", "diastolic", "glucose_mmol_l")  # what makes a reply carry a reading


def utc(value: datetime) -> datetime:
    """A stored time (naive UTC) as an aware UTC time."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class ReminderFact:
    pseudonym: str
    due_at: datetime
    status: str


@dataclass(frozen=True)
class ReplyFact:
    pseudonym: str
    received_at: datetime
    flags: frozenset[str]
    systolic: float | None
    has_reading: bool
    resolved_after_minutes: float | None  # only for a reply resolved by a nurse


@dataclass(frozen=True)
class Withdrawal:
    pseudonym: str
    at: datetime
    by_patient: bool


@dataclass
class Facts:
    """Everything a report of one period needs; `starts` maps each patient to the first day
    of their week 1 (for the cohort view)."""

    reminders: list[ReminderFact] = field(default_factory=list)
    replies: list[ReplyFact] = field(default_factory=list)
    withdrawals: list[Withdrawal] = field(default_factory=list)
    ran: set[date] = field(default_factory=set)  # the Mondays of the weeks carebot ran
    starts: dict[str, datetime] = field(default_factory=dict)


def load(
    store: Store, session: Session, *, mondays: list[date], until: datetime, program: str | None
) -> Facts:
    """The facts of the weeks starting on `mondays`, up to `until`, for one program's
    patients (None: every program)."""
    since = datetime.combine(mondays[0], datetime.min.time(), tzinfo=UTC)
    return Facts(
        reminders=_reminders(session, since, until, program),
        replies=_replies(store, session, since, until, program),
        withdrawals=_withdrawals(session, since, until, program),
        ran=ran_weeks(session, mondays, until),
        starts=_starts(session, program),
    )


def _reminders(
    session: Session, since: datetime, until: datetime, program: str | None
) -> list[ReminderFact]:
    query = select(Reminder.pseudonym, Reminder.due_at, Reminder.status).where(
        col(Reminder.due_at) >= since, col(Reminder.due_at) <= until
    )
    if program is not None:
        query = query.where(Reminder.program == program)
    return [ReminderFact(p, utc(due), status) for p, due, status in session.exec(query)]


def _replies(
    store: Store, session: Session, since: datetime, until: datetime, program: str | None
) -> list[ReplyFact]:
    """Patients' replies (an unknown sender's belong to no program), readings decrypted;
    their texts are not even read."""
    query = (
        select_columns(
            col(Reply.id),
            col(Reply.pseudonym),
            col(Reply.key_owner),
            col(Reply.received_at),
            col(Reply.flags),
            col(Reply.readings_enc),
            col(Reply.reviewed_at),
        )
        .join(Patient, col(Patient.pseudonym) == col(Reply.pseudonym))
        .where(col(Reply.received_at) >= since, col(Reply.received_at) <= until)
    )
    if program is not None:
        query = query.where(col(Patient.program) == program)
    facts = []
    for row_id, pseudonym, owner, received_at, flags, blob, reviewed_at in session.execute(query):
        readings = _readings(store, session, owner, blob, row_id)
        received = utc(received_at)
        resolved = None
        if reviewed_at is not None:
            resolved = max((utc(reviewed_at) - received).total_seconds() / 60, 0.0)
        systolic = readings.get("systolic")
        facts.append(
            ReplyFact(
                pseudonym=pseudonym,
                received_at=received,
                flags=frozenset(filter(None, flags.split(","))),
                systolic=float(systolic) if isinstance(systolic, int | float) else None,
                has_reading=any(readings.get(k) is not None for k in READINGS),
                resolved_after_minutes=resolved,
            )
        )
    return facts


def _readings(
    store: Store, session: Session, owner: str, blob: bytes | None, row: int
) -> dict[str, object]:
    """A reply's readings, or none: erased with its patient, or never analysed."""
    if not blob:
        return {}
    try:
        text = store.decrypt(session, owner, blob, table="reply", column="readings", row=row)
    except ErasedError:
        return {}
    data = json.loads(text)
    return data if isinstance(data, dict) else {}


def _withdrawals(
    session: Session, since: datetime, until: datetime, program: str | None
) -> list[Withdrawal]:
    """Withdrawals in the period of a consent that was granted just before (the previous event
    of that patient and channel), by the patient themself or by a nurse. A withdrawal of a
    channel never granted, or already withdrawn, withdraws nothing and is not counted; one
    made by an address change is neither the patient's nor a nurse's decision."""
    query = (
        select(Consent)
        .join(Patient, col(Patient.pseudonym) == col(Consent.pseudonym))
        .where(col(Consent.recorded_at) <= until)
        .order_by(col(Consent.id))
    )
    if program is not None:
        query = query.where(Patient.program == program)
    granted: dict[tuple[str, str], bool] = {}
    found = []
    for event in session.exec(query):
        key = (event.pseudonym, event.channel)
        was_granted = granted.get(key, False)
        granted[key] = event.granted
        at = utc(event.recorded_at)
        if event.granted or not was_granted or at < since:
            continue
        if event.method in PATIENT_METHODS or event.method in NURSE_METHODS:
            found.append(Withdrawal(event.pseudonym, at, event.method in PATIENT_METHODS))
    return found


def ran_weeks(session: Session, mondays: list[date], until: datetime) -> set[date]:
    """The weeks in which carebot ran a cycle: each cycle's planning writes a `plan` audit
    event dated by the cycle's clock, and only a cycle makes delivery attempts. The database
    returns only the distinct days (UTC) that hold one, so that a year of `carebot run`,
    a cycle a minute, is scanned there once and never sent to Python."""
    since = datetime.combine(mondays[0], datetime.min.time(), tzinfo=UTC)
    postgres = session.get_bind().dialect.name == "postgresql"
    days: set[date] = set()
    for column, where in (
        (col(AuditEvent.at), col(AuditEvent.action) == "plan"),
        (col(DeliveryAttempt.started_at), true()),
    ):
        # SQLite holds UTC text; PostgreSQL a timestamptz, whose date() would follow the
        # session's time zone unless the time is put in UTC first
        day = func.date(func.timezone("UTC", column) if postgres else column)
        query = select_columns(day).distinct().where(where, column >= since, column <= until)
        days |= {date.fromisoformat(str(value)) for (value,) in session.execute(query)}
    return {day - timedelta(days=day.weekday()) for day in days} & set(mondays)


def _starts(session: Session, program: str | None) -> dict[str, datetime]:
    query = select(Patient.pseudonym, Patient.starts_at)
    if program is not None:
        query = query.where(Patient.program == program)
    return {pseudonym: utc(starts) for pseudonym, starts in session.exec(query)}
