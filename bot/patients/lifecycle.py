"""A patient's life after enrolment: pause, resume, end, consent changes, erasure and export."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, delete, select, update

from bot.channels import registry
from bot.patients.enrolment import PatientError, cancel_pending, consents, record_consent, require
from bot.store import audit, db, ledger
from bot.store.models import (
    PLAN_NEVER,
    Consent,
    ConsoleMessage,
    Contact,
    DataKey,
    DeliveryAttempt,
    LinkCode,
    Patient,
    Reminder,
    Reply,
)
from bot.store.store import Store


def pause(store: Store, pseudonym: str, *, actor: str, now: datetime | None = None) -> int:
    """Pause a patient: what falls due while paused is cancelled. Returns how many."""
    now = now or datetime.now(UTC)
    with store.session() as session:
        patient = require(session, pseudonym)
        if patient.status != "active":
            raise PatientError(f"patient {patient.pseudonym} is {patient.status}, not active")
        patient.status, patient.paused_at = "paused", now
        patient.planned_until = PLAN_NEVER  # nothing planned while paused
        session.add(patient)
        cancelled = cancel_pending(session, patient.pseudonym, "patient paused", now)
        audit.record(
            session,
            action="patient.pause",
            actor=actor,
            subject=patient.pseudonym,
            cancelled=cancelled,
            at=now,
        )
        return cancelled


def resume(store: Store, pseudonym: str, *, actor: str, now: datetime | None = None) -> None:
    """Resume at the next occurrence: nothing from the paused weeks is sent in a burst."""
    now = now or datetime.now(UTC)
    with store.session() as session:
        patient = require(session, pseudonym)
        if patient.status != "paused":
            raise PatientError(f"patient {patient.pseudonym} is {patient.status}, not paused")
        patient.status, patient.paused_at = "active", None
        patient.plan_from = max(now, patient.starts_at)
        patient.planned_until = patient.plan_from  # planned afresh from the next slot
        session.add(patient)
        audit.record(
            session, action="patient.resume", actor=actor, subject=patient.pseudonym, at=now
        )


def program_paused(session: Session, program: str, *, paused: bool) -> None:
    """A program paused: its active enrolments have nothing planned until it is resumed;
    resumed: they are planned afresh (from the catch-up grace before the next tick), the
    weeks it was paused left out."""
    session.exec(
        update(Patient)
        .where(col(Patient.program) == program, col(Patient.status) == "active")
        .values(planned_until=PLAN_NEVER if paused else None)
    )


END_REASONS = ("completed", "withdrew", "moved", "readmitted", "deceased", "other")
"""Why a follow-up ended: a fixed code, never free text, since the audit trail keeps it in
clear beside the pseudonym (a sentence typed there could hold a name or a diagnosis)."""


def end(
    store: Store,
    pseudonym: str,
    *,
    reason: str | None,
    actor: str,
    now: datetime | None = None,
) -> int:
    """End a patient's follow-up for good (unlike a pause): status `ended`, every reminder
    not yet gone out cancelled. Their data stays, for the record; `erase` removes it.
    Returns how many reminders were cancelled."""
    if reason is not None and reason not in END_REASONS:
        raise PatientError(f"--reason takes one of: {', '.join(END_REASONS)}")
    now = now or datetime.now(UTC)
    with store.session() as session:
        patient = require(session, pseudonym)
        if patient.status == "ended":
            raise PatientError(f"patient {patient.pseudonym} has already ended")
        patient.status, patient.paused_at = "ended", None
        patient.planned_until = PLAN_NEVER
        session.add(patient)
        cancelled = cancel_pending(session, patient.pseudonym, "patient ended", now)
        audit.record(
            session,
            action="patient.end",
            actor=actor,
            subject=patient.pseudonym,
            reason=reason or "unspecified",
            cancelled=cancelled,
            at=now,
        )
        return cancelled


def change_consent(
    store: Store,
    pseudonym: str,
    *,
    channel: str,
    granted: bool,
    actor: str,
    now: datetime | None = None,
) -> None:
    """A nurse records consent given or withdrawn (e.g. on paper) for one channel."""
    if not registry.known(channel):
        raise PatientError(f"unknown channel; known: {', '.join(registry.NAMES)}")
    with store.session() as session:
        patient = require(session, pseudonym)
        has_contact = session.exec(
            select(Contact).where(
                Contact.pseudonym == patient.pseudonym, Contact.channel == channel
            )
        ).first()
        if granted and registry.typed_address(channel) and has_contact is None:
            raise PatientError(f"patient {patient.pseudonym} has no {channel} address")
        record_consent(
            session,
            pseudonym=patient.pseudonym,
            channel=channel,
            granted=granted,
            method="nurse-paper",
            actor=actor,
            now=now,
        )


@dataclass(frozen=True)
class Erasure:
    pseudonym: str
    # Whether the store's files were purged too (WAL checkpointed and emptied): False when
    # another connection kept a read transaction open past the wait; `purge` finishes it.
    purged: bool


def erase(
    store: Store,
    pseudonym: str,
    *,
    actor: str,
    now: datetime | None = None,
    wait_seconds: float = 30.0,
    record: bool = True,
) -> Erasure:
    """Crypto-shred a patient: destroy their data key and contacts, cancel what is pending.

    Every ciphertext of theirs becomes unreadable, and is dropped too: secure_delete zeroes
    the rows in their pages, and the WAL's older copies are checkpointed away. The patient
    keeps their pseudonym, statuses and audit events, nothing else. The erasure is recorded
    in the ledger first (`record`), so that a restore of an older backup erases them again.
    """
    now = now or datetime.now(UTC)
    with store.session() as session:
        patient = require(session, pseudonym)
        who = patient.pseudonym
        cancel_pending(session, who, "patient erased", now)
        for table in (Contact, LinkCode):
            session.exec(delete(table).where(col(table.pseudonym) == who))
        session.exec(delete(DataKey).where(col(DataKey.owner) == who))
        session.exec(
            update(Reply)
            .where(col(Reply.pseudonym) == who)
            .values(text_enc=b"", readings_enc=None, note_enc=None)
        )
        session.exec(delete(ConsoleMessage).where(col(ConsoleMessage.pseudonym) == who))
        session.exec(  # an admin's notes on resolving their reminders
            update(Reminder).where(col(Reminder.pseudonym) == who).values(note_enc=None)
        )
        attempt_ids = select(DeliveryAttempt.id).join(Reminder).where(Reminder.pseudonym == who)
        session.exec(
            update(DeliveryAttempt)
            .where(col(DeliveryAttempt.id).in_(attempt_ids))
            .values(body_enc=None)
        )
        patient.status, patient.name_enc = "erased", None
        patient.planned_until = PLAN_NEVER
        patient.language = patient.timezone = ""
        patient.reference_index = f"erased:{who}"
        session.add(patient)
        audit.record(session, action="patient.erase", actor=actor, subject=who, at=now)
        if record:
            ledger.append(store.settings, store.keys, who, now)
    store.forget(who)
    return Erasure(who, purged=purge(store, wait_seconds=wait_seconds))


def purge(store: Store, *, wait_seconds: float = 30.0) -> bool:
    """Put the zeroed pages of erased rows in the store file and empty its WAL (SQLite); on
    PostgreSQL, rewrite the data-key table so no deleted data key stays in a dead row (the
    other dead rows hold ciphertexts no key opens; the rest is the server's business)."""
    return db.purge_files(store.engine, wait_seconds=wait_seconds)


def export(store: Store, pseudonym: str, *, actor: str) -> dict[str, Any]:
    """The patient's own data, decrypted (an audited access), for a subject access request."""
    with store.session() as session:
        patient = require(session, pseudonym)
        who = patient.pseudonym

        def dec(blob: bytes | None, table: str, column: str, row: str | int) -> str | None:
            if not blob:
                return None
            return store.decrypt(session, who, blob, table=table, column=column, row=row)

        contacts = {
            c.channel: dec(c.address_enc, "contact", "address", f"{who}:{c.channel}")
            for c in session.exec(select(Contact).where(Contact.pseudonym == who))
        }
        history = [
            {
                "channel": c.channel,
                "granted": c.granted,
                "method": c.method,
                "recorded_by": c.recorded_by,
                "recorded_at": c.recorded_at.isoformat(),
            }
            for c in session.exec(
                select(Consent).where(Consent.pseudonym == who).order_by(col(Consent.id))
            )
        ]
        reminders = [
            {"due_at": r.due_at.isoformat(), "status": r.status, "channel": r.channel}
            for r in session.exec(
                select(Reminder).where(Reminder.pseudonym == who).order_by(col(Reminder.due_at))
            )
        ]
        replies = [
            {
                "received_at": r.received_at.isoformat(),
                "channel": r.channel,
                "text": dec(r.text_enc, "reply", "text", r.id or 0),
                "readings": json.loads(dec(r.readings_enc, "reply", "readings", r.id or 0) or "{}"),
                "flags": [f for f in r.flags.split(",") if f],
            }
            for r in session.exec(
                select(Reply).where(Reply.pseudonym == who).order_by(col(Reply.received_at))
            )
        ]
        audit.record(session, action="patient.export", actor=actor, subject=who)
        return {
            "pseudonym": who,
            "program": patient.program,
            "language": patient.language,
            "timezone": patient.timezone,
            "status": patient.status,
            "name": dec(patient.name_enc, "patient", "name", who),
            "enrolled_at": patient.enrolled_at.isoformat(),
            "contacts": contacts,
            "consent": {"current": consents(session, who), "history": history},
            "reminders": reminders,
            "replies": replies,
        }
