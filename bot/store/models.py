"""The tables. Columns ending in `_enc` hold AES-GCM ciphertexts (see crypto.py); nothing
personal is stored in clear. Times are stored as naive UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, Index, LargeBinary, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from bot.store.statuses import AttemptOutcome, ReminderStatus


class Program(SQLModel, table=True):
    """A loaded program file: its validated definition, frozen as JSON when it was added."""

    name: str = Field(primary_key=True)
    version: int = 1
    definition: str  # JSON of the parsed program, templates included
    source_sha256: str
    paused: bool = False
    added_at: datetime


class DataKey(SQLModel, table=True):
    """An owner's data key (a patient's pseudonym, or `_inbox` for unknown senders),
    wrapped by the master key whose fingerprint is `kek_id`. Deleting it is erasure."""

    __tablename__ = "data_key"
    owner: str = Field(primary_key=True)
    wrapped: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    kek_id: str
    created_at: datetime


PLAN_NEVER = datetime(9999, 1, 1, tzinfo=UTC)
"""`Patient.planned_until` of an enrolment that planning has nothing more for (paused,
ended, erased, past its last slot, or of a paused program): it stays out of every tick's
look-up until something sets its mark back."""


class Patient(SQLModel, table=True):
    """An enrolment, known by its pseudonym only."""

    pseudonym: str = Field(primary_key=True)
    reference_index: str = Field(unique=True)
    program: str = Field(foreign_key="program.name", index=True)
    language: str
    timezone: str
    status: str = "active"  # active | paused | ended | erased
    name_enc: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    enrolled_at: datetime
    starts_at: datetime  # first day of week 1
    plan_from: datetime  # nothing earlier is planned: enrolment start, or the last resume
    ends_at: datetime | None = None
    paused_at: datetime | None = None
    # Every slot before it has its reminder (or was left out on purpose); a tick plans only
    # the enrolments whose mark its horizon reaches. None: plan afresh, from the later of
    # `plan_from` and the catch-up grace before now, nothing made `missed` (a new
    # enrolment, a new program version).
    planned_until: datetime | None = Field(default=None, index=True)


class Contact(SQLModel, table=True):
    """A patient's address on one channel (phone number, chat id, X user id)."""

    __table_args__ = (UniqueConstraint("pseudonym", "channel"),)
    id: int | None = Field(default=None, primary_key=True)
    pseudonym: str = Field(foreign_key="patient.pseudonym", index=True)
    channel: str
    address_enc: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    address_index: str = Field(index=True)
    reachable: bool = True
    updated_at: datetime


class Consent(SQLModel, table=True):
    """One consent event; the history is append-only and the newest per channel counts."""

    id: int | None = Field(default=None, primary_key=True)
    pseudonym: str = Field(foreign_key="patient.pseudonym", index=True)
    channel: str
    granted: bool
    method: str  # nurse-paper | deep-link | keyword | provider | cli
    recorded_by: str
    recorded_at: datetime


class LinkCode(SQLModel, table=True):
    """A one-time Telegram deep-link code, stored as a keyed hash only."""

    __tablename__ = "link_code"
    code_index: str = Field(primary_key=True)
    pseudonym: str = Field(foreign_key="patient.pseudonym", index=True)
    expires_at: datetime
    used_at: datetime | None = None


class Reminder(SQLModel, table=True):
    """The outbox: one row per (enrolment, occurrence), saved before anything is sent."""

    id: int | None = Field(default=None, primary_key=True)
    occurrence_key: str = Field(unique=True)
    pseudonym: str = Field(foreign_key="patient.pseudonym", index=True)
    program: str
    local_slot: str  # e.g. 2026-11-23T10:00 in the patient's zone
    due_at: datetime = Field(index=True)
    status: str = Field(default=ReminderStatus.PLANNED, index=True)  # see statuses.py
    channel: str | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    claimed_at: datetime | None = None  # renewed just before each send: the lease's start
    claim_token: str | None = None  # which dispatch cycle holds the claim
    provider_id: str | None = None
    error: str | None = None
    updated_at: datetime
    # an admin's note on resolving it (`carebot reminder resolve`), under the patient's key
    note_enc: bytes | None = Field(default=None, sa_column=Column(LargeBinary))


