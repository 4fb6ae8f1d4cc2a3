"""The keyed audit chain: an edit, a deletion, a reorder or a cut tail of sealed events is
caught, even with the hashes recomputed by someone who can write to the store but has not
the key. (Appending without a lock and sealing: test_audit_sealer.py.)"""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from bot.config import Settings
from bot.store import audit, audit_heads, audit_legacy, crypto
from bot.store.db import make_engine
from bot.store.models import AuditEvent
from bot.store.rotation import rotate
from bot.store.store import Store, open_store
from tests.conftest import Cli
from tests.store.test_crypto import replace_settings


def _log(store: Store, n: int) -> None:
    """Append n events, then seal them into the chain."""
    with store.session() as session:
        for i in range(n):
            audit.record(session, action="test.event", actor="test", subject=f"P-{i}", n=i)
    audit.seal_all(store.session)


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


def test_events_committed_are_sealed_without_a_gap_for_those_rolled_back(
    store: Store,
) -> None:
    with store.session() as session:
        audit.record(session, action="test.event", actor="test", n=1)
        audit.record(session, action="test.event", actor="test", n=2)
        session.commit()
        audit.record(session, action="test.event", actor="test", n=3)
        session.rollback()  # event 3 is gone
        audit.record(session, action="test.event", actor="test", n=4)
    _log(store, 2)  # another session appends after, and seals
    with store.session() as session:
        verdict = audit.verify(session)
        events = list(audit.iter_events(session))
    assert verdict.ok and verdict.checked == 5 and verdict.unsealed == 0
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert [json.loads(e.detail)["n"] for e in events] == [1, 2, 4, 0, 1]


# --- a keyed chain: what an attacker with write access to the store cannot do -------------


def _rechain_unkeyed(store: Store) -> None:
    """What an attacker without the key does after tampering: recompute every hash with
    plain SHA-256, the old unkeyed scheme, which the old `verify` accepted."""
    with store.session() as session:
        prev = audit.GENESIS
        for event in session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))).all():
            event.prev_hash, event.hash = prev, audit_legacy.unkeyed_hash(prev, event)
            prev = event.hash
            session.add(event)


def test_an_edit_with_the_hashes_recomputed_unkeyed_is_caught(store: Store) -> None:
    _log(store, 5)
    with store.session() as session:
        session.execute(text("UPDATE audit_event SET detail = :d WHERE seq = 3"), {"d": "{}"})
    _rechain_unkeyed(store)
    with store.session() as session:
        assert audit.verify(session).broken_seq == 1


def test_a_deletion_with_seqs_and_hashes_recomputed_is_caught(store: Store) -> None:
    _log(store, 5)
    with store.session() as session:
        session.execute(text("DELETE FROM audit_event WHERE seq = 2"))
        for seq in (3, 4, 5):
            session.execute(
                text("UPDATE audit_event SET seq = :n WHERE seq = :o"), {"n": seq - 1, "o": seq}
            )
    _rechain_unkeyed(store)
    with store.session() as session:
        verdict = audit.verify(session)
    assert not verdict.ok and verdict.broken_seq == 1


def test_two_events_swapped_with_the_hashes_recomputed_are_caught(store: Store) -> None:
    _log(store, 5)
    with store.session() as session:
        rows = {e.seq: e for e in session.exec(select(AuditEvent)).all()}
        rows[2].subject, rows[4].subject = rows[4].subject, rows[2].subject
        rows[2].detail, rows[4].detail = rows[4].detail, rows[2].detail
        session.add_all([rows[2], rows[4]])
    _rechain_unkeyed(store)
    with store.session() as session:
        assert audit.verify(session).broken_seq == 1


def test_a_swap_keeping_the_keyed_hashes_is_caught_where_it_starts(store: Store) -> None:
    _log(store, 5)
    with store.session() as session:
        rows = {e.seq: e for e in session.exec(select(AuditEvent)).all()}
        rows[3].hash, rows[4].hash = rows[4].hash, rows[3].hash
        rows[3].detail, rows[4].detail = rows[4].detail, rows[3].detail
        session.add_all([rows[3], rows[4]])
    with store.session() as session:
        assert audit.verify(session).broken_seq == 3


# --- heads kept elsewhere: found, cut, or unknown ------------------------------------------


