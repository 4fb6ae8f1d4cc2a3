"""Changing an enrolment: a new address, time zone, language, greeting name or program.

Everything is checked before anything is written, with enrolment's own checks, and written
in one transaction with its audit event. Two rules make an edit safe:

- A new address needs a new consent. The patient agreed to be written to at the address they
  gave; a new number may be someone else's. Consent on that channel is withdrawn (method
  `address-change`, which a patient's START cannot undo) until the nurse records it again
  with `patient consent P-... --grant <channel>`.
- A new zone, language or program replans what has not gone out. Reminders still `planned`
  (never claimed, never tried) are deleted so that the next planning makes them anew, in the
  new zone and program; one already tried and waiting for a retry is cancelled instead, as
  its attempts are kept. Nothing `sending`, `sent` or after changes, and since a reminder's
  key is its program and local slot, a slot already sent is never planned again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, delete, select, update

from bot.channels import addresses, registry
from bot.patients import enrolment
from bot.patients.enrolment import PatientError, require
from bot.patients.fields import check_name, check_timezone
from bot.programs import catalog
from bot.programs.model import Program
from bot.store import audit
from bot.store.models import Contact, Patient, Reminder
from bot.store.statuses import ReminderStatus
from bot.store.store import Store


@dataclass(frozen=True)
class Changes:
    """What a nurse asked to change; None (or no entry) leaves a value as it is."""

    contacts: dict[str, str] = field(default_factory=dict)
    timezone: str | None = None
    language: str | None = None
    name: str | None = None
    program: str | None = None


@dataclass(frozen=True)
class Edited:
    pseudonym: str
    changed: list[str]  # field names: address channels, timezone, language, name, program
    consent_withdrawn: list[str]  # channels whose consent the new address withdrew
    replaced: int  # planned reminders removed, to be planned again


def edit(
    store: Store, pseudonym: str, changes: Changes, *, actor: str, now: datetime | None = None
) -> Edited:
    """Apply the changes that differ from what is stored; audited, with field names only."""
    now = now or datetime.now(UTC)
    if not any(
        (changes.contacts, changes.timezone, changes.language, changes.name, changes.program)
    ):
        raise PatientError("nothing to change: give at least one option")
    if changes.timezone is not None:
        check_timezone(changes.timezone)
    name = check_name(changes.name) if changes.name is not None else None
    with store.session() as session:
        patient = require(session, pseudonym)
        who = patient.pseudonym
        program = _check_program(store, session, patient, changes)
        contacts = _new_addresses(store, session, who, changes.contacts, program.channels)
        changed = sorted(contacts)
        withdrawn = []
        for channel, address in contacts.items():
            enrolment.set_contact(
                store, session, pseudonym=who, channel=channel, address=address, now=now
            )
            if enrolment.consents(session, who).get(channel):
                enrolment.record_consent(
                    session,
                    pseudonym=who,
                    channel=channel,
                    granted=False,
                    method="address-change",
                    actor=actor,
                    now=now,
                )
                withdrawn.append(channel)
        if name is not None:
            patient.name_enc = store.encrypt(
                session, who, name, table="patient", column="name", row=who
            )
            changed.append("name")
        replan = _apply_plan_fields(patient, changes, program, now)
        changed += replan
        session.add(patient)
        replaced = _drop_planned(session, who, now) if replan else 0
        audit.record(
            session,
            action="patient.edit",
            actor=actor,
            subject=who,
            changed=changed,
            consent_withdrawn=withdrawn,
            replaced=replaced,
            at=now,
        )
        return Edited(who, changed, withdrawn, replaced)


def _check_program(store: Store, session: Session, patient: Patient, changes: Changes) -> Program:
    """The program the patient will follow, checked to offer their (new) language."""
    program = catalog.ensure(store, session, changes.program or patient.program, actor="carebot")
    language = changes.language or patient.language
    if language not in program.languages:
        raise PatientError(
            f"the language (--lang) is not offered; choose {', '.join(program.languages)}"
        )
    return program


def _new_addresses(
    store: Store, session: Session, who: str, given: dict[str, str], channels: list[str]
) -> dict[str, str]:
    """The given addresses, normalised, that differ from the stored ones."""
    new = {}
    for channel, address in given.items():
        if not registry.typed_address(channel):
            raise PatientError(f"a {channel} address is linked by the patient, not typed")
        if channel not in channels:
            raise PatientError(f"the program does not use channel {channel}")
        try:
            normal = registry.normalise(channel, address)
        except addresses.AddressError as exc:
            raise PatientError(str(exc)) from exc
        stored = session.exec(
            select(Contact.address_index).where(
                Contact.pseudonym == who, Contact.channel == channel
            )
        ).first()
        if stored != store.keys.address_index(channel, normal):
            new[channel] = normal
    return new


def _apply_plan_fields(
    patient: Patient, changes: Changes, program: Program, now: datetime
) -> list[str]:
    """Set the zone, language and program that differ; the names of those that did."""
    changed = []
    if changes.timezone is not None and changes.timezone != patient.timezone:
        patient.timezone = changes.timezone
        changed.append("timezone")
    if changes.language is not None and changes.language != patient.language:
        patient.language = changes.language
        changed.append("language")
    if changes.program is not None and program.name != patient.program:
        # A new program starts afresh, as an enrolment in it would: its offset, its weeks.
        starts = now + timedelta(days=program.start_offset_days)
        patient.program, patient.starts_at = program.name, starts
        weeks = program.duration_weeks
        patient.ends_at = starts + timedelta(weeks=weeks) if weeks else None
        changed.append("program")
    if changed:
        patient.plan_from = max(_aware(patient.plan_from), _aware(patient.starts_at), now)
        if patient.status == "active":  # replanned from here, in the new zone or program
            patient.planned_until = patient.plan_from
    return changed


def _aware(value: datetime) -> datetime:
    """A stored time (naive UTC) as an aware one."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _drop_planned(session: Session, who: str, now: datetime) -> int:
    """Remove what planning made for later and nobody has tried; cancel what waits for a
    retry. One already due (waiting out quiet hours, say) goes out as it was planned."""
    ahead = (
        col(Reminder.pseudonym) == who,
        col(Reminder.status) == ReminderStatus.PLANNED,
        col(Reminder.due_at) >= now,
    )
    dropped = session.exec(delete(Reminder).where(*ahead, col(Reminder.attempts) == 0))
    session.exec(
        update(Reminder)
        .where(*ahead, col(Reminder.attempts) > 0)
        .values(status=ReminderStatus.CANCELLED, error="patient edited", updated_at=now)
    )
    return int(dropped.rowcount or 0)
