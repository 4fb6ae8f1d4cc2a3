"""Appending audit events without a lock, and sealing them into the keyed chain: appends from
several sessions at once, sealing once and only once, the events not sealed yet reported,
and a store whose chain was written before (schema 0004) upgraded with its heads intact."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import text
from sqlmodel import Session, col, select
from sqlmodel.sql.sqltypes import UTCDateTime

from bot.config import Settings
from bot.store import audit, audit_heads, crypto, db, schema
from bot.store.keyring import AUDIT_OWNER
from bot.store.models import AuditEvent, DataKey
from bot.store.store import Store, open_store
from tests.conftest import POSTGRES_ADMIN_URL

postgres_only = pytest.mark.skipif(not POSTGRES_ADMIN_URL, reason="PostgreSQL only")


def _append(store: Store, n: int, *, writer: int = 0) -> None:
    with store.session() as session:
        for i in range(n):
            audit.record(session, action="test.event", actor="test", writer=writer, n=i)


def _chain(store: Store) -> list[AuditEvent]:
    with store.session() as session:
        return list(audit.iter_events(session))


def test_an_append_is_not_sealed_until_the_sealer_runs(store: Store) -> None:
    _append(store, 3)
    with store.session() as session:
        rows = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
        waiting = audit.verify(session)
    assert [(e.seq, e.hash) for e in rows] == [(None, None)] * 3
    assert waiting.ok and waiting.checked == 0 and waiting.unsealed == 3
    assert waiting.oldest_unsealed is not None
    assert abs(waiting.oldest_unsealed - rows[0].at) < timedelta(seconds=1)
    assert audit.seal_all(store.session) == 3
    verdict = _verify(store)
    assert verdict.ok and verdict.checked == 3 and verdict.unsealed == 0
    assert verdict.oldest_unsealed is None


def _verify(store: Store, head: str | None = None) -> audit.ChainCheck:
    with store.session() as session:
        return audit.verify(session, head=head)


def test_appending_writes_nothing_until_the_caller_flushes_so_that_appends_batch(
    store: Store,
) -> None:
    _append(store, 1)  # the store's first event, which makes its audit key
    with store.session() as session:
        events = [audit.record(session, action="test.event", actor="test") for _ in range(3)]
        assert all(event.id is None for event in events)  # pending: one INSERT at the flush
        assert session.exec(select(AuditEvent)).all()[1:] == events  # autoflushed when read
        assert all(event.id is not None and event.seq is None for event in events)


def test_sealing_twice_seals_nothing_more_and_changes_no_hash(store: Store) -> None:
    _append(store, 4)
    assert audit.seal_all(store.session) == 4
    before = [(e.id, e.seq, e.hash) for e in _chain(store)]
    assert audit.seal_all(store.session) == 0
    assert [(e.id, e.seq, e.hash) for e in _chain(store)] == before
    _append(store, 2)
    assert audit.seal_all(store.session, per_transaction=1) == 2  # one transaction each
    chain = _chain(store)
    assert [(e.id, e.seq, e.hash) for e in chain[:4]] == before
    assert [e.seq for e in chain] == [1, 2, 3, 4, 5, 6] and chain[4].prev_hash == before[3][2]
    assert _verify(store).checked == 6


def test_the_sealer_in_a_callers_transaction_seals_its_own_pending_events(store: Store) -> None:
    with store.session() as session:
        event = audit.record(session, action="test.event", actor="test")
        assert audit.seal_pending(session) == 1  # flushed first, then sealed
        assert event.seq == 1 and event.hash is not None  # read again once sealed
        assert audit.seal_pending(session, limit=0) == 0


def test_appends_from_several_threads_at_once_are_all_sealed_once_in_one_chain(
    store: Store,
) -> None:
    writers, each = 4, 25
    sealed: list[int] = []

    def write(writer: int) -> None:
        for _ in range(5):
            _append(store, each // 5, writer=writer)

    def seal() -> None:
        for _ in range(10):
            sealed.append(audit.seal_all(store.session, wait=False))

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    threads.append(threading.Thread(target=seal))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    sealed.append(audit.seal_all(store.session))
    chain = _chain(store)
    assert sum(sealed) == writers * each == len(chain)
    assert [e.seq for e in chain] == list(range(1, writers * each + 1))
    per_writer = [json.loads(e.detail)["writer"] for e in chain]
    assert sorted(per_writer.count(w) for w in range(writers)) == [each] * writers
    verdict = _verify(store)
    assert verdict.ok and verdict.checked == writers * each and verdict.unsealed == 0


# --- tampering with sealed events, events sealed in more than one batch ---------------------


def _two_batches(store: Store) -> None:
    _append(store, 3)
    audit.seal_all(store.session)
    _append(store, 3, writer=1)
    audit.seal_all(store.session)


@pytest.mark.parametrize(
    ("tamper", "broken"),
    [
        ("UPDATE audit_event SET detail = '{}' WHERE seq = 5", 5),  # an edit
        ("DELETE FROM audit_event WHERE seq = 4", 4),  # a deletion
        ("UPDATE audit_event SET seq = NULL WHERE seq = 2", 2),  # unsealed again, to edit
        ("UPDATE audit_event SET at = '2026-01-01 00:00:00.000000' WHERE seq = 6", 6),
    ],
)
def test_tampering_with_an_event_sealed_in_a_later_batch_is_named(
    store: Store, tamper: str, broken: int
) -> None:
    _two_batches(store)
    with store.session() as session:
        session.execute(text(tamper))
    verdict = _verify(store)
    assert not verdict.ok and verdict.broken_seq == broken and verdict.checked == broken - 1


def test_events_reordered_with_their_chain_fields_rehashed_unkeyed_are_caught(
    store: Store,
) -> None:
    _two_batches(store)
    with store.session() as session:  # event 2 and 5 swap places, hashes recomputed (no key)
        session.execute(text("UPDATE audit_event SET seq = -5 WHERE seq = 2"))
        session.execute(text("UPDATE audit_event SET seq = 2 WHERE seq = 5"))
        session.execute(text("UPDATE audit_event SET seq = 5 WHERE seq = -5"))
        prev = audit.GENESIS
        for event in session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))).all():
            event.prev_hash = prev
            event.hash = prev = hashlib.sha256(
                f"{prev}{audit.event_payload(event)}".encode()
            ).hexdigest()
            session.add(event)
    assert _verify(store).broken_seq == 1


def test_the_append_order_is_not_what_the_chain_vouches_for(store: Store) -> None:
    # ids only order the appends before sealing; renumbering them changes no sealed event
    _two_batches(store)
    with store.session() as session:
        session.execute(text("UPDATE audit_event SET id = id + 100"))
    assert _verify(store).checked == 6


def test_a_head_is_a_sealed_position_and_keeps_verifying_as_events_are_sealed(
    store: Store,
) -> None:
    _append(store, 2)
    with store.session() as session:
        assert audit.head_token(session)[0] == 0  # nothing sealed yet: the genesis head
    audit.seal_all(store.session)
    with store.session() as session:
        seq, token = audit.head_token(session)
    _append(store, 3)
    waiting = _verify(store, token)
    audit.seal_all(store.session)
    sealed = _verify(store, token)
    assert seq == 2 and waiting.head == "found" and waiting.unsealed == 3
    assert sealed.head == "found" and sealed.checked == 5 and sealed.unsealed == 0


# --- a store written before sealing: schema 0004, its chain and a head kept then ------------


_OLD_TABLE = sa.table(  # audit_event as schema 0004 has it
    "audit_event",
    *(sa.column(name) for name in ("seq", "actor", "action", "subject", "detail")),
    *(sa.column(name) for name in ("prev_hash", "hash")),
    sa.column("at", UTCDateTime()),
)


def _store_at_0004(settings: Settings, n: int) -> tuple[str, list[str]]:
    """A store at schema 0004 with n events chained the way carebot chained them then (seq
    given at append, keyed hash); the head token kept after it, and the events' hashes."""
    assert settings.carebot_master_key is not None
    master = crypto.decode_key(settings.carebot_master_key.get_secret_value(), what="test")
    engine = db.make_engine(settings.carebot_database_url, master)
    command.upgrade(schema.alembic_config(engine), "0004")
    root = crypto.new_key()
    keys = crypto.audit_keys(root)
    prev, hashes = audit.GENESIS, []
    with Session(engine) as session:
        session.add(
            DataKey(
                owner=AUDIT_OWNER,
                kek_id=crypto.key_id(master),
                wrapped=crypto.wrap_key(master, root, owner=AUDIT_OWNER),
                created_at=datetime.now(UTC),
            )
        )
        for seq in range(1, n + 1):
            at = datetime(2026, 11, 30, 9, seq, tzinfo=UTC)
            detail = json.dumps({"n": seq})
            body = audit.payload(
                seq=seq, at=at, actor="old", action="old.event", subject=None, detail=detail
            )
            digest = audit.seal(keys.chain, prev, body)
            session.execute(
                sa.insert(_OLD_TABLE),
                {"seq": seq, "at": at, "actor": "old", "action": "old.event", "subject": None,
                 "detail": detail, "prev_hash": prev, "hash": digest},
            )  # fmt: skip
            prev = digest
            hashes.append(digest)
        session.commit()
    engine.dispose()
    return f"{n}:{prev}:{audit_heads.tag(keys, n, prev)}", hashes


