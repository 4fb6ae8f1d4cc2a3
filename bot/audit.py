"""The hash-chained audit log: every action appends an event that names ids, never people.

Each event's hash covers the previous event's hash, so editing or deleting an event breaks
the chain from there on (`verify`), and cutting events from the end is caught by comparing
with a head hash the admin kept elsewhere (`verify --head`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from bot.store.models import AuditEvent

GENESIS = "0" * 64
_NEWEST = "carebot.audit.newest"  # session.info: (transaction, seq, hash) of its last event


def _digest(prev_hash: str, *, seq: int, at: datetime, actor: str, action: str,
            subject: str | None, detail: str) -> str:
    payload = json.dumps(
        [seq, at.astimezone(UTC).isoformat(), actor, action, subject, detail],
        separators=(",", ":"), ensure_ascii=True,
    )
    return hashlib.sha256(f"{prev_hash}{payload}".encode()).hexdigest()


def record(
    session: Session,
    *,
    action: str,
    actor: str,
    subject: str | None = None,
    at: datetime | None = None,
    **detail: Any,
) -> AuditEvent:
    """Append one event in the caller's transaction (so it commits or rolls back with it).

    `detail` takes ids, statuses, counts and channel names only: never a name, address,
    reference or message text.
    """
    newest = session.info.get(_NEWEST)
    if newest is not None and newest[0] is session.get_transaction():
        # this transaction appended the newest event, and no other writer can have since
        # (it holds the chain's lock, or SQLite's write lock): no need to read it back
        seq, prev_hash = newest[1] + 1, newest[2]
    else:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(7160)"))  # one chain writer
        last = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq).desc())
                            .limit(1)).first()
        seq = (last.seq or 0) + 1 if last else 1
        prev_hash = last.hash if last else GENESIS
    when = at or datetime.now(UTC)
    detail_json = json.dumps(detail, sort_keys=True, separators=(",", ":"), default=str)
    event = AuditEvent(
        seq=seq, at=when, actor=actor, action=action, subject=subject, detail=detail_json,
        prev_hash=prev_hash,
        hash=_digest(prev_hash, seq=seq, at=when, actor=actor, action=action,
                     subject=subject, detail=detail_json),
    )
    session.add(event)
    session.flush()
    session.info[_NEWEST] = (session.get_transaction(), seq, event.hash)
    return event


def iter_events(session: Session, *, batch: int = 1000) -> Iterator[AuditEvent]:
    """Every event in order, a batch at a time."""
    after = 0
    while True:
        rows = session.exec(
            select(AuditEvent).where(col(AuditEvent.seq) > after)
            .order_by(col(AuditEvent.seq)).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].seq or after


@dataclass(frozen=True)
class Verdict:
    """What `verify` found: the count checked, and the first broken event if any."""

    checked: int
    broken_seq: int | None = None
    reason: str | None = None
    head_found: bool | None = None

    @property
    def ok(self) -> bool:
        return self.broken_seq is None and self.head_found is not False


def verify(session: Session, *, head: str | None = None) -> Verdict:
    """Recompute the chain; with `head`, also require that hash to be in it."""
    prev_hash, expected_seq, checked, head_found = GENESIS, 1, 0, head is None
    for event in iter_events(session):
        if event.seq != expected_seq:
            return Verdict(checked, expected_seq, "event missing from the chain")
        recomputed = _digest(prev_hash, seq=event.seq, at=event.at, actor=event.actor,
                             action=event.action, subject=event.subject, detail=event.detail)
        if event.prev_hash != prev_hash or event.hash != recomputed:
            return Verdict(checked, event.seq, "hash does not match the event")
        head_found = head_found or event.hash == head
        prev_hash, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    if head is not None and not head_found:
        return Verdict(checked, None, "the given head is not in the chain", head_found=False)
    return Verdict(checked, head_found=None if head is None else True)


def head(session: Session) -> str:
    """The newest event's hash (the genesis value for an empty log)."""
    last = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq).desc()).limit(1)).first()
    return last.hash if last else GENESIS
