"""A group of audit events appended in one INSERT is the same as each appended alone: the
same fields, a genuine append tag, sealed into the chain, in the order given."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlmodel import col, select

from bot.store import audit, audit_tags
from bot.store.audit_group import Entry, record_many
from bot.store.models import AuditEvent
from bot.store.store import Store

AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_a_group_appended_at_once_is_tagged_sealed_and_kept_in_order(store: Store) -> None:
    with store.session() as session:
        audit.record(session, action="send.attempt", actor="dispatcher", subject="p-0", at=AT, n=0)
        session.flush()
        record_many(
            session,
            actor="dispatcher",
            entries=[
                Entry("send.attempt", f"p-{i}", AT, {"n": i, "channel": "sms"}) for i in (1, 2)
            ],
        )
        record_many(session, actor="dispatcher", entries=[])  # nothing to append: no statement
    with store.session() as session:
        events = list(session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all())
        key = audit.keys_of(session).event
    assert [e.subject for e in events] == ["p-0", "p-1", "p-2"]
    assert [json.loads(e.detail) for e in events[1:]] == [
        {"channel": "sms", "n": 1},
        {"channel": "sms", "n": 2},
    ]
    assert all(audit_tags.holds(key, e) for e in events)
    assert audit.seal_all(store.session) == 3
    with store.session() as session:
        verdict = audit.verify(session)
    assert verdict.ok and verdict.checked == 3 and verdict.refused == ()