def test_a_store_upgraded_from_0004_verifies_with_its_old_head_and_chains_on(
    settings: Settings,
) -> None:
    token, hashes = _store_at_0004(settings, 5)
    store = open_store(settings)  # migrates to 0005 and on
    try:
        upgraded = _verify(store, token)
        assert upgraded.ok and upgraded.checked == 5 and upgraded.head == "found"
        assert upgraded.unsealed == 0
        old = _chain(store)
        assert [(e.id, e.seq, e.hash) for e in old] == [(i, i, h) for i, h in enumerate(hashes, 1)]
        assert all(e.tag is None for e in old)  # sealed before append tags existed
        _append(store, 2)
        assert audit.seal_all(store.session) == 2
        chain = _chain(store)
        assert [(e.id, e.seq) for e in chain[5:]] == [(6, 6), (7, 7)]
        assert chain[5].prev_hash == hashes[-1]
        assert all(e.tag is not None for e in chain[5:])
        later = _verify(store, token)
        assert later.ok and later.checked == 7 and later.head_seq == 5
    finally:
        store.engine.dispose()


def test_the_0005_downgrade_keeps_a_sealed_chain_and_refuses_while_events_wait(
    settings: Settings,
) -> None:
    token, _ = _store_at_0004(settings, 3)
    store = open_store(settings)
    _append(store, 1)
    config = schema.alembic_config(store.engine)
    with pytest.raises(RuntimeError, match="audit events wait to be sealed"):
        command.downgrade(config, "0004")
    audit.seal_all(store.session)
    command.downgrade(config, "0004")
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT seq FROM audit_event ORDER BY seq")).scalars().all()
    assert rows == [1, 2, 3, 4]
    command.upgrade(config, "head")
    assert _verify(store, token).checked == 4
    store.engine.dispose()


