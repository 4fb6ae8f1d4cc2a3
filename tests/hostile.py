"""A store holding hostile text where the CLI prints data: a patient's name, a reply and its
readings, a contact's channel, a reminder's status, error and provider id. Written straight
into the store, as an older or tampered store could hold it, past enrolment's checks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.patients import enrolment as patients
from bot.store.models import Contact, Patient, Reminder, Reply
from bot.store.store import Store

PROGRAM = "post-stroke-weekly"


@dataclass(frozen=True)
class Seeded:
    pseudonym: str
    reply_id: int
    clear: str  # the text as stored in clear columns (PostgreSQL refuses NUL in text)


def seed(store: Store, text: str, *, ref: str) -> Seeded:
    """Enrol a patient (other patients of the program set aside) and plant `text`."""
    now = datetime.now(UTC)
    clear = text.replace("\x00", "")
    with store.session() as session:
        for other in session.exec(select(Patient).where(Patient.status == "active")):
            other.status = "ended"  # so that `program preview` shows this one
            session.add(other)
    who = patients.enrol(
        store,
        reference=ref,
        program=PROGRAM,
        language="nl",
        timezone="Europe/Brussels",
        name="Jan",
        contacts={},
        consent=["console"],
        actor="test",
        now=now,
    ).pseudonym
    with store.session() as session:
        patient = session.get(Patient, who)
        assert patient is not None
        patient.name_enc = store.encrypt(
            session, who, text, table="patient", column="name", row=who
        )
        session.add(patient)
        session.add(
            Contact(
                pseudonym=who,
                channel=clear or "?",
                address_enc=store.encrypt(
                    session, who, text, table="contact", column="address", row=f"{who}:x"
                ),
                address_index=f"hostile-{ref}",
                updated_at=now,
            )
        )
        session.add(
            Reminder(
                occurrence_key=f"hostile-{ref}",
                pseudonym=who,
                program=PROGRAM,
                local_slot="2026-11-23T10:00",
                due_at=now - timedelta(hours=1),
                status=clear,
                channel=clear,
                provider_id=clear,
                error=clear,
                updated_at=now,
            )
        )
        reply = Reply(
            pseudonym=who,
            key_owner=who,
            channel="console",
            received_at=now,
            text_enc=b"",
            flags="attention",
        )
        session.add(reply)
        session.flush()
        assert reply.id is not None
        reply.text_enc = store.encrypt(
            session, who, text, table="reply", column="text", row=reply.id
        )
        reply.readings_enc = store.encrypt(
            session, who, json.dumps({"note": text}), table="reply", column="readings", row=reply.id
        )
        session.add(reply)
        return Seeded(who, reply.id, clear)