def test_a_head_kept_before_later_events_is_found_with_the_events_since(store: Store) -> None:
    _log(store, 3)
    with store.session() as session:
        seq, token = audit.head_token(session)
    _log(store, 2)
    with store.session() as session:
        verdict = audit.verify(session, head=token)
        assert audit.verify(session, head=token.split(":")[1]).head == "found"
    assert seq == 3 and verdict.ok and verdict.head == "found" and verdict.head_seq == 3
    assert verdict.checked == 5


def test_a_cut_tail_is_told_apart_from_an_unknown_head(store: Store) -> None:
    _log(store, 5)
    with store.session() as session:
        _, token = audit.head_token(session)
        session.execute(text("DELETE FROM audit_event WHERE seq >= 4"))
    with store.session() as session:
        cut = audit.verify(session, head=token)
        seq, digest, tag = token.split(":")
        forged_tag = f"{seq}:{digest}:{'0' * 32 if tag != '0' * 32 else '1' * 32}"
        verdicts = {
            value: audit.verify(session, head=value)
            for value in ("deadbeef", forged_tag, f"9:{digest}:{tag}", "ab" * 32, "")
        }
    assert cut.head == "cut" and not cut.ok and "ends at event 3" in (cut.reason or "")
    for value, verdict in verdicts.items():
        assert verdict.head == "unknown" and not verdict.ok, value


def test_a_cut_tail_written_over_by_later_events_is_still_a_cut(store: Store) -> None:
    _log(store, 5)
    with store.session() as session:
        _, token = audit.head_token(session)
        session.execute(text("DELETE FROM audit_event WHERE seq >= 4"))
    _log(store, 3)  # carebot goes on: events 4, 5 and 6, validly sealed after the cut
    with store.session() as session:
        verdict = audit.verify(session, head=token)
    assert verdict.broken_seq is None and verdict.head == "cut" and verdict.head_seq == 5


def test_the_chain_and_a_kept_head_stay_verifiable_after_a_key_rotation(
    tmp_path: Path, settings: Settings
) -> None:
    key_file = tmp_path / "carebot.key"
    crypto.write_secret_file(key_file, crypto.encode_key(crypto.new_key()))
    file_settings = replace_settings(settings, key_file)
    store = open_store(file_settings)
    _log(store, 3)
    with store.session() as session:
        _, token = audit.head_token(session)
    store.engine.dispose()
    rotate(file_settings, actor="test")
    reopened = open_store(file_settings)
    audit.seal_all(reopened.session)  # the rotation's own event
    with reopened.session() as session:
        verdict = audit.verify(session, head=token)
    reopened.engine.dispose()
    assert verdict.ok and verdict.checked == 4 and verdict.head == "found"


def test_a_store_that_was_never_audited_gets_its_audit_key_sealed_in_by_a_rotation(
    tmp_path: Path, settings: Settings
) -> None:
    key_file = tmp_path / "carebot.key"
    crypto.write_secret_file(key_file, crypto.encode_key(crypto.new_key()))
    file_settings = replace_settings(settings, key_file)
    open_store(file_settings).engine.dispose()  # a store with no event, hence no audit key
    rotate(file_settings, actor="test")
    reopened = open_store(file_settings)
    _log(reopened, 1)
    with reopened.session() as session:
        assert audit.verify(session).checked == 2
    reopened.engine.dispose()


def test_an_audit_key_made_in_a_rolled_back_transaction_is_not_kept(settings: Settings) -> None:
    first, second = open_store(settings), open_store(settings)
    with pytest.raises(RuntimeError), first.session() as session:  # its key is rolled back
        audit.record(session, action="test.event", actor="test")
        raise RuntimeError("rolled back")
    _log(second, 1)  # the key the store keeps is made here
    _log(first, 1)
    with second.session() as session:
        verdict = audit.verify(session)
    first.engine.dispose()
    second.engine.dispose()
    assert verdict.ok and verdict.checked == 2


# --- a store whose chain was written unkeyed, before this version ---------------------------


def _unkeyed_store(store: Store, n: int) -> str:
    """Turn the store into one an older carebot wrote: unkeyed events, no audit key."""
    _log(store, n)
    _rechain_unkeyed(store)
    with store.session() as session:
        session.execute(text("DELETE FROM data_key WHERE owner = '_audit'"))
        return audit.head(session)


