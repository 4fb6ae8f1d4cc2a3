"""Append-time tags: the keyed proof that carebot itself wrote an audit event not sealed yet.

`audit.record` stores with each event an HMAC-SHA256, under the audit log's event key (see
crypto.audit_keys), of the event without its seq (time, actor, action, subject, detail): one
hash, no lock, no read. The sealer seals only events whose tag matches, so that an event
inserted or edited by a writer without the audit key before its seal is never sealed, and
`verify` names it. Events sealed before tags existed (carried over from schema 0004) have
none; a sealed event's tag, when present, is checked too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from bot.store.models import AuditEvent

REFUSED = "was written or edited without the audit key"  # what verify and the sealer say


def tag(
    key: bytes, *, at: datetime, actor: str, action: str, subject: str | None, detail: str
) -> str:
    """The tag of an event, as stored (times as UTC, whatever their zone or none)."""
    when = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    body = json.dumps(
        ["event", when.isoformat(), actor, action, subject, detail],
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def genuine(
    key: bytes,
    stored: str | None,
    *,
    at: datetime,
    actor: str,
    action: str,
    subject: str | None,
    detail: str,
) -> bool:
    """Whether the stored tag is the event's own (False if it has none)."""
    if stored is None:
        return False
    expected = tag(key, at=at, actor=actor, action=action, subject=subject, detail=detail)
    return hmac.compare_digest(stored, expected)


def of_event(key: bytes, event: AuditEvent) -> str:
    """The tag an event should carry."""
    return tag(
        key,
        at=event.at,
        actor=event.actor,
        action=event.action,
        subject=event.subject,
        detail=event.detail,
    )


def holds(key: bytes, event: AuditEvent) -> bool:
    """Whether a stored event's tag is its own."""
    return event.tag is not None and hmac.compare_digest(event.tag, of_event(key, event))


def refused(session: Session, key: bytes, *, batch: int = 1000) -> list[int]:
    """The ids of the events not sealed yet whose tag is missing or wrong, in append order."""
    found: list[int] = []
    after = 0
    while True:
        rows = session.execute(
            sa_select(
                col(AuditEvent.id),
                col(AuditEvent.at),
                col(AuditEvent.actor),
                col(AuditEvent.action),
                col(AuditEvent.subject),
                col(AuditEvent.detail),
                col(AuditEvent.tag),
            )
            .where(col(AuditEvent.seq).is_(None), col(AuditEvent.id) > after)
            .order_by(col(AuditEvent.id))
            .limit(batch)
        ).all()
        for event_id, at, actor, action, subject, detail, stored in rows:
            if not genuine(
                key, stored, at=at, actor=actor, action=action, subject=subject, detail=detail
            ):
                found.append(event_id)
        if len(rows) < batch:
            return found
        after = rows[-1][0]


def describe(ids: list[int]) -> str:
    """One line naming the refused events: the first by id, and how many more."""
    more = len(ids) - 1
    tail = "" if not more else f" (and {more} more not sealed: ids {_ids(ids[1:])})"
    return f"event id {ids[0]} {REFUSED}{tail}"


def _ids(ids: list[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:5])
    return shown if len(ids) <= 5 else f"{shown}, ..."
