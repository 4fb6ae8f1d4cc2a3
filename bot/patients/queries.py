"""Questions asked of the enrolments: a patient by pseudonym, their consents, who is this
reference, who has gone silent.

They read pseudonyms, consents and times only, and change nothing but the audit trail:
finding a reference is audited, since it links a hospital's own patient number to a
pseudonym. This module needs the store alone (not the program catalog, templates or triage
that enrolment needs), so that `carebot patient list` and `show` import little.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from bot.errors import CarebotError
from bot.store import audit
from bot.store.models import Consent, Patient, Reply
from bot.store.store import Store

# What a pseudonym looks like (Crockford base32): only such a value is named in an error line.
PSEUDONYM = re.compile(r"P-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")


class PatientError(CarebotError):
    """A refused patient operation, with a one-line reason free of personal data."""


def consents(session: Session, pseudonym: str) -> dict[str, bool]:
    """The patient's current consent per channel: the last event recorded for each counts.

    Recorded, not dated: a provider dates a message to the second by its own clock, so a STOP
    sent just after enrolment could carry a time before the nurse's consent and be outvoted.
    """
    return consents_of(session, [pseudonym]).get(pseudonym, {})


def consents_of(
    session: Session,
    pseudonyms: list[str] | None = None,
) -> dict[str, dict[str, bool]]:
    """`consents` for these patients (or every patient) in one query. An erased patient has
    none: whatever they agreed to went with them."""
    erased = select(Patient.pseudonym).where(Patient.status == "erased")
    # the three columns, not the rows as objects: a fifth of the time for a thousand patients
    query = (
        select(Consent.pseudonym, Consent.channel, Consent.granted)
        .where(col(Consent.pseudonym).not_in(erased))
        .order_by(col(Consent.id))
    )
    if pseudonyms is not None:
        query = query.where(col(Consent.pseudonym).in_(pseudonyms))
    current: dict[str, dict[str, bool]] = {}
    for pseudonym, channel, granted in session.exec(query):
        current.setdefault(pseudonym, {})[channel] = granted
    return current


def withdrawn_by_patient(session: Session, pseudonym: str, channel: str) -> bool:
    """Whether the channel's consent was last withdrawn by the patient themself (a STOP, a
    blocked bot, an unsubscribed number): only that may a patient's START undo."""
    last = session.exec(
        select(Consent)
        .where(
            Consent.pseudonym == pseudonym,
            Consent.channel == channel,
        )
        .order_by(col(Consent.id).desc())
    ).first()
    return last is not None and not last.granted and last.method in ("keyword", "provider")


def require(session: Session, pseudonym: str, *, erased_ok: bool = False) -> Patient:
    """The patient, or a PatientError naming the pseudonym (only if it looks like one: a
    name typed in its place is not repeated; an erased patient only if asked)."""
    wanted = pseudonym.strip().upper()
    patient = session.get(Patient, wanted)
    if patient is None:
        shown = wanted if PSEUDONYM.fullmatch(wanted) else "with that pseudonym (P-XXXX-XXXX)"
        raise PatientError(f"no patient {shown}")
    if patient.status == "erased" and not erased_ok:
        raise PatientError(f"patient {patient.pseudonym} was erased")
    return patient


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
