"""Appending a group of audit events in one statement.

What `audit.record` does for each event (the same fields, the same append tag, in the
caller's transaction), without building and flushing an ORM row for each: the dispatcher
appends two events a reminder, a whole group of them at a time, and those rows were most of
its store work.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from bot.store import audit, audit_tags
from bot.store.models import AuditEvent

_EVENTS = AuditEvent.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Entry:
    """One event to append: `detail` takes ids, statuses, counts and channel names only."""

    action: str
    subject: str | None
    at: datetime
    detail: dict[str, Any]


def record_many(session: Session, *, actor: str, entries: list[Entry]) -> None:
    """Append these events, in order, in the caller's transaction, in one INSERT."""
    if not entries:
        return
    key = audit.keys_of(session).event  # the store's first event makes the audit key
    rows = []
    for entry in entries:
        fields: dict[str, Any] = {
            "at": entry.at,
            "actor": str(actor),
            "action": str(entry.action),
            "subject": None if entry.subject is None else str(entry.subject),
            "detail": json.dumps(entry.detail, sort_keys=True, separators=(",", ":"), default=str),
        }
        rows.append({**fields, "tag": audit_tags.tag(key, **fields)})
    session.execute(insert(_EVENTS), rows)
