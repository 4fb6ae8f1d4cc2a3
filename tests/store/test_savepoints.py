"""Keys and audit events made inside a savepoint that is rolled back are forgotten with it.

The store remembers, per process, the data keys it has unwrapped and the audit chain's keys
and newest event. What a rolled-back savepoint made must not stay remembered: a field sealed
under a key the store never kept cannot be read again, and an event chained onto one that was
rolled back breaks `audit verify`.
"""

from __future__ import annotations

import pytest

from bot.store import audit
from bot.store.keyring import ErasedError
from bot.store.store import Store


def test_a_data_key_made_in_a_rolled_back_savepoint_is_not_used_afterwards(
    store: Store,
) -> None:
    with store.session() as session:
        nested = session.begin_nested()
        store.create_data_key(session, "P-LOST")
        nested.rollback()
        with pytest.raises(ErasedError):
            store.data_key(session, "P-LOST")
    with store.session() as session, pytest.raises(ErasedError):
        store.data_key(session, "P-LOST")


def test_a_data_key_made_in_a_rolled_back_transaction_is_not_used_afterwards(
    store: Store,
) -> None:
    with store.session() as session:
        store.create_data_key(session, "P-GONE")
        session.rollback()
    with store.session() as session, pytest.raises(ErasedError):
        store.data_key(session, "P-GONE")


def test_a_kept_data_key_still_reads_what_it_sealed(store: Store) -> None:
    with store.session() as session:
        store.create_data_key(session, "P-KEPT")
        blob = store.encrypt(session, "P-KEPT", "Jan", table="t", column="c", row=1)
    with store.session() as session:
        assert store.decrypt(session, "P-KEPT", blob, table="t", column="c", row=1) == "Jan"


def test_audit_events_after_a_rolled_back_savepoint_keep_the_chain(store: Store) -> None:
    # On a fresh store the chain's root key is made with the first event, here inside the
    # savepoint that is rolled back.
    with store.session() as session:
        nested = session.begin_nested()
        audit.record(session, action="test.event", actor="test", n=1)
        nested.rollback()
        audit.record(session, action="test.event", actor="test", n=2)
        nested = session.begin_nested()
        audit.record(session, action="test.event", actor="test", n=3)
        nested.commit()
        nested = session.begin_nested()
        audit.record(session, action="test.event", actor="test", n=4)
        nested.rollback()
        audit.record(session, action="test.event", actor="test", n=5)
    with store.session() as session:
        audit.record(session, action="test.event", actor="test", n=6)
    audit.seal_all(store.session)
    with store.session() as session:
        verdict = audit.verify(session)
        kept = [e.detail for e in audit.iter_events(session)]
    assert verdict.ok, verdict
    assert verdict.checked == 4 and len(kept) == 4
