"""Preparing a group of sends in one transaction: consent and the rest checked at the moment
of sending, the messages rendered, the attempt rows saved and the claims renewed with them,
with a few statements for the whole group instead of a dozen a send.

What the checks read (reminders, patients, consents, contacts, last replies) is read once
for the group (`Known`); the attempts are inserted in one statement and their encrypted
bodies, which name their row, written in one more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, col, func, select

from bot.channels.base import Channel, OutboundMessage
from bot.outbound.delivery import Delivery, Known, Withheld, blocked, choose, unsent
from bot.outbound.reasons import Unsent
from bot.patients import enrolment as patients
from bot.programs import catalog, emergency, render
from bot.programs.model import Program
from bot.store import audit_group
from bot.store.models import Contact, DataKey, DeliveryAttempt, Patient, Reminder, Reply
from bot.store.models import Program as ProgramRow
from bot.store.statuses import AttemptOutcome, ReminderStatus
from bot.store.store import Store

_ATTEMPTS = DeliveryAttempt.__table__  # type: ignore[attr-defined]


def read(session: Session, reminders: list[Reminder], store: Store | None = None) -> Known:
    """What the checks of these reminders' sends need, read once for them all (with
    `store`, their data keys too: the rows of those not unwrapped yet)."""
    pseudonyms = sorted({r.pseudonym for r in reminders})
    contacts: dict[str, list[Contact]] = {p: [] for p in pseudonyms}
    for contact in session.exec(select(Contact).where(col(Contact.pseudonym).in_(pseudonyms))):
        contacts[contact.pseudonym].append(contact)
    names = sorted({r.program for r in reminders})
    held = (
        *session.exec(select(ProgramRow).where(col(ProgramRow.name).in_(names))),
        *(
            session.exec(select(DataKey).where(col(DataKey.owner).in_(pseudonyms)))
            if store is not None
            else ()
        ),
    )
    return Known(consents=patients.consents_of(session, pseudonyms), contacts=contacts, held=held)


def claimed(session: Session, ids: list[int], *, lock: bool) -> dict[int, Reminder]:
    """The reminders of `ids`, by id (locked on PostgreSQL when `lock`, until the commit)."""
    query = select(Reminder).where(col(Reminder.id).in_(ids))
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return {r.id: r for r in session.exec(query) if r.id is not None}


@dataclass(frozen=True)
class Wanted:
    """A send to prepare: the reminder and the channels already refused in this cycle."""

    reminder_id: int
    excluded: frozenset[str]


@dataclass
class _Ready:
    """A send that passed its checks, not saved yet."""

    reminder: Reminder
    patient: Patient
    program: Program
    channel: str
    address: str | None
    body: str


def prepare(
    store: Store,
    session: Session,
    *,
    wanted: list[Wanted],
    reminders: dict[int, Reminder],
    now: datetime,
    channels: dict[str, Channel],
) -> list[Delivery | Withheld | None]:
    """Check, choose, render and save the attempt of each claimed reminder (those of
    `reminders`), its claim renewed with it; or say why nothing is sent (None: not ours
    any more)."""
    mine = [reminders[w.reminder_id] for w in wanted if w.reminder_id in reminders]
    known = read(session, mine, store)
    people = {
        p.pseudonym: p
        for p in session.exec(
            select(Patient).where(col(Patient.pseudonym).in_(sorted(known.contacts)))
        )
    }
    answers: list[Delivery | Withheld | None] = []
    ready: list[tuple[int, _Ready]] = []
    for w in wanted:
        reminder = reminders.get(w.reminder_id)
        answer = (
            _check(store, session, reminder, people, known, now, channels, set(w.excluded))
            if reminder is not None
            else None
        )
        if isinstance(answer, _Ready):
            ready.append((len(answers), answer))
            answer = None
        answers.append(answer)
    for (at, _), delivery in zip(ready, _save(store, session, ready, known, now), strict=True):
        answers[at] = delivery
    return answers


def _check(
    store: Store,
    session: Session,
    reminder: Reminder,
    people: dict[str, Patient],
    known: Known,
    now: datetime,
    channels: dict[str, Channel],
    excluded: set[str],
) -> _Ready | Withheld | None:
    patient = people.get(reminder.pseudonym)
    program = catalog.get(store, session, reminder.program)
    withheld = blocked(session, reminder, patient, program, now)
    if withheld is not None or patient is None:
        return withheld
    chosen = choose(store, session, program, patient.pseudonym, channels, excluded, known)
    if isinstance(chosen, Unsent):
        return unsent(reminder, program, chosen, now)
    channel, address = chosen
    body = _render(store, session, program, patient, reminder, channel, known)
    return _Ready(reminder, patient, program, channel, address, body)


def _render(
    store: Store,
    session: Session,
    program: Program,
    patient: Patient,
    reminder: Reminder,
    channel: str,
    known: Known,
) -> str:
    """The reminder's text for this patient on this channel, in their language."""
    name = (
        store.decrypt(
            session,
            patient.pseudonym,
            patient.name_enc,
            table="patient",
            column="name",
            row=patient.pseudonym,
        )
        if patient.name_enc
        else ""
    )
    week = (reminder.due_at - patient.starts_at).days // 7 + 1
    number = emergency.patient_number(
        store, session, patient, program, contacts=known.contacts.get(patient.pseudonym, [])
    )
    return render.render_message(
        program,
        channel=channel,
        language=patient.language,
        name=name,
        week=max(week, 1),
        emergency_number=number,
        hospital=store.settings.carebot_hospital_contact,
    )


