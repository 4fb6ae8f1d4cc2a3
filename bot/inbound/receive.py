"""Receiving a patient's message: dedupe, match, store encrypted, act on keywords, triage.

Every inbound message is stored, matched to its patient through the blind index of its
address (never by decrypting the table), or kept as `unknown sender`. An urgent one is
answered at once with the program's emergency text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from bot.inbound import answers
from bot.inbound.alerts import Notice, on_call_notice
from bot.patients import enrolment as patients
from bot.programs import catalog
from bot.store import audit
from bot.store.keyring import INBOX_OWNER
from bot.store.models import Contact, Patient, Reply
from bot.store.store import Store
from bot.triage.classify import DEFAULT_THRESHOLDS, Triage, classify, with_flags

PRIORITY = {"urgent": 0, "attention": 1, "opt-out": 2, "info": 2}


@dataclass(frozen=True)
class Received:
    """What happened to one inbound message."""

    reply_id: int | None
    pseudonym: str | None
    flags: tuple[str, ...]
    answer: str | None  # text to send back on the same channel at once, if any
    duplicate: bool = False
    notice: Notice | None = None  # for the on-call nurse, when the reply is urgent
    keyword: str | None = None  # a one-word STOP, START or HELP


def match(store: Store, session: Session, channel: str, address: str) -> Patient | None:
    """The patient whose address on this channel this is, through the blind index."""
    index = store.keys.address_index(channel, address)
    contact = session.exec(
        select(Contact).where(Contact.channel == channel, Contact.address_index == index)
    ).first()
    if contact is None:
        return None
    patient = session.get(Patient, contact.pseudonym)
    return patient if patient is not None and patient.status != "erased" else None


def _apply_keyword(
    session: Session, patient: Patient, channel: str, triage: Triage, now: datetime
) -> None:
    stopping = "opt-out" in triage.flags  # STOP, or a request in words to stop
    if not stopping and triage.keyword != "start":
        return  # most replies: no consent to read
    current = patients.consents(session, patient.pseudonym).get(channel)
    if stopping and current is not False:
        patients.record_consent(
            session,
            pseudonym=patient.pseudonym,
            channel=channel,
            granted=False,
            method="keyword",
            actor="patient",
            now=now,
        )
    elif (
        triage.keyword == "start"
        and current is False
        and patients.withdrawn_by_patient(session, patient.pseudonym, channel)
    ):  # not a nurse's withdrawal
        patients.record_consent(
            session,
            pseudonym=patient.pseudonym,
            channel=channel,
            granted=True,
            method="keyword",
            actor="patient",
            now=now,
        )


def receive(
    store: Store,
    *,
    channel: str,
    text: str,
    received_at: datetime,
    pseudonym: str | None = None,
    address: str | None = None,
    provider_message_id: str | None = None,
    flags: tuple[str, ...] = (),
) -> Received:
    """Store and act on one inbound message; a replay of a seen provider id changes nothing.
    `flags` from the channel (e.g. `attention` for a keypress asking for a nurse) join those
    triage finds; a flag carebot does not know is a bug, and raises."""
    with store.session() as session:
        if provider_message_id is not None:
            seen = session.exec(
                select(Reply).where(Reply.provider_message_id == provider_message_id)
            ).first()
            if seen is not None:
                return Received(
                    seen.id,
                    seen.pseudonym,
                    tuple(filter(None, seen.flags.split(","))),
                    None,
                    duplicate=True,
                )
        patient = (
            session.get(Patient, pseudonym)
            if pseudonym
            else match(store, session, channel, address)
            if address
            else None
        )
        if patient is not None and patient.status == "erased":
            patient = None
        program = catalog.get(store, session, patient.program) if patient else None
        triage = classify(
            text,
            program.threshold_values() if program else DEFAULT_THRESHOLDS,
            language=patient.language if patient else None,
        )
        if flags:
            triage = with_flags(triage, flags)
        owner = patient.pseudonym if patient else INBOX_OWNER
        reply = Reply(
            pseudonym=patient.pseudonym if patient else None,
            key_owner=owner,
            channel=channel,
            received_at=received_at,
            provider_message_id=provider_message_id,
            text_enc=b"",
            flags=",".join(triage.flags),
            priority=min((PRIORITY[f] for f in triage.flags), default=3),
        )
        session.add(reply)
        session.flush()
        assert reply.id is not None
        reply.text_enc = store.encrypt(
            session, owner, text, table="reply", column="text", row=reply.id
        )
        reply.readings_enc = store.encrypt(
            session,
            owner,
            json.dumps(_readings(triage)),
            table="reply",
            column="readings",
            row=reply.id,
        )
        audit.record(
            session,
            action="reply.receive",
            actor="patient",
            subject=reply.pseudonym,
            reply=reply.id,
            channel=channel,
            flags=list(triage.flags),
            at=received_at,
        )
        if patient is not None:
            _apply_keyword(session, patient, channel, triage, received_at)
        answer = answers.answer_for(
            triage,
            program=program,
            language=patient.language if patient else None,
            hospital=store.settings.carebot_hospital_contact,
            emergency_number=store.settings.carebot_emergency_number,
        )
        if answer is not None:
            audit.record(
                session,
                action="reply.answer",
                actor="carebot",
                subject=reply.pseudonym,
                reply=reply.id,
                channel=channel,
                urgent="urgent" in triage.flags,
                at=received_at,
            )
        notice = on_call_notice(program, reply.pseudonym) if "urgent" in triage.flags else None
        return Received(
            reply.id, reply.pseudonym, triage.flags, answer, notice=notice, keyword=triage.keyword
        )


def _readings(triage: Triage) -> dict[str, float | int | str | bool | None]:
    r = triage.readings
    return {
        "systolic": r.systolic,
        "diastolic": r.diastolic,
        "glucose_mmol_l": r.glucose_mmol_l,
        "glucose_unit_assumed": r.glucose_unit_assumed,
        "glucose_code": r.glucose_code,
    }
