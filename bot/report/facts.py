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
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from bot.store.keyring import ErasedError
from bot.store.models import AuditEvent, Consent, DeliveryAttempt, Patient, Reminder, Reply
from bot.store.store import Store

# Consent methods by which a patient withdrew themself: a STOP or a request in words to stop
# (`keyword`), or a provider refusing the recipient (a blocked bot, an unsubscribed number).
PATIENT_METHODS = frozenset({"keyword", "provider"})
# Methods by which a nurse withdrew a consent (`patient consent ... --withdraw`).
NURSE_METHODS = frozenset({"nurse-paper", "cli"})


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
    cycles: list[datetime] = field(default_factory=list)
    starts: dict[str, datetime] = field(default_factory=dict)


def load(
    store: Store, session: Session, *, since: datetime, until: datetime, program: str | None
) -> Facts:
    """The facts of [since, until] for one program's patients (None: every program)."""
    return Facts(
        reminders=_reminders(session, since, until, program),
        replies=_replies(store, session, since, until, program),
        withdrawals=_withdrawals(session, since, until, program),
        cycles=_cycles(session, since, until),
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
    """Patients' replies (an unknown sender's belong to no program), readings decrypted."""
    query = (
        select(Reply, Patient.program)
        .join(Patient, col(Patient.pseudonym) == col(Reply.pseudonym))
        .where(col(Reply.received_at) >= since, col(Reply.received_at) <= until)
    )
    if program is not None:
        query = query.where(Patient.program == program)
    facts = []
    for reply, _ in session.exec(query):
        assert reply.pseudonym is not None and reply.id is not None
        readings = _readings(store, session, reply)
        received = utc(reply.received_at)
        resolved = None
        if reply.reviewed and reply.reviewed_at is not None:
            resolved = max((utc(reply.reviewed_at) - received).total_seconds() / 60, 0.0)
        systolic = readings.get("systolic")
        facts.append(
            ReplyFact(
                pseudonym=reply.pseudonym,
                received_at=received,
                flags=frozenset(filter(None, reply.flags.split(","))),
                systolic=float(systolic) if isinstance(systolic, int | float) else None,
                has_reading=any(
                    readings.get(k) is not None for k in ("systolic", "diastolic", "glucose_mmol_l")
                ),
                resolved_after_minutes=resolved,
            )
        )
    return facts


def _readings(store: Store, session: Session, reply: Reply) -> dict[str, object]:
    """A reply's readings, or none: erased with its patient, or never analysed."""
    if not reply.readings_enc:
        return {}
    try:
        text = store.decrypt(
            session,
            reply.key_owner,
            reply.readings_enc,
            table="reply",
            column="readings",
            row=reply.id or 0,
        )
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


def _cycles(session: Session, since: datetime, until: datetime) -> list[datetime]:
    """When carebot ran a cycle: each cycle's planning writes a `plan` audit event dated by
    the cycle's clock; a delivery attempt is only ever made by a cycle too."""
    plans = session.exec(
        select(AuditEvent.at).where(
            AuditEvent.action == "plan", col(AuditEvent.at) >= since, col(AuditEvent.at) <= until
        )
    )
    attempts = session.exec(
        select(DeliveryAttempt.started_at).where(
            col(DeliveryAttempt.started_at) >= since, col(DeliveryAttempt.started_at) <= until
        )
    )
    return [utc(at) for at in plans] + [utc(at) for at in attempts]


def _starts(session: Session, program: str | None) -> dict[str, datetime]:
    query = select(Patient.pseudonym, Patient.starts_at)
    if program is not None:
        query = query.where(Patient.program == program)
    return {pseudonym: utc(starts) for pseudonym, starts in session.exec(query)}
