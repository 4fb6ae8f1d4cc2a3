"""Enrolment: a patient's pseudonym, addresses, consents and links, and what changes them.

The read-only questions (consents, a patient by pseudonym) are in `bot.patients.queries`,
importable without the program catalog; their names stay importable from here.

Every function validates everything before it writes anything, and writes in one
transaction with its audit event, so a refused operation leaves no trace but its reason.
"""

from __future__ import annotations

import secrets
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select, update

from bot.channels import addresses, registry
from bot.patients.fields import check_name, check_timezone, first_day
from bot.patients.queries import PSEUDONYM as PSEUDONYM
from bot.patients.queries import PatientError as PatientError
from bot.patients.queries import consents as consents
from bot.patients.queries import consents_of as consents_of
from bot.patients.queries import require as require
from bot.patients.queries import withdrawn_by_patient as withdrawn_by_patient
from bot.programs import catalog
from bot.store import audit
from bot.store.models import Consent, Contact, LinkCode, Patient, Reminder
from bot.store.statuses import ReminderStatus
from bot.store.store import Store


@dataclass(frozen=True)
class Enrolment:
    pseudonym: str
    links: dict[str, str]
    """Per consented LINKED channel, the one-time deep link that binds the patient's address."""
    created: bool


def _check_enrolment(
    program_channels: list[str],
    languages: list[str],
    *,
    language: str,
    name: str,
    contacts: dict[str, str],
    consent: list[str],
    region: str,
) -> dict[str, str]:
    if language not in languages:
        raise PatientError(f"the language (--lang) is not offered; choose {', '.join(languages)}")
    check_name(name)
    for channel in consent:
        if not registry.known(channel):
            raise PatientError(
                f"--consent names an unknown channel; known: {', '.join(registry.NAMES)}"
            )
        if channel not in program_channels:
            raise PatientError(f"the program does not use channel {channel}")
        if registry.typed_address(channel) and channel not in contacts:
            raise PatientError(f"consent to {channel} needs its address (--{channel})")
    try:
        return {ch: registry.normalise(ch, addr, region=region) for ch, addr in contacts.items()}
    except addresses.AddressError as exc:
        raise PatientError(str(exc)) from exc


def _new_pseudonym(store: Store, session: Session, reference: str) -> str:
    for attempt in range(16):
        candidate = store.keys.pseudonym(reference, attempt=attempt)
        if session.get(Patient, candidate) is None:
            return candidate
    raise PatientError("no free pseudonym could be derived for this reference")


def enrol(
    store: Store,
    *,
    reference: str,
    program: str,
    language: str,
    timezone: str,
    name: str,
    contacts: dict[str, str],
    consent: list[str],
    actor: str,
    now: datetime | None = None,
    session: Session | None = None,
) -> Enrolment:
    """Enrol a patient, or find the existing enrolment of the same hospital reference.
    In the caller's `session` when given (an import enrols every row in one transaction)."""
    now = now or datetime.now(UTC)
    if not reference.strip():
        raise PatientError("the hospital reference is empty")
    check_timezone(timezone)
    with nullcontext(session) if session is not None else store.session() as session:
        prog = catalog.ensure(store, session, program, actor="carebot")
        normalised = _check_enrolment(
            prog.channels,
            prog.languages,
            language=language,
            name=name,
            contacts=contacts,
            consent=consent,
            region=store.settings.carebot_default_region,
        )
        existing = session.exec(
            select(Patient).where(Patient.reference_index == store.keys.reference_index(reference))
        ).first()
        if existing is not None:
            audit.record(
                session, action="patient.enrol.repeat", actor=actor, subject=existing.pseudonym
            )
            links = _issue_links(store, session, existing.pseudonym, consent, now)
            return Enrolment(existing.pseudonym, links, created=False)
        pseudonym = _new_pseudonym(store, session, reference)
        starts = first_day(now, timezone=timezone, offset_days=prog.start_offset_days)
        patient = Patient(
            pseudonym=pseudonym,
            reference_index=store.keys.reference_index(reference),
            program=prog.name,
            language=language,
            timezone=timezone,
            enrolled_at=now,
            starts_at=starts,
            plan_from=starts,
            ends_at=starts + timedelta(weeks=prog.duration_weeks) if prog.duration_weeks else None,
        )
        session.add(patient)
        store.create_data_key(session, pseudonym)
        patient.name_enc = store.encrypt(
            session, pseudonym, check_name(name), table="patient", column="name", row=pseudonym
        )
        for channel, address in normalised.items():
            _set_contact(store, session, pseudonym, channel, address, now)
        session.flush()
        audit.record(
            session,
            action="patient.enrol",
            actor=actor,
            subject=pseudonym,
            program=prog.name,
            language=language,
            channels=sorted(normalised),
        )
        for channel in consent:
            record_consent(
                session,
                pseudonym=pseudonym,
                channel=channel,
                granted=True,
                method="nurse-paper",
                actor=actor,
                now=now,
            )
        return Enrolment(pseudonym, _issue_links(store, session, pseudonym, consent, now), True)