# --- PostgreSQL: ids commit out of order, and the sealer's advisory lock ---------------------


@postgres_only
def test_an_event_committed_after_a_later_one_is_sealed_after_it(store: Store) -> None:
    _append(store, 1)  # the store's first event makes its audit key (under the lock)
    assert audit.seal_all(store.session) == 1
    with store.session() as early:
        audit.record(early, action="test.event", actor="test", n="early")
        early.flush()  # its id is handed out now, before the other's
        _append(store, 1)  # a later id, committed first
        assert audit.seal_all(store.session) == 1  # the early one is not committed yet
    assert audit.seal_all(store.session) == 1
    chain = _chain(store)
    assert [json.loads(e.detail)["n"] for e in chain] == [0, 0, "early"]
    assert (chain[1].id or 0) > (chain[2].id or 0) and _verify(store).checked == 3


@postgres_only
def test_appends_go_on_while_a_sealer_holds_the_lock_and_a_second_sealer_steps_aside(
    store: Store,
) -> None:
    _append(store, 2)
    with store.session() as sealer:
        assert audit.seal_pending(sealer) == 2  # holds pg_advisory_xact_lock until commit
        _append(store, 3)  # another session appends meanwhile: it takes no lock
        assert audit.seal_all(store.session, wait=False) == 0  # the lock is taken
        held = sealer.execute(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 7160")
        ).scalar()
        assert held == 1
    assert audit.seal_all(store.session, wait=False) == 3
    assert _verify(store).checked == 5
