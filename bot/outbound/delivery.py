"""A send about to happen (`Delivery`), and the checks made at the moment of sending: may
it go now (`blocked`), by which channel (`choose`), and why not (`unsent`). `batch`
prepares a group of sends with them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from bot.channels import registry
from bot.channels.base import AddressKind, Channel, ChannelError, ErrorKind, OutboundMessage
from bot.outbound.reasons import Unsent, late_reason, not_configured
from bot.patients import enrolment as patients
from bot.programs import catalog
from bot.programs.model import Program
from bot.store.models import Contact, DeliveryAttempt, Patient, Reminder, Reply
from bot.store.models import Program as ProgramRow
from bot.store.statuses import ReminderStatus
from bot.store.store import Store


@dataclass(frozen=True)
class Known:
    """What a group of sends has read already: consents and contacts, by patient."""

    consents: dict[str, dict[str, bool]]
    contacts: dict[str, list[Contact]]
    # rows read for the group and kept here: the session's identity map holds them only
    # while someone does, and `session.get` then finds them without a statement
    held: tuple[object, ...] = ()


# Why a reminder is not sent now: (final or new status, reason, retry at), what `prepare`
# answers instead of a Delivery.
Withheld = tuple[ReminderStatus, str, datetime | None]

WAIT_FOR_SETTINGS = timedelta(minutes=5)  # a reminder left planned for an unconfigured channel


@dataclass(frozen=True)
class Delivery:
    """A send about to happen: its attempt row is already committed."""

    reminder_id: int
    attempt_id: int
    channel: str
    message: OutboundMessage
    provider_id: str | None = None  # known for an earlier attempt (a status callback)

    def mark_unusable(
        self, store: Store, session: Session, error: ChannelError, *, now: datetime
    ) -> None:
        """After a permanent error: withdraw consent (opt-out) or mark the address dead."""
        pseudonym = self.message.pseudonym
        if error.kind is ErrorKind.RECIPIENT_REFUSED:
            patients.record_consent(
                session,
                pseudonym=pseudonym,
                channel=self.channel,
                granted=False,
                method="provider",
                actor="dispatcher",
                now=now,
            )
            return
        contact = session.exec(
            select(Contact).where(Contact.pseudonym == pseudonym, Contact.channel == self.channel)
        ).first()
        if contact is not None:
            contact.reachable, contact.updated_at = False, now
            session.add(contact)

    @classmethod
    def from_attempt(cls, store: Store, session: Session, attempt: DeliveryAttempt) -> Delivery:
        """Rebuild the message of an attempt as it was sent, to look it up at its provider."""
        reminder = session.get(Reminder, attempt.reminder_id)
        assert reminder is not None and attempt.id is not None
        patient = session.get(Patient, reminder.pseudonym)
        program = catalog.get(store, session, reminder.program)
        address = _address(store, session, reminder.pseudonym, attempt.channel)
        body = (
            store.decrypt(
                session,
                reminder.pseudonym,
                attempt.body_enc,
                table="delivery_attempt",
                column="body",
                row=attempt.id,
            )
            if attempt.body_enc
            else ""
        )
        message = OutboundMessage(
            attempt_id=attempt.id,
            pseudonym=reminder.pseudonym,
            address=address,
            body=body,
            created_at=attempt.started_at,
            language=patient.language if patient is not None else "",
            template=program.channel_templates.get(attempt.channel, "reminder"),
            options=program.channel_options.get(attempt.channel, {}),
            last_reply_at=_last_reply(
                session, reminder.pseudonym, attempt.channel, before=attempt.started_at
            ),
        )
        return cls(attempt.reminder_id, attempt.id, attempt.channel, message, attempt.provider_id)


def _address(
    store: Store, session: Session, pseudonym: str, channel: str, known: Known | None = None
) -> str | None:
    if known is not None:
        contact = next((c for c in known.contacts.get(pseudonym, []) if c.channel == channel), None)
    else:
        contact = session.exec(
            select(Contact).where(Contact.pseudonym == pseudonym, Contact.channel == channel)
        ).first()
    if contact is None or not contact.reachable:
        return None
    return store.decrypt(
        session,
        pseudonym,
        contact.address_enc,
        table="contact",
        column="address",
        row=f"{pseudonym}:{channel}",
    )


def _quiet_until(program: Program, timezone: str, now: datetime) -> datetime | None:
    """When quiet hours end, if `now` falls inside them in the patient's zone."""
    if not program.quiet_start or not program.quiet_end:
        return None
    local = now.astimezone(ZoneInfo(timezone))
    start, end = time.fromisoformat(program.quiet_start), time.fromisoformat(program.quiet_end)
    clock = local.time()
    inside = (start <= clock or clock < end) if start > end else (start <= clock < end)
    if not inside:
        return None
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=ZoneInfo(timezone))