def _save(
    store: Store, session: Session, ready: list[tuple[int, _Ready]], known: Known, now: datetime
) -> list[Delivery]:
    """The attempt rows, their bodies encrypted, saved (and audited) before any provider is
    called; stamped with the real time their requests leave (the provider's clock is the
    real one, whatever `tick --at` makes carebot's)."""
    if not ready:
        return []
    wall = datetime.now(UTC)
    ids = _insert_attempts(store, session, [r for _, r in ready], now, wall)
    for _, r in ready:  # flushed together, by the first audit event below
        r.reminder.attempts += 1
        r.reminder.channel = r.channel
        r.reminder.claimed_at = now  # the claim renewed just before its send
        session.add(r.reminder)
    replies = _last_replies(session, [r for _, r in ready])
    audit_group.record_many(
        session,
        actor="dispatcher",
        entries=[
            audit_group.Entry(
                "send.attempt",
                r.reminder.pseudonym,
                now,
                {"reminder": r.reminder.id, "attempt": aid, "channel": r.channel},
            )
            for aid, (_, r) in zip(ids, ready, strict=True)
        ],
    )
    return [_delivery(aid, r, now, wall, replies) for aid, (_, r) in zip(ids, ready, strict=True)]


def _insert_attempts(
    store: Store, session: Session, ready: list[_Ready], now: datetime, wall: datetime
) -> list[int]:
    """The attempt rows in one INSERT, then their encrypted bodies (which name their row)
    in one UPDATE; their ids, in the order of `ready`."""
    rows = [
        {
            "reminder_id": r.reminder.id,
            "channel": r.channel,
            "started_at": now,
            "sent_wall_at": wall,
            "outcome": AttemptOutcome.PENDING,
        }
        for r in ready
    ]
    # matched by reminder (one attempt each), not by order
    inserted = session.execute(
        insert(_ATTEMPTS).returning(_ATTEMPTS.c.id, _ATTEMPTS.c.reminder_id), rows
    )
    by_reminder = {reminder_id: aid for aid, reminder_id in inserted}
    ids = [by_reminder[r.reminder.id] for r in ready]
    session.execute(
        update(_ATTEMPTS).where(_ATTEMPTS.c.id == bindparam("aid")),
        [
            {
                "aid": aid,
                "body_enc": store.encrypt(
                    session,
                    r.reminder.pseudonym,
                    r.body,
                    table="delivery_attempt",
                    column="body",
                    row=aid,
                ),
            }
            for aid, r in zip(ids, ready, strict=True)
        ],
    )
    return ids


def _delivery(
    aid: int, r: _Ready, now: datetime, wall: datetime, replies: dict[tuple[str, str], datetime]
) -> Delivery:
    assert r.reminder.id is not None
    message = OutboundMessage(
        attempt_id=aid,
        pseudonym=r.patient.pseudonym,
        address=r.address,
        body=r.body,
        created_at=now,
        language=r.patient.language,
        template=r.program.channel_templates.get(r.channel, "reminder"),
        options=r.program.channel_options.get(r.channel, {}),
        last_reply_at=replies.get((r.patient.pseudonym, r.channel)),
        sent_wall_at=wall,
    )
    return Delivery(r.reminder.id, aid, r.channel, message)


def _last_replies(session: Session, ready: list[_Ready]) -> dict[tuple[str, str], datetime]:
    """When each patient last wrote on each channel, if ever."""
    pseudonyms = sorted({r.patient.pseudonym for r in ready})
    query = (
        select(Reply.pseudonym, Reply.channel, func.max(Reply.received_at))
        .where(col(Reply.pseudonym).in_(pseudonyms))
        .group_by(col(Reply.pseudonym), col(Reply.channel))
    )
    return {(p, c): at for p, c, at in session.exec(query) if p is not None and at is not None}


def still_ours(reminder: Reminder | None, token: str) -> bool:
    """Whether the reminder is still claimed under `token`."""
    return (
        reminder is not None
        and reminder.status == ReminderStatus.SENDING
        and reminder.claim_token == token
    )
