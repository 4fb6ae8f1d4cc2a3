"""The hash-chained audit log: an edit, a deletion or a cut tail is caught."""

from __future__ import annotations

from sqlalchemy import text

from bot import audit
from bot.store.keyring import Store


def _log(store: Store, n: int) -> None:
    with store.session() as session:
        for i in range(n):
            audit.record(session, action="test.event", actor="test", subject=f"P-{i}", n=i)


def test_an_intact_chain_verifies_and_counts_its_events(store: Store) -> None:
    _log(store, 5)
    with store.session() as session:
        verdict = audit.verify(session, head=audit.head(session))
    assert verdict.ok and verdict.checked == 5


def test_an_edited_event_is_named_as_the_first_broken_one(store: Store) -> None:
    _log(store, 5)
    with store.session() as session:
        session.execute(text("UPDATE audit_event SET detail = :d WHERE seq = 3"), {"d": "{}"})
    with store.session() as session:
        verdict = audit.verify(session)
    assert not verdict.ok and verdict.broken_seq == 3 and verdict.checked == 2


def test_a_deleted_event_breaks_the_chain(store: Store) -> None:
    _log(store, 5)
    with store.session() as session:
        session.execute(text("DELETE FROM audit_event WHERE seq = 2"))
    with store.session() as session:
        assert audit.verify(session).broken_seq == 2


def test_a_cut_tail_is_caught_with_a_head_kept_elsewhere(store: Store) -> None:
    _log(store, 5)
    with store.session() as session:
        kept = audit.head(session)
        session.execute(text("DELETE FROM audit_event WHERE seq >= 4"))
    with store.session() as session:
        assert audit.verify(session).ok  # the rest is consistent on its own...
        assert audit.verify(session, head=kept).head_found is False  # ...but the head is gone


def test_events_after_a_commit_or_a_rollback_in_the_same_session_keep_the_chain(
        store: Store) -> None:
    # Within one transaction the newest event is remembered instead of read back; a new
    # transaction must read it again, whether the last one committed or rolled back.
    with store.session() as session:
        audit.record(session, action="test.event", actor="test", n=1)
        audit.record(session, action="test.event", actor="test", n=2)
        session.commit()
        audit.record(session, action="test.event", actor="test", n=3)
        session.rollback()  # event 3 is gone
        audit.record(session, action="test.event", actor="test", n=4)
    _log(store, 2)  # another session appends after
    with store.session() as session:
        verdict = audit.verify(session)
        seqs = [e.seq for e in audit.iter_events(session)]
    assert verdict.ok and verdict.checked == 5
    assert seqs == [1, 2, 3, 4, 5]