class DeliveryAttempt(SQLModel, table=True):
    """One try to send a reminder on one channel, recorded before the provider is called."""

    __tablename__ = "delivery_attempt"
    id: int | None = Field(default=None, primary_key=True)
    reminder_id: int = Field(foreign_key="reminder.id", index=True)
    channel: str
    started_at: datetime
    # the real time the request left (`started_at` follows `tick --at`): a look-up at the
    # provider, whose clock is the real one, searches around it
    sent_wall_at: datetime | None = None
    finished_at: datetime | None = None
    outcome: str = AttemptOutcome.PENDING  # see statuses.py
    provider_id: str | None = Field(default=None, index=True)
    error: str | None = None
    body_enc: bytes | None = Field(default=None, sa_column=Column(LargeBinary))


class Reply(SQLModel, table=True):
    """An inbound message, its text and readings encrypted under its owner's data key."""

    id: int | None = Field(default=None, primary_key=True)
    pseudonym: str | None = Field(default=None, index=True)
    key_owner: str  # the data key it is encrypted under: the pseudonym, or `_inbox`
    channel: str
    received_at: datetime = Field(index=True)
    provider_message_id: str | None = Field(default=None, unique=True)
    text_enc: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    readings_enc: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    flags: str = ""  # comma-separated: urgent, attention, opt-out, info
    priority: int = Field(default=3, index=True)  # 0 urgent, 1 attention, 2 opt-out/info, 3
    reviewed: bool = Field(default=False, index=True)
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    note_enc: bytes | None = Field(default=None, sa_column=Column(LargeBinary))


class ConsoleMessage(SQLModel, table=True):
    """What the console channel 'sent': its own provider log, encrypted like the rest."""

    __tablename__ = "console_message"
    id: int | None = Field(default=None, primary_key=True)
    attempt_id: int = Field(unique=True)
    pseudonym: str = Field(index=True)
    body_enc: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sent_at: datetime


class ChannelState(SQLModel, table=True):
    """A channel's own bookmark, e.g. the next Telegram update id to ask for. No personal data."""

    __tablename__ = "channel_state"
    name: str = Field(primary_key=True)
    value: str


class AuditEvent(SQLModel, table=True):
    """One event of the audit log. `detail` is JSON with ids and statuses, never personal data.

    `id` is the order events were appended in; `seq`, `prev_hash` and `hash` (its place in the
    keyed chain) are given by the sealer, and stay empty until then (see bot/store/audit.py);
    `tag`, given at append, is the keyed proof that carebot wrote the event (see audit_tags)."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index(  # sealed events only, so that the seal's read takes the index below
            "ix_audit_event_seq",
            "seq",
            unique=True,
            sqlite_where=text("seq IS NOT NULL"),
            postgresql_where=text("seq IS NOT NULL"),
        ),
        Index(  # given at seal, so that appending writes no more index than before
            "ix_audit_event_tag",
            "tag",
            sqlite_where=text("seq IS NOT NULL"),
            postgresql_where=text("seq IS NOT NULL"),
        ),
        Index(  # the events the sealer has still to read: neither sealed nor refused
            "ix_audit_event_waiting",
            "seq",  # as the seal's read constrains them, so that SQLite prefers it to seq's
            "refused",
            "id",
            sqlite_where=text("seq IS NULL AND refused IS NULL"),
            postgresql_where=text("seq IS NULL AND refused IS NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    seq: int | None = None  # unique among sealed events (ix_audit_event_seq)
    at: datetime
    actor: str
    action: str = Field(index=True)
    subject: str | None = Field(default=None, index=True)
    detail: str = "{}"
    prev_hash: str | None = None
    hash: str | None = None
    tag: str | None = None  # of sealed events indexed: copies are told by their tag
    refused: str | None = None  # why the sealer refused it: never to be sealed (audit_tags)
