"""Append-time tags: the keyed proof that carebot itself wrote an audit event not sealed yet.

`audit.record` stores with each event `NONCE.MAC`: a random nonce of its own and an
HMAC-SHA256, under the audit log's event key (see crypto.audit_keys), of the nonce and the
event without its seq (time, actor, action, subject, detail): one hash, no lock, no read.
The sealer seals only events whose tag matches, so that an event inserted or edited by a
writer without the audit key before its seal is never sealed, and `verify` names it. The
nonce makes every genuine tag unique, so an exact copy of an event (tag and all) is told
by its tag: of the events that share one and its fields, only one is ever sealed (the one
sealed already, else the first the sealer reads), and the others are refused as copies.
The sealer marks what it refused (`refused`: "tag" or "copy") and never reads it again;
`verify` names it still.
Tags given before nonces (schema 0005 and 0006: the MAC alone) still hold. Events sealed
before tags existed (carried over from schema 0004) have none; a sealed event's tag, when
present, is checked too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from bot.store.models import AuditEvent

REFUSED = "was written or edited without the audit key"  # what verify and the sealer say
FORGED, COPY = "tag", "copy"  # why the sealer refused an event (its `refused` mark)


def _mac(
    key: bytes,
    nonce: str | None,
    *,
    at: datetime,
    actor: str,
    action: str,
    subject: str | None,
    detail: str,
) -> str:
    when = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    head = ["event"] if nonce is None else ["event", nonce]  # None: a tag from before nonces
    body = json.dumps(
        [*head, when.isoformat(), actor, action, subject, detail],
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def tag(
    key: bytes,
    *,
    at: datetime,
    actor: str,
    action: str,
    subject: str | None,
    detail: str,
    nonce: str | None = None,
) -> str:
    """A new tag of an event, as stored (times as UTC, whatever their zone or none), under a
    fresh random nonce unless one is given."""
    nonce = os.urandom(8).hex() if nonce is None else nonce
    mac = _mac(key, nonce, at=at, actor=actor, action=action, subject=subject, detail=detail)
    return f"{nonce}.{mac}"


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
    nonce, dot, mac = stored.partition(".")
    if not dot:  # a tag from before nonces: the MAC alone
        nonce, mac = "", stored
    elif not nonce:
        return False  # a tag from before nonces, written differently: a copy's disguise
    expected = _mac(
        key, nonce or None, at=at, actor=actor, action=action, subject=subject, detail=detail
    )
    return hmac.compare_digest(mac, expected)


def of_event(key: bytes, event: AuditEvent) -> str:
    """A new tag for an event."""
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
    return genuine(
        key,
        event.tag,
        at=event.at,
        actor=event.actor,
        action=event.action,
        subject=event.subject,
        detail=event.detail,
    )


COLUMNS = (  # what `judge` reads of an event: its id, what its tag covers, its tag
    col(AuditEvent.id),
    col(AuditEvent.at),
    col(AuditEvent.actor),
    col(AuditEvent.action),
    col(AuditEvent.subject),
    col(AuditEvent.detail),
    col(AuditEvent.tag),
)


def judge(
    session: Session, key: bytes, rows: Sequence[Any], seen: set[tuple[Any, ...]]
) -> dict[int, str | None]:
    """Why each of these events not sealed yet (rows of COLUMNS, in append order) must never
    be sealed: FORGED, COPY (a sealed event, or one before it in `seen`, has its tag and its
    fields), or None (it may be sealed; added to `seen`). One read, by the sealed events'
    tag index (set at seal, so that appending writes no more index than before)."""
    verdicts: dict[int, str | None] = {}
    fields: dict[int, tuple[Any, ...]] = {}
    for event_id, at, actor, action, subject, detail, stored in rows:
        if genuine(key, stored, at=at, actor=actor, action=action, subject=subject, detail=detail):
            verdicts[event_id], fields[event_id] = (
                None,
                (stored, at, actor, action, subject, detail),
            )
        else:
            verdicts[event_id] = FORGED
    if not fields:
        return verdicts
    tags = sorted({f[0] for f in fields.values()})
    sealed = {
        tuple(row)
        for row in session.execute(
            sa_select(*COLUMNS[6:], *COLUMNS[1:6]).where(
                col(AuditEvent.tag).in_(tags), col(AuditEvent.seq).is_not(None)
            )
        ).all()
    }
    for event_id, same in fields.items():
        if same in sealed or same in seen:
            verdicts[event_id] = COPY
        else:
            seen.add(same)
    return verdicts


def refused(session: Session, key: bytes, *, batch: int = 1000) -> list[int]:
    """The ids of the events not sealed yet that must never be sealed, in append order: those
    the sealer refused already, and those it would refuse (tag missing or wrong, or a copy)."""
    found = set(
        session.execute(
            sa_select(col(AuditEvent.id)).where(
                col(AuditEvent.seq).is_(None), col(AuditEvent.refused).is_not(None)
            )
        ).scalars()
    )
    after, seen = 0, set[tuple[Any, ...]]()
    while True:
        rows = session.execute(
            sa_select(*COLUMNS)
            .where(
                col(AuditEvent.seq).is_(None),
                col(AuditEvent.refused).is_(None),
                col(AuditEvent.id) > after,
            )
            .order_by(col(AuditEvent.id))
            .limit(batch)
        ).all()
        found.update(i for i, why in judge(session, key, rows, seen).items() if why is not None)
        if len(rows) < batch:
            return sorted(found)
        after = rows[-1][0]


def describe(ids: list[int]) -> str:
    """One line naming the refused events: the first by id, and how many more."""
    more = len(ids) - 1
    tail = "" if not more else f" (and {more} more not sealed: ids {_ids(ids[1:])})"
    return f"event id {ids[0]} {REFUSED}{tail}"


def _ids(ids: list[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:5])
    return shown if len(ids) <= 5 else f"{shown}, ..."
