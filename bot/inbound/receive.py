"""Receiving a patient's message: dedupe, match, store encrypted, act on keywords, triage.

Every inbound message is stored, matched to its patient through the blind index of its
address (never by decrypting the table), or kept as `unknown sender`. An urgent one is
answered at once with the program's emergency text.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from bot.inbound import answers
from bot.inbound.alerts import Notice, on_call_notice
from bot.patients import enrolment as patients
from bot.programs import catalog, emergency
from bot.programs.model import Program
from bot.store import audit
from bot.store.keyring import INBOX_OWNER
from bot.store.models import Contact, Patient, Reply
from bot.store.store import Store
from bot.triage.classify import DEFAULT_THRESHOLDS, FLAGS, Triage, classify, with_flags
from bot.triage.keywords import keyword_of
from bot.triage.readings import Readings
from bot.triage.warning_signs import warning_signs

PRIORITY = {"urgent": 0, "attention": 1, "opt-out": 2, "info": 2}
# What `replies show` says of a reply whose analysis failed (its readings are not read).
UNANALYSED = "could not be analysed"
log = logging.getLogger("carebot.inbound")


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
    triage finds; a flag carebot does not know is a bug, and raises. The reply is stored
    before it is analysed, and an analysis that fails still leaves it in the queue."""
    unknown = set(flags) - set(FLAGS)
    if unknown:
        raise ValueError(f"unknown flag(s): {', '.join(sorted(unknown))}")
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
        reply = _store(store, session, patient, channel, text, received_at, provider_message_id)
        program, triage, failure = analyse(store, session, patient, text)
        triage = with_flags(triage, flags) if flags else triage
        _file(store, session, reply, triage, failure=failure)
        return _act(
            store, session, reply, patient, program, triage, at=received_at, address=address
        )


def _store(
    store: Store,
    session: Session,
    patient: Patient | None,
    channel: str,
    text: str,
    received_at: datetime,
    provider_message_id: str | None,
) -> Reply:
    """The reply, its text encrypted, saved before anything reads it."""
    owner = patient.pseudonym if patient else INBOX_OWNER
    reply = Reply(
        pseudonym=patient.pseudonym if patient else None,
        key_owner=owner,
        channel=channel,
        received_at=received_at,
        provider_message_id=provider_message_id,
        text_enc=b"",
        flags="attention",  # until it is analysed
        priority=PRIORITY["attention"],
    )
    session.add(reply)
    session.flush()
    assert reply.id is not None
    reply.text_enc = store.encrypt(session, owner, text, table="reply", column="text", row=reply.id)
    session.flush()
    return reply


def analyse(
    store: Store, session: Session, patient: Patient | None, text: str
) -> tuple[Program | None, Triage, str | None]:
    """The program and triage of a reply, and the kind of error if its analysis failed (a
    stored program with a threshold that is not a number, a bug): then the reply is
    `attention` for a nurse to read, and `urgent` still if the warning-sign check alone
    finds a sign, so that the patient is still told to call the emergency number."""
    program: Program | None = None
    try:
        program = catalog.get(store, session, patient.program) if patient else None
        triage = classify(
            text,
            program.threshold_values() if program else DEFAULT_THRESHOLDS,
            language=patient.language if patient else None,
        )
    except Exception as exc:  # noqa: BLE001 - the reply is kept, whatever went wrong
        log.warning("a reply could not be analysed (%s)", type(exc).__name__)
        return program, _fallback(text), type(exc).__name__
    return program, triage, None


def _fallback(text: str) -> Triage:
    """What can still be read of a reply whose analysis failed: warning signs and a
    one-word keyword, each on its own; `attention` always."""
    try:
        signs = warning_signs(text)
    except Exception:  # noqa: BLE001
        signs = ()
    try:
        keyword = keyword_of(text)
    except Exception:  # noqa: BLE001
        keyword = None
    raised = {
        "urgent": bool(signs),
        "attention": True,
        "opt-out": keyword == "stop",
        "info": keyword == "help",
    }
    flags = tuple(flag for flag in FLAGS if raised[flag])
    return Triage(flags=flags, readings=Readings(), signs=signs, keyword=keyword)


def _file(
    store: Store, session: Session, reply: Reply, triage: Triage, *, failure: str | None
) -> None:
    """The reply's flags, priority and readings (encrypted), and its audit event."""
    assert reply.id is not None
    readings: dict[str, object] = dict(_readings(triage))
    if failure is not None:
        readings["analysis"] = UNANALYSED
    reply.flags = ",".join(triage.flags)
    reply.priority = min((PRIORITY[f] for f in triage.flags), default=3)
    reply.readings_enc = store.encrypt(
        session,
        reply.key_owner,
        json.dumps(readings),
        table="reply",
        column="readings",
        row=reply.id,
    )
    session.add(reply)
    detail: dict[str, object] = {"analysis": "failed", "error": failure} if failure else {}
    audit.record(
        session,
        action="reply.receive",
        actor="patient",
        subject=reply.pseudonym,
        reply=reply.id,
        channel=reply.channel,
        flags=list(triage.flags),
        at=reply.received_at,
        **detail,
    )


def _act(
    store: Store,
    session: Session,
    reply: Reply,
    patient: Patient | None,
    program: Program | None,
    triage: Triage,
    *,
    at: datetime,
    address: str | None,
) -> Received:
    """Consent from a STOP or START, the answer to send back at once, the on-call notice."""
    if patient is not None:
        _apply_keyword(session, patient, reply.channel, triage, at)
    urgent = "urgent" in triage.flags
    answer = answers.answer_for(
        triage,
        program=program,
        language=patient.language if patient else None,
        hospital=store.settings.carebot_hospital_contact,
        emergency_number=_number(store, session, patient, program, address) if urgent else "",
    )
    if answer is not None:
        audit.record(
            session,
            action="reply.answer",
            actor="carebot",
            subject=reply.pseudonym,
            reply=reply.id,
            channel=reply.channel,
            urgent=urgent,
            at=at,
        )
    notice = on_call_notice(program, reply.pseudonym) if urgent else None
    return Received(
        reply.id, reply.pseudonym, triage.flags, answer, notice=notice, keyword=triage.keyword
    )


def _number(
    store: Store,
    session: Session,
    patient: Patient | None,
    program: Program | None,
    address: str | None,
) -> str:
    """The emergency number for this patient; for an unknown sender, that of the country of
    the number they wrote from (if it is a phone number), else the default region's."""
    if patient is not None:
        return emergency.patient_number(store, session, patient, program)
    settings = store.settings
    region = emergency.region_of_phone(address or "") or settings.carebot_default_region
    return emergency.number_for_region(region, fallback=settings.carebot_emergency_number)


def _readings(triage: Triage) -> dict[str, float | int | str | bool | None]:
    r = triage.readings
    return {
        "systolic": r.systolic,
        "diastolic": r.diastolic,
        "glucose_mmol_l": r.glucose_mmol_l,
        "glucose_unit_assumed": r.glucose_unit_assumed,
        "glucose_code": r.glucose_code,
    }
