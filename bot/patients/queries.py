"""Questions a nurse asks of the enrolments: who is this reference, who has gone silent.

Both read pseudonyms and times only; finding a reference is audited, since it links a
hospital's own patient number to a pseudonym.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from bot.patients.enrolment import PatientError
from bot.store import audit
from bot.store.models import Patient, Reply
from bot.store.store import Store


def find(store: Store, reference: str, *, actor: str) -> Patient | None:
    """The enrolment of a hospital reference, through its keyed blind index (the reference
    itself is never stored, nor written to the audit trail); None when it is not enrolled.
    An erased patient's index is gone with them: they are not found."""
    if not reference.strip():
        raise PatientError("the hospital reference is empty")
    index = store.keys.reference_index(reference)
    with store.session() as session:
        patient = session.exec(select(Patient).where(Patient.reference_index == index)).first()
        audit.record(
            session,
            action="patient.find",
            actor=actor,
            subject=patient.pseudonym if patient else None,
            found=patient is not None,
        )
        return patient


@dataclass(frozen=True)
class Silence:
    pseudonym: str
    last_reply_at: datetime | None  # None: never replied
    since: datetime  # the last reply, or the enrolment when there was none


def silent(session: Session, *, weeks: int, now: datetime, actor: str) -> list[Silence]:
    """Active patients with no reply for `weeks` weeks: since their last reply, or since
    their enrolment when they never replied. Oldest silence first. Audited (how many were
    found, not who: the pseudonyms are in the answer)."""
    if weeks < 1:
        raise PatientError("--silent-weeks takes a whole number of weeks, 1 or more")
    cutoff = now - timedelta(weeks=weeks)
    last = (
        select(Reply.pseudonym, func.max(Reply.received_at).label("last_at"))
        .where(col(Reply.pseudonym).is_not(None))
        .group_by(col(Reply.pseudonym))
        .subquery()
    )
    since = func.coalesce(last.c.last_at, Patient.enrolled_at)
    query = (
        select(Patient.pseudonym, last.c.last_at, Patient.enrolled_at)
        .outerjoin(last, last.c.pseudonym == Patient.pseudonym)
        .where(Patient.status == "active", since < cutoff)
        .order_by(since, col(Patient.pseudonym))
    )
    found = [
        Silence(pseudonym, last_at, last_at or enrolled_at)
        for pseudonym, last_at, enrolled_at in session.exec(query)
    ]
    audit.record(session, action="patient.silent", actor=actor, weeks=weeks, found=len(found))
    return found