def _set_contact(
    store: Store, session: Session, pseudonym: str, channel: str, address: str, now: datetime
) -> None:
    index = store.keys.address_index(channel, address)
    for other in session.exec(
        select(Contact.pseudonym).where(
            Contact.channel == channel,
            Contact.address_index == index,
            Contact.pseudonym != pseudonym,
        )
    ):
        owner = session.get(Patient, other)
        if owner is not None and owner.status != "erased":
            # A reply from a shared address could not be told apart: whose reading, whose
            # STOP? Refused rather than guessed.
            raise PatientError(
                f"this {channel} address is already the contact of {other}; "
                "use another channel for one of the two patients"
            )
    contact = session.exec(
        select(Contact).where(Contact.pseudonym == pseudonym, Contact.channel == channel)
    ).first()
    if contact is None:
        contact = Contact(
            pseudonym=pseudonym, channel=channel, address_enc=b"", address_index="", updated_at=now
        )
    contact.address_enc = store.encrypt(
        session, pseudonym, address, table="contact", column="address", row=f"{pseudonym}:{channel}"
    )
    contact.address_index = index
    contact.reachable, contact.updated_at = True, now
    session.add(contact)


def set_contact(
    store: Store, session: Session, *, pseudonym: str, channel: str, address: str, now: datetime
) -> None:
    """Store (or replace) a patient's address on a channel, e.g. a Telegram chat once bound."""
    region = store.settings.carebot_default_region
    address = registry.normalise(channel, address, region=region)
    _set_contact(store, session, pseudonym, channel, address, now)


def _issue_links(
    store: Store, session: Session, pseudonym: str, consent: list[str], now: datetime
) -> dict[str, str]:
    """A one-time code for each consented channel whose address the patient links, kept
    as a keyed index only, and the channel's deep link that carries it."""
    links = {}
    for channel in consent:
        if not registry.linked(channel):
            continue
        kind = registry.kind(channel)
        code = secrets.token_urlsafe(18)
        try:
            link = kind.link(store.settings, code)
        except ValueError:
            continue  # no link without the bot's name (enrolled --allow-unconfigured): enrolling
            # again once it is set issues one
        expires = now + kind.link_lifetime(store.settings)
        session.add(
            LinkCode(
                code_index=store.keys.code_index(code), pseudonym=pseudonym, expires_at=expires
            )
        )
        audit.record(session, action=f"{channel}.link.issue", actor="carebot", subject=pseudonym)
        links[channel] = link
    return links


def record_consent(
    session: Session,
    *,
    pseudonym: str,
    channel: str,
    granted: bool,
    method: str,
    actor: str,
    now: datetime | None = None,
) -> None:
    """Append a consent event (the history is never edited) and audit it."""
    when = now or datetime.now(UTC)
    session.add(
        Consent(
            pseudonym=pseudonym,
            channel=channel,
            granted=granted,
            method=method,
            recorded_by=actor,
            recorded_at=when,
        )
    )
    audit.record(
        session,
        action="consent.grant" if granted else "consent.withdraw",
        actor=actor,
        subject=pseudonym,
        channel=channel,
        method=method,
        at=when,
    )


def cancel_pending(session: Session, pseudonym: str, reason: str, now: datetime) -> int:
    """Cancel every reminder of the patient that has not gone out yet."""
    result = session.exec(
        update(Reminder)
        .where(
            col(Reminder.pseudonym) == pseudonym,
            col(Reminder.status) == ReminderStatus.PLANNED,
        )
        .values(status=ReminderStatus.CANCELLED, error=reason, updated_at=now)
    )
    return int(result.rowcount or 0)