def test_an_unkeyed_chain_is_verified_and_sealed_under_the_key_when_the_store_opens(
    settings: Settings,
) -> None:
    old = open_store(settings)
    old_head = _unkeyed_store(old, 4)
    old.engine.dispose()
    store = open_store(settings)
    with store.session() as session:
        verdict = audit.verify(session)
        events = list(audit.iter_events(session))
    store.engine.dispose()
    assert verdict.ok and verdict.checked == 5
    assert events[-1].action == "audit.seal"
    assert json.loads(events[-1].detail) == {"sealed": 4, "unkeyed_head": old_head}
    open_store(settings).engine.dispose()  # a second open seals nothing more
    with open_store(settings).session() as session:
        assert audit.verify(session).checked == 5


def test_an_unkeyed_chain_tampered_before_the_upgrade_stays_broken_where_it_was(
    settings: Settings,
) -> None:
    old = open_store(settings)
    _unkeyed_store(old, 5)
    with old.session() as session:
        session.execute(text("UPDATE audit_event SET detail = :d WHERE seq = 3"), {"d": "{}"})
    old.engine.dispose()
    store = open_store(settings)
    with store.session() as session:
        verdict = audit.verify(session)
    store.engine.dispose()
    assert verdict.broken_seq == 3 and verdict.checked == 2


# --- keeping heads elsewhere -----------------------------------------------------------------


def test_a_head_line_is_appended_to_a_file_only_its_owner_can_read(tmp_path: Path) -> None:
    path = tmp_path / "heads.log"
    audit_heads.append_to_file(path, "one")
    audit_heads.append_to_file(path, "two")
    assert path.read_text() == "one\ntwo\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_head_line_goes_to_the_syslog_socket_and_a_missing_socket_is_one_line() -> None:
    folder = Path(tempfile.mkdtemp())  # a short path: a socket's name has at most 107 bytes
    address = str(folder / "log")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(address)
    server.settimeout(5)
    try:
        audit_heads.send_to_syslog("2026-12-01T10:00:00+00:00 seq=3 head=3:ab:cd", address=address)
        received = server.recv(4096).decode()
    finally:
        server.close()
        os.unlink(address)
        folder.rmdir()
    assert received.startswith("<14>carebot: audit head 2026-12-01T10:00:00+00:00 seq=3")
    with pytest.raises(audit_heads.HeadError, match=r"^no syslog socket at /nonexistent/log$"):
        audit_heads.send_to_syslog("x", address="/nonexistent/log")


def test_carebot_audit_head_to_a_file_then_verify_tells_a_cut_from_a_typo(cli: Cli) -> None:
    assert cli("program", "list").code == 0  # adds the shipped program: one event
    heads = cli.cwd / "heads.log"
    kept = cli("audit", "head", "--to", str(heads))
    assert kept.code == 0, kept.err
    token = kept.out.strip()
    assert re.fullmatch(r"\S+ seq=0 head=" + re.escape(token) + "\n", heads.read_text())
    assert cli("audit", "seal").out == "1 event sealed\n"  # a head is a sealed position
    token = cli("audit", "head", "--to", str(heads)).out.strip()
    assert re.search(r"\n\S+ seq=1 head=" + re.escape(token) + "\n$", heads.read_text())
    assert cli("program", "pause", "post-stroke-weekly").code == 0
    waiting = cli("audit", "verify", "--head", token)
    assert waiting.code == 0 and "the head kept is event 1, 0 written since" in waiting.out
    assert "1 event not sealed yet" in waiting.out
    assert cli("audit", "seal").out == "1 event sealed\n"
    assert cli("audit", "seal").out == "0 events sealed\n"
    intact = cli("audit", "verify", "--head", token)
    assert intact.code == 0 and "the head kept is event 1, 1 written since" in intact.out
    assert "not sealed" not in intact.out
    master = crypto.decode_key(cli.env["CAREBOT_MASTER_KEY"], what="test")
    engine = make_engine(cli.env["CAREBOT_DATABASE_URL"], master)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_event"))
    engine.dispose()
    cut = cli("audit", "verify", "--head", token)
    typo = cli("audit", "verify", "--head", "deadbeef")
    assert cut.code == 1 and cut.err.startswith(
        "error: events were cut from the end: the head "
        "kept is event 1, the chain now ends at event 0"
    )
    assert typo.code == 1 and typo.err.startswith("error: unknown head: ")
    assert len(cut.err.strip().splitlines()) == len(typo.err.strip().splitlines()) == 1
    nowhere = cli("audit", "head", "--to", str(cli.cwd / "no" / "such" / "heads.log"))
    assert nowhere.code == 1 and nowhere.err.strip() == (
        "error: cannot write to heads.log: No such file or directory"
    )