def blocked(
    session: Session, reminder: Reminder, patient: Patient | None, program: Program, now: datetime
) -> Withheld | None:
    if patient is None or patient.status != "active":
        return (
            ReminderStatus.CANCELLED,
            f"patient {patient.status if patient else 'erased'}",
            None,
        )
    row = session.get(ProgramRow, program.name)
    if row is not None and row.paused:
        return (ReminderStatus.CANCELLED, "program paused", None)
    deadline = reminder.due_at + timedelta(hours=program.catch_up_grace_hours)
    if now > deadline:
        return (ReminderStatus.MISSED, late_reason(reminder.error), None)
    quiet_end = _quiet_until(program, patient.timezone, now)
    if quiet_end is not None:
        if quiet_end > deadline:
            return (ReminderStatus.MISSED, "quiet hours until past the catch-up grace", None)
        return (ReminderStatus.PLANNED, "quiet hours", quiet_end)
    return None


def choose(
    store: Store,
    session: Session,
    program: Program,
    pseudonym: str,
    channels: dict[str, Channel],
    excluded: set[str],
    known: Known | None = None,
) -> tuple[str, str | None] | Unsent:
    """The first channel in the program's order that is consented, reachable and configured
    in this process; else why none is (`known`: consents and contacts read already)."""
    consent = (
        known.consents.get(pseudonym, {})
        if known is not None
        else patients.consents(session, pseudonym)
    )
    why: dict[str, str] = {}
    waiting: list[str] = []
    for name in program.channels:
        if not consent.get(name):
            why[name] = "no consent"
            continue
        address = None
        if registry.kind(name).address is not AddressKind.NONE:
            address = _address(store, session, pseudonym, name, known)
            if address is None:
                why[name] = "unreachable"
                continue
        if name in excluded:  # refused by its provider in this cycle, for another reason
            why[name] = "refused"
            continue
        if name not in channels:
            why[name] = "not configured"
            waiting.append(name)
            continue
        return name, address
    return Unsent(why, tuple(waiting))


def likely_channel(
    store: Store,
    session: Session,
    *,
    reminder_id: int,
    channels: dict[str, Channel],
    excluded: set[str],
    known: Known | None = None,
) -> tuple[str, str | None] | None:
    """The channel a send would use now and its address, without checking or saving
    anything else."""
    reminder = session.get(Reminder, reminder_id)
    if reminder is None or reminder.status != ReminderStatus.SENDING:
        return None
    program = catalog.get(store, session, reminder.program)
    chosen = choose(store, session, program, reminder.pseudonym, channels, excluded, known)
    return None if isinstance(chosen, Unsent) else chosen


def unsent(reminder: Reminder, program: Program, unsent: Unsent, now: datetime) -> Withheld:
    """`undeliverable`, naming each channel and why; or, when a consented, reachable channel
    is only missing its settings here, left planned for a process that has them (never
    marked undeliverable for that: a tick run without the settings would lose the slot)."""
    if not unsent.waiting:
        return (ReminderStatus.UNDELIVERABLE, unsent.reason(), None)
    deadline = reminder.due_at + timedelta(hours=program.catch_up_grace_hours)
    # out of this cycle's claims; looked at again by a cycle a few minutes on (not every
    # minute of `carebot run`: each look is an audited retry)
    again = min(now + WAIT_FOR_SETTINGS, deadline)
    return (ReminderStatus.PLANNED, not_configured(unsent.waiting[0]), again)


def likely_address(store: Store, session: Session, *, reminder_id: int, channel: str) -> str | None:
    """The patient's address on `channel` (what its rate limits are keyed by), if any."""
    reminder = session.get(Reminder, reminder_id)
    return _address(store, session, reminder.pseudonym, channel) if reminder else None


def _last_reply(
    session: Session, pseudonym: str, channel: str, *, before: datetime | None = None
) -> datetime | None:
    """When the patient last wrote on this channel (before a time, if given)."""
    query = select(func.max(Reply.received_at)).where(
        Reply.pseudonym == pseudonym, Reply.channel == channel
    )
    if before is not None:
        query = query.where(col(Reply.received_at) <= before)
    return session.exec(query).first()
