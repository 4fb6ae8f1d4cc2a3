"""Sealing an audit log written before the chain was keyed, once, when the store opens.

Older carebot chained its events with plain SHA-256, which anyone with write access to the
store could recompute. A store that has events but no audit key yet is such a store: its
chain is verified under the old scheme, and every event that checks out is sealed again
under the audit key, in one transaction; an `audit.seal` event, sealed with them, records
how many and the old head, so that a head kept before the upgrade can still be matched.
From a broken event on, nothing is sealed: `verify` then names that event, as it did before.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlmodel import Session, func, select

from bot.store import audit
from bot.store.keyring import AUDIT_OWNER
from bot.store.models import AuditEvent, DataKey

if TYPE_CHECKING:
    from bot.store.store import Store


def unkeyed_hash(prev_hash: str, event: AuditEvent) -> str:
    """The hash of the old, unkeyed scheme (times converted as it converted them)."""
    body = json.dumps(
        [
            event.seq,
            event.at.astimezone(UTC).isoformat(),
            event.actor,
            event.action,
            event.subject,
            event.detail,
        ],
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(f"{prev_hash}{body}".encode()).hexdigest()


def seal(store: Store, session: Session) -> int | None:
    """Seal an unkeyed chain under the audit key; the events sealed, or None if none was due."""
    if session.get(DataKey, AUDIT_OWNER) is not None:
        return None  # the common case: one primary-key read per open
    audit.lock_chain(session)
    if session.get(DataKey, AUDIT_OWNER) is not None:  # another process sealed it
        return None
    if not session.exec(select(func.count()).select_from(AuditEvent)).one():
        return None  # a new store: the key is made with its first event
    sealed, old_head = _reseal(session, audit.keys_of(session).chain)
    audit.record(
        session, action="audit.seal", actor="carebot", sealed=sealed, unkeyed_head=old_head
    )
    audit.seal_pending(session)  # the record of it, and whatever else was appended since
    return sealed


def _reseal(session: Session, key: bytes) -> tuple[int, str]:
    """Re-seal the intact prefix of the old chain; (events sealed, the old head)."""
    old_prev = new_prev = audit.GENESIS
    sealed, batch = 0, []
    for event in audit.iter_events(session, batch=5000):
        if (
            event.seq != sealed + 1
            or event.prev_hash != old_prev
            or event.hash != unkeyed_hash(old_prev, event)
        ):
            break
        old_prev = event.hash
        new_hash = audit.seal(key, new_prev, audit.event_payload(event))
        # no append tag: an old chain has none, and any there is not under the new key
        batch.append({"id": event.id, "prev_hash": new_prev, "hash": new_hash, "tag": None})
        new_prev = new_hash
        sealed += 1
        if len(batch) == 5000:
            session.execute(update(AuditEvent), batch)  # by primary key, in one executemany
            batch = []
    if batch:
        session.execute(update(AuditEvent), batch)
    session.expire_all()  # the events just loaded hold the old hashes
    return sealed, old_prev
