"""What a FHIR export holds, read from the store and decrypted: one list of resources per
patient, erased patients and unknown senders left out.

The store is read table by table (one query each, grouped here by patient), with plain
SELECTs that SQLite and PostgreSQL run alike. `since` keeps what changed on or after it: a
consent recorded, a reminder whose status last changed, a reply received or resolved, a
patient enrolled; a patient with none of these is left out of an export with `since`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, or_, select

from bot.export import fhir_clinical as clinical
from bot.export import fhir_resources as fhir
from bot.export.fhir_resources import Resource
from bot.store.models import Consent, DeliveryAttempt, Patient, Reminder, Reply
from bot.store.statuses import AttemptOutcome
from bot.store.store import Store

# Columns rather than whole rows: building thousands of model objects cost more than the
# rest of the export's reading.
REMINDER_COLUMNS = (
    col(Reminder.id),
    col(Reminder.pseudonym),
    col(Reminder.program),
    col(Reminder.status),
    col(Reminder.channel),
    col(Reminder.due_at),
    col(Reminder.updated_at),
)
REPLY_COLUMNS = (
    col(Reply.id),
    col(Reply.pseudonym),
    col(Reply.channel),
    col(Reply.received_at),
    col(Reply.text_enc),
    col(Reply.readings_enc),
    col(Reply.flags),
    col(Reply.reviewed),
    col(Reply.reviewed_by),
    col(Reply.reviewed_at),
)
SENT = frozenset({"sent", "delivered", "read", "unconfirmed"})
DELIVERED = frozenset({"delivered", "read"})


@dataclass(frozen=True)
class Selection:
    """What to export: changes since a time (None: everything), one patient or all, and
    whether replies' texts go in their Communication's payload."""

    since: datetime | None = None
    pseudonym: str | None = None
    texts: bool = True


@dataclass
class Gathered:
    """The resources of each patient exported, the Patient first."""

    by_patient: dict[str, list[Resource]] = field(default_factory=dict)

    def drop(self, pseudonyms: Iterable[str]) -> None:
        """Leave these patients out (erased since they were read)."""
        for pseudonym in pseudonyms:
            self.by_patient.pop(pseudonym, None)

    def counts(self) -> dict[str, int]:
        """How many resources of each type, for the manifest and the audit event."""
        found: dict[str, int] = defaultdict(int)
        for resources in self.by_patient.values():
            for resource in resources:
                found[resource["resourceType"]] += 1
        return dict(sorted(found.items()))


def gather(store: Store, session: Session, selection: Selection) -> Gathered:
    """Every resource of the selected, non-erased patients (see the module's docstring)."""
    patients = _patients(session, selection)
    events: dict[str, list[Resource]] = defaultdict(list)
    for pseudonym, resource in _consents(session, selection, patients):
        events[pseudonym].append(resource)
    for pseudonym, resource in _reminders(session, selection, patients):
        events[pseudonym].append(resource)
    for pseudonym, resource in _replies(store, session, selection, patients):
        events[pseudonym].append(resource)
    gathered = Gathered()
    since = selection.since
    for row in patients.values():
        mine = events.get(row.pseudonym, [])
        if since is not None and not mine and fhir.utc(row.enrolled_at) < since:
            continue
        active = row.status in ("active", "paused")
        gathered.by_patient[row.pseudonym] = [fhir.patient(row.pseudonym, active=active), *mine]
    return gathered


def _patients(session: Session, selection: Selection) -> dict[str, Patient]:
    query = select(Patient).where(Patient.status != "erased")
    if selection.pseudonym is not None:
        query = query.where(Patient.pseudonym == selection.pseudonym)
    return {p.pseudonym: p for p in session.exec(query.order_by(col(Patient.pseudonym)))}


def _consents(
    session: Session, selection: Selection, patients: dict[str, Patient]
) -> Iterable[tuple[str, Resource]]:
    """Each consent event; the newest per channel is the one in force (`active`)."""
    query = select(Consent).order_by(col(Consent.id))
    if selection.pseudonym is not None:
        query = query.where(Consent.pseudonym == selection.pseudonym)
    rows = [c for c in session.exec(query) if c.pseudonym in patients]
    newest = {(c.pseudonym, c.channel): c.id for c in rows}
    for c in rows:
        if selection.since is not None and fhir.utc(c.recorded_at) < selection.since:
            continue
        assert c.id is not None
        yield (
            c.pseudonym,
            fhir.consent(
                row_id=c.id,
                pseudonym=c.pseudonym,
                channel=c.channel,
                granted=c.granted,
                method=c.method,
                recorded_by=c.recorded_by,
                recorded_at=c.recorded_at,
                current=newest[(c.pseudonym, c.channel)] == c.id,
            ),
        )


def _reminders(
    session: Session, selection: Selection, patients: dict[str, Patient]
) -> Iterable[tuple[str, Resource]]:
    """Each reminder as a CommunicationRequest, and one that went out as a Communication
    too, sent at its last attempt that reached (or may have reached) the provider."""
    query = sa_select(*REMINDER_COLUMNS).order_by(col(Reminder.id))
    tries = (
        select(DeliveryAttempt.reminder_id, DeliveryAttempt.started_at)
        .join(Reminder, col(Reminder.id) == col(DeliveryAttempt.reminder_id))
        .where(col(DeliveryAttempt.outcome).in_([AttemptOutcome.SENT, AttemptOutcome.UNKNOWN]))
        .order_by(col(DeliveryAttempt.id))
    )
    if selection.pseudonym is not None:
        query = query.where(col(Reminder.pseudonym) == selection.pseudonym)
        tries = tries.where(Reminder.pseudonym == selection.pseudonym)
    if selection.since is not None:
        query = query.where(col(Reminder.updated_at) >= selection.since)
        tries = tries.where(col(Reminder.updated_at) >= selection.since)
    sent_at = dict(session.exec(tries).all())  # the last attempt of each reminder wins
    for r in session.execute(query):
        if r.pseudonym not in patients:
            continue
        yield (
            r.pseudonym,
            fhir.communication_request(
                row_id=r.id,
                pseudonym=r.pseudonym,
                program=r.program,
                status=r.status,
                channel=r.channel,
                due=r.due_at,
            ),
        )
        if r.status in SENT and r.channel is not None:
            yield (
                r.pseudonym,
                fhir.sent_reminder(
                    row_id=r.id,
                    pseudonym=r.pseudonym,
                    status=r.status,
                    channel=r.channel,
                    sent=sent_at.get(r.id),
                    delivered=r.updated_at if r.status in DELIVERED else None,
                ),
            )


def _replies(
    store: Store, session: Session, selection: Selection, patients: dict[str, Patient]
) -> Iterable[tuple[str, Resource]]:
    """Each reply of a known patient, its readings and, if it was urgent, its issue."""
    query = (
        sa_select(*REPLY_COLUMNS).where(col(Reply.pseudonym).is_not(None)).order_by(col(Reply.id))
    )
    if selection.pseudonym is not None:
        query = query.where(col(Reply.pseudonym) == selection.pseudonym)
    if selection.since is not None:
        query = query.where(
            or_(
                col(Reply.received_at) >= selection.since,
                col(Reply.reviewed_at) >= selection.since,
            )
        )
    for r in session.execute(query):
        if r.pseudonym in patients:
            yield from _reply(store, session, r, r.pseudonym, selection.texts)


def _reply(
    store: Store, session: Session, r: Row[Any], who: str, texts: bool
) -> Iterable[tuple[str, Resource]]:
    stored: dict[str, Any] = {}
    if r.readings_enc:
        plain = store.decrypt(
            session, who, r.readings_enc, table="reply", column="readings", row=r.id
        )
        stored = json.loads(plain)
    observations = clinical.readings(
        reply_id=r.id, pseudonym=who, received=r.received_at, stored=stored
    )
    text = None
    if texts and r.text_enc:
        text = store.decrypt(session, who, r.text_enc, table="reply", column="text", row=r.id)
    flags = [f for f in r.flags.split(",") if f]
    yield (
        who,
        fhir.reply(
            row_id=r.id,
            pseudonym=who,
            channel=r.channel,
            received=r.received_at,
            flags=flags,
            text=text,
            readings=[o["id"] for o in observations],
        ),
    )
    for observation in observations:
        yield who, observation
    if "urgent" in flags:
        evidence = [f"Communication/reply-{r.id}"] + [
            f"Observation/{o['id']}" for o in observations
        ]
        yield (
            who,
            clinical.urgent_issue(
                reply_id=r.id,
                pseudonym=who,
                received=r.received_at,
                evidence=evidence,
                reviewed_by=r.reviewed_by if r.reviewed else None,
                reviewed_at=r.reviewed_at if r.reviewed else None,
            ),
        )
