"""Copies and refusals: an exact copy of a genuine event (tag and all) is never sealed as a
second one, and what the sealer refused is remembered, never read again, and still named."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text
from sqlmodel import Session, col, select

from bot.store import audit, audit_tags, schema
from bot.store.models import AuditEvent
from bot.store.store import Store

_FIELDS = "at, actor, action, subject, detail, tag"


def _append(store: Store, n: int, *, writer: int = 0) -> None:
    with store.session() as session:
        for i in range(n):
            audit.record(session, action="test.event", actor="test", writer=writer, n=i)


def _events(store: Store) -> list[AuditEvent]:
    with store.session() as session:
        return list(session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all())


def _verify(store: Store) -> audit.ChainCheck:
    with store.session() as session:
        return audit.verify(session)


def _copy(store: Store, event_id: int, *, as_id: int | None = None) -> int:
    """An exact copy of a stored event, inserted by a writer with database access only."""
    with store.session() as session:
        if as_id is None:
            session.execute(
                text(
                    f"INSERT INTO audit_event ({_FIELDS}) SELECT {_FIELDS} FROM audit_event "
                    "WHERE id = :id"
                ),
                {"id": event_id},
            )
        else:
            session.execute(
                text(
                    f"INSERT INTO audit_event (id, {_FIELDS}) SELECT :as_id, {_FIELDS} "
                    "FROM audit_event WHERE id = :id"
                ),
                {"id": event_id, "as_id": as_id},
            )
        found = session.execute(text("SELECT MAX(id) FROM audit_event")).scalar_one()
    return as_id if as_id is not None else int(found)


def test_a_copy_of_an_unsealed_event_is_refused_and_the_original_sealed_once(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    _append(store, 2)
    original = _events(store)[1].id or 0
    copy = _copy(store, original)
    _append(store, 1, writer=1)
    with caplog.at_level(logging.WARNING, logger="carebot.audit"):
        assert audit.seal_all(store.session) == 3
    events = {e.id: e for e in _events(store)}
    assert events[original].seq == 2 and events[copy].seq is None
    assert events[copy].refused == audit_tags.COPY
    assert f"event id {copy} {audit_tags.REFUSED}" in caplog.text
    verdict = _verify(store)
    assert not verdict.ok and verdict.refused == (copy,) and verdict.checked == 3


def test_a_copy_of_a_sealed_event_is_refused(store: Store) -> None:
    _append(store, 3)
    assert audit.seal_all(store.session) == 3
    copy = _copy(store, _events(store)[0].id or 0)
    assert _verify(store).refused == (copy,)  # named before any seal
    assert audit.seal_all(store.session) == 0
    verdict = _verify(store)
    assert verdict.refused == (copy,) and verdict.checked == 3 and verdict.broken_seq is None


def test_a_copy_given_an_earlier_id_still_leaves_one_sealed(store: Store) -> None:
    _append(store, 1)
    audit.seal_all(store.session)
    _append(store, 1)
    with store.session() as session:  # a free id below the original's (as a rollback leaves)
        session.execute(text("UPDATE audit_event SET id = id + 10 WHERE seq IS NULL"))
    original = _events(store)[-1].id or 0
    copy = _copy(store, original, as_id=original - 5)
    assert audit.seal_all(store.session) == 1
    events = {e.id: e for e in _events(store)}
    assert [events[copy].seq, events[original].seq] == [2, None]  # the same event, sealed once
    assert _verify(store).refused == (original,)


def test_an_event_given_another_events_tag_earlier_does_not_refuse_the_genuine_one(
    store: Store,
) -> None:
    _append(store, 1)
    genuine = _events(store)[0]
    with store.session() as session:
        session.execute(text("UPDATE audit_event SET id = 10"))
        session.add(
            AuditEvent(
                id=3, at=datetime.now(UTC), actor="nurse", action="x", detail="{}", tag=genuine.tag
            )
        )
    assert audit.seal_all(store.session) == 1
    assert [(e.id, e.seq) for e in _events(store)] == [(3, None), (10, 1)]
    assert _verify(store).refused == (3,)


def test_two_genuine_events_alike_in_every_field_both_seal(store: Store) -> None:
    at = datetime.now(UTC)
    with store.session() as session:
        for _ in range(2):
            audit.record(session, action="test.event", actor="test", at=at, n=1)
    assert audit.seal_all(store.session) == 2
    assert _verify(store).ok


def test_a_tag_from_before_nonces_still_seals_and_a_dotted_disguise_of_it_does_not(
    store: Store,
) -> None:
    _append(store, 1)  # makes the audit key
    audit.seal_all(store.session)
    with store.session() as session:
        key = audit.keys_of(session).event
        at = datetime.now(UTC)
        fields: dict[str, Any] = {
            "at": at,
            "actor": "test",
            "action": "old",
            "subject": None,
            "detail": "{}",
        }
        legacy = audit_tags._mac(key, None, **fields)  # as schema 0005 tagged it
        session.add(AuditEvent(**fields, tag=legacy))
        session.add(AuditEvent(**fields, tag=f".{legacy}"))
    assert audit.seal_all(store.session) == 1
    events = _events(store)
    assert [(e.tag == legacy, e.seq) for e in events[1:]] == [(True, 2), (False, None)]
    verdict = _verify(store)  # the sealed one's tag from before nonces checked too
    assert verdict.refused == (events[2].id,) and verdict.broken_seq is None
    assert verdict.checked == 2


def _forge(session: Session) -> None:
    session.add(AuditEvent(at=datetime.now(UTC), actor="x", action="x", detail="{}", tag="0" * 64))


def test_what_a_seal_refused_is_never_read_again_and_still_named(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _append(store, 1)
    with store.session() as session:
        for _ in range(3):
            _forge(session)
    assert audit.seal_all(store.session) == 1
    refused = [e.id for e in _events(store) if e.seq is None]
    read: list[int] = []
    judge = audit_tags.judge

    def counting(session: Session, key: bytes, rows: Any, seen: Any) -> dict[int, str | None]:
        read.extend(r[0] for r in rows)
        return judge(session, key, rows, seen)

    monkeypatch.setattr(audit_tags, "judge", counting)
    _append(store, 2, writer=1)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="carebot.audit"):
        assert audit.seal_all(store.session) == 2
    assert not set(read) & set(refused) and len(read) == 2  # only the new events
    assert "left unsealed" not in caplog.text  # logged once, at the seal that refused them
    verdict = _verify(store)
    assert verdict.refused == tuple(refused) and verdict.unsealed == 3 and verdict.checked == 3


def _plan(store: Store, query: str) -> str:
    with store.session() as session:
        return " ".join(
            str(row[-1]) for row in session.execute(text(f"EXPLAIN QUERY PLAN {query}"))
        )


def test_the_seal_reads_the_waiting_events_and_the_sealed_tags_by_their_indexes(
    store: Store,
) -> None:
    if store.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plan")
    waiting = _plan(
        store,
        "SELECT id, tag FROM audit_event WHERE seq IS NULL AND refused IS NULL AND id > 0 "
        "ORDER BY id LIMIT 1000",
    )
    assert "ix_audit_event_waiting" in waiting
    tags = _plan(store, "SELECT id FROM audit_event WHERE tag IN ('a', 'b') AND seq IS NOT NULL")
    assert "ix_audit_event_tag" in tags


def test_the_0007_downgrade_refuses_while_events_wait_and_keeps_the_chain(store: Store) -> None:
    _append(store, 3)
    with store.session() as session:
        _forge(session)
    config = schema.alembic_config(store.engine)
    with pytest.raises(RuntimeError, match="audit events wait to be sealed"):
        command.downgrade(config, "0006")
    audit.seal_all(store.session)  # the forged one refused: it may stay
    command.downgrade(config, "0006")
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT seq, tag FROM audit_event ORDER BY id")).all()
        columns = conn.execute(text("SELECT * FROM audit_event")).keys()
    assert "refused" not in columns
    assert [r[0] for r in rows] == [1, 2, 3, None]
    assert [r[1] for r in rows[:3]] == [None] * 3 and rows[3][1] == "0" * 64
    command.upgrade(config, "head")
    verdict = _verify(store)
    assert verdict.checked == 3 and verdict.broken_seq is None and len(verdict.refused) == 1
    _append(store, 1)
    assert audit.seal_all(store.session) == 1 and _verify(store).checked == 4
