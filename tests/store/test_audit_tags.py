"""Append-time tags: an event not sealed yet that carebot did not write as it stands (inserted
without a tag, with a forged one, or edited since) is never sealed, and `verify` names it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlmodel import Session, col, select

from bot.store import audit, audit_tags
from bot.store.models import AuditEvent
from bot.store.store import Store


def _append(store: Store, n: int, *, writer: int = 0) -> None:
    with store.session() as session:
        for i in range(n):
            audit.record(session, action="test.event", actor="test", writer=writer, n=i)


def _verify(store: Store) -> audit.ChainCheck:
    with store.session() as session:
        return audit.verify(session)


def _events(store: Store) -> list[AuditEvent]:
    with store.session() as session:
        return list(session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all())


def _insert(session: Session, tag: str | None) -> None:
    """An event written straight into the store, by a writer without the audit key."""
    session.add(
        AuditEvent(
            at=datetime.now(UTC), actor="nurse", action="patient.erase", detail="{}", tag=tag
        )
    )


def _untagged(session: Session) -> None:
    _insert(session, None)


def _forged(session: Session) -> None:
    _insert(session, "0" * 64)


def _tag_of_another(session: Session) -> None:
    genuine = session.exec(select(AuditEvent.tag).where(col(AuditEvent.tag).is_not(None))).first()
    _insert(session, genuine)  # a genuine tag copied onto an event it does not belong to


def _edited(session: Session) -> None:
    session.execute(
        text("UPDATE audit_event SET detail = :d WHERE id = (SELECT MAX(id) FROM audit_event)"),
        {"d": '{"n":99}'},
    )


def test_an_appended_event_carries_its_keyed_tag_and_seals(store: Store) -> None:
    _append(store, 3)
    events = _events(store)
    with store.session() as session:
        key = audit.keys_of(session).event
    assert all(audit_tags.holds(key, e) for e in events)
    assert len({e.tag for e in events}) == 3 and all(
        len(e.tag or "") == 16 + 1 + 64 for e in events
    )
    assert audit.seal_all(store.session) == 3
    verdict = _verify(store)
    assert verdict.ok and verdict.checked == 3 and verdict.refused == ()


@pytest.mark.parametrize("tamper", [_untagged, _forged, _tag_of_another, _edited])
def test_an_event_not_written_by_carebot_as_it_stands_is_never_sealed_and_is_named(
    store: Store, tamper: Callable[[Session], None], caplog: pytest.LogCaptureFixture
) -> None:
    _append(store, 2)
    with store.session() as session:
        tamper(session)
    bad = _events(store)[-1].id
    _append(store, 2, writer=1)  # appended after it: sealed all the same
    with caplog.at_level(logging.WARNING, logger="carebot.audit"):
        sealed = audit.seal_all(store.session)
    events = _events(store)
    expected = 3 if tamper is _edited else 4  # the edited one is one of the first two
    assert sealed == expected
    assert [e.id for e in events if e.seq is None] == [bad]
    assert [e.seq for e in events if e.seq is not None] == list(range(1, expected + 1))
    assert f"event id {bad} was written or edited without the audit key" in caplog.text
    assert audit.seal_all(store.session) == 0  # the next seal refuses it again
    verdict = _verify(store)
    assert not verdict.ok and verdict.refused == (bad,) and verdict.broken_seq is None
    assert verdict.checked == expected and verdict.unsealed == 1


def test_refused_events_beyond_one_batch_do_not_hold_back_the_genuine_ones(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit, "_BATCH", 2)
    _append(store, 1)
    with store.session() as session:
        for _ in range(5):
            _untagged(session)
    _append(store, 3, writer=1)
    assert audit.seal_all(store.session, per_transaction=2) == 4
    verdict = _verify(store)
    assert verdict.checked == 4 and len(verdict.refused) == 5 and verdict.unsealed == 5
    assert audit_tags.describe(list(verdict.refused)) == (
        "event id 2 was written or edited without the audit key "
        "(and 4 more not sealed: ids 3, 4, 5, 6)"
    )


def test_a_sealed_events_tag_is_checked_too(store: Store) -> None:
    _append(store, 3)
    audit.seal_all(store.session)
    with store.session() as session:
        session.execute(text("UPDATE audit_event SET tag = :t WHERE seq = 2"), {"t": "f" * 64})
    verdict = _verify(store)
    assert verdict.broken_seq == 2 and verdict.checked == 1
    assert verdict.reason == "the event was written or edited without the audit key"


def test_a_sealed_event_without_a_tag_verifies_as_those_carried_over_from_before(
    store: Store,
) -> None:
    _append(store, 2)
    audit.seal_all(store.session)
    with store.session() as session:
        session.execute(text("UPDATE audit_event SET tag = NULL"))
    assert _verify(store).ok and _verify(store).checked == 2
