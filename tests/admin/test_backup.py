"""`carebot backup` and `carebot restore`: encrypted copies, and a restore that never brings
an erased patient back (the erasure ledger)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import sqlcipher3
from pydantic import SecretStr
from sqlmodel import select

from bot.admin import backup
from bot.config import Settings
from bot.patients import lifecycle
from bot.store import crypto, ledger
from bot.store.keyring import ErasedError
from bot.store.models import AuditEvent, Contact, Patient, Reply
from bot.store.store import Store, open_store
from tests.conftest import POSTGRES_ADMIN_URL
from tests.inprocess import InProcess, carebot_fixture  # noqa: F401 (a fixture)
from tests.store.test_erasure import _db_file, _enrol_with_history, _found

sqlite_only = pytest.mark.skipif(bool(POSTGRES_ADMIN_URL), reason="SQLCipher files only")


def _assert_erased(settings: Settings, who: str, secrets: list[bytes]) -> None:
    store = open_store(settings)
    try:
        with store.session() as session:
            patient = session.get(Patient, who)
            assert patient is not None
            assert (patient.status, patient.name_enc, patient.language) == ("erased", None, "")
            assert session.exec(select(Contact).where(Contact.pseudonym == who)).all() == []
            assert all(
                r.text_enc == b"" for r in session.exec(select(Reply).where(Reply.pseudonym == who))
            )
            with pytest.raises(ErasedError):
                store.data_key(session, who)
    finally:
        store.engine.dispose()
    assert _found(settings, secrets) == []


@sqlite_only
@pytest.mark.parametrize("lost", ["nothing", "the ledger", "the store"])
def test_a_backup_taken_before_an_erasure_restores_the_patient_erased(
    store: Store, settings: Settings, tmp_path: Path, lost: str
) -> None:
    who, secrets = _enrol_with_history(store)
    copy = backup.backup(store, tmp_path / "before.db", force=False, actor="test")
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert b"SQLite format 3" not in copy.read_bytes()
    lifecycle.erase(store, who, actor="test")
    store.engine.dispose()
    if lost == "the ledger":  # the store being replaced still knows who was erased
        ledger.ledger_path(settings).unlink()  # type: ignore[union-attr]
    elif lost == "the store":  # the ledger, kept elsewhere, does
        for path in _db_file(settings).parent.glob("carebot.db*"):
            path.unlink()
    result = backup.restore(settings, copy, actor="test")
    assert result.reerased == [who]
    _assert_erased(settings, who, secrets)
    restored = open_store(settings)
    with restored.session() as session:
        actions = [e.action for e in session.exec(select(AuditEvent))]
    restored.engine.dispose()
    assert "store.backup" in actions and actions[-1] == "store.restore"


@sqlite_only
def test_restore_is_refused_while_another_process_has_the_store_open(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    who, _ = _enrol_with_history(store)
    copy = backup.backup(store, tmp_path / "b.db", force=False, actor="test")
    lifecycle.pause(store, who, actor="test")
    with pytest.raises(backup.BackupError, match="in use"):
        backup.restore(settings, copy, actor="test")  # `store` still holds connections
    with store.session() as session:
        assert session.get(Patient, who).status == "paused"  # type: ignore[union-attr]


@sqlite_only
def test_a_backup_under_another_master_key_is_refused(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    _enrol_with_history(store)
    copy = backup.backup(store, tmp_path / "b.db", force=False, actor="test")
    store.engine.dispose()
    other = settings.model_copy(
        update={"carebot_master_key": SecretStr(crypto.encode_key(crypto.new_key()))}
    )
    with pytest.raises(backup.BackupError, match="cannot be opened with this master key"):
        backup.restore(other, copy, actor="test")


@sqlite_only
def test_an_edited_ledger_refuses_the_restore(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    first, _ = _enrol_with_history(store)
    copy = backup.backup(store, tmp_path / "b.db", force=False, actor="test")
    lifecycle.erase(store, first, actor="test")
    store.engine.dispose()
    path = ledger.ledger_path(settings)
    assert path is not None and stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = path.read_text().splitlines()
    assert len(lines) == 2 and first in lines[1]
    path.write_text(lines[0] + "\n" + lines[1].replace(first, "P-0000-0000") + "\n")
    with pytest.raises(ledger.LedgerError, match="line 2"):
        backup.restore(settings, copy, actor="test")
    path.write_text(lines[0] + "\n")  # a line removed is not caught: only edits and moves
    assert ledger.read(settings, store.keys) == []


def test_the_ledger_chains_its_lines(settings: Settings, tmp_path: Path) -> None:
    keys = crypto.Keys(master=crypto.new_key(), pseudonym_secret=crypto.new_key())
    where = settings.model_copy(update={"carebot_erasure_ledger": tmp_path / "l"})
    from datetime import UTC, datetime

    for who in ("P-AAAA-AAAA", "P-BBBB-BBBB", "P-CCCC-CCCC"):
        ledger.append(where, keys, who, datetime.now(UTC))
    assert [e.pseudonym for e in ledger.read(where, keys)] == [
        "P-AAAA-AAAA",
        "P-BBBB-BBBB",
        "P-CCCC-CCCC",
    ]
    header, *lines = (tmp_path / "l").read_text().splitlines()
    (tmp_path / "l").write_text("\n".join([header, lines[1], lines[0], lines[2]]) + "\n")
    with pytest.raises(ledger.LedgerError):
        ledger.read(where, keys)  # lines moved
    other = crypto.Keys(master=keys.master, pseudonym_secret=crypto.new_key())
    (tmp_path / "l").write_text("\n".join([header, *lines]) + "\n")
    with pytest.raises(ledger.LedgerError):
        ledger.read(where, other)  # rewritten without the secret


@sqlite_only
def test_erasures_only_erases_again_after_a_copy_restored_outside_carebot(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    who, secrets = _enrol_with_history(store)
    copy = backup.backup(store, tmp_path / "b.db", force=False, actor="test")
    lifecycle.erase(store, who, actor="test")
    store.engine.dispose()
    live = _db_file(settings)
    for path in live.parent.glob("carebot.db*"):
        path.unlink()
    live.write_bytes(copy.read_bytes())  # cp, as an operator might
    reopened = open_store(settings)
    with reopened.session() as session:
        assert session.get(Patient, who).status == "active"  # type: ignore[union-attr]
    assert backup.reapply(reopened, actor="test") == [who]
    reopened.engine.dispose()
    _assert_erased(settings, who, secrets)


def test_backup_and_restore_on_the_command_line(carebot: InProcess, tmp_path: Path) -> None:
    for command in ("backup", "restore"):
        helped = carebot(command, "--help")
        assert helped.code == 0 and "Usage" in helped.out
    enrol = carebot(
        "patient",
        "enrol",
        "--ref",
        "AZ-9",
        "--program",
        "post-stroke-weekly",
        "--lang",
        "en",
        "--tz",
        "Europe/London",
        "--name",
        "Ann",
        "--consent",
        "console",
        "--format",
        "json",
    )
    assert enrol.code == 0, enrol.err
    who = json.loads(enrol.out)["pseudonym"]
    target = tmp_path / "copy.db"
    made = carebot("backup", str(target))
    if POSTGRES_ADMIN_URL:
        assert made.code == 1 and made.err.count("\n") == 1 and "pg_dump" in made.err
        return
    assert made.code == 0, made.err
    again = carebot("backup", str(target))
    assert again.code == 1 and again.err.startswith("error: ") and "--force" in again.err
    assert again.err.count("\n") == 1
    assert carebot("backup", str(target), "--force").code == 0
    folder = carebot("backup", str(tmp_path), "--force")
    assert folder.code == 1 and "is a folder" in folder.err
    assert carebot("patient", "erase", who, "--yes").code == 0
    assert carebot("restore", str(target)).code == 1  # no terminal, no --yes
    assert carebot("restore").code == 2
    missing = carebot("restore", str(tmp_path / "nope.db"), "--yes")
    assert missing.code == 1 and "does not exist" in missing.err
    restored = carebot("restore", str(target), "--yes")
    assert restored.code == 0, restored.err
    assert "1 patient(s) erased since the backup were erased again" in restored.out
    listed = json.loads(carebot("patient", "list", "--format", "json").out)
    assert [(p["pseudonym"], p["status"], p["channels"]) for p in listed] == [(who, "erased", [])]
    assert carebot("audit", "verify").code == 0
    log = carebot("audit", "log", "--format", "json")
    assert "store.restore" in log.out and "store.backup" in log.out


@sqlite_only
def test_a_file_that_is_not_a_carebot_store_is_refused(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    other = tmp_path / "other.db"
    conn = sqlcipher3.connect(str(other))
    conn.execute(f'PRAGMA key = "{crypto.sqlcipher_key(store.keys.master)}"')
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    store.engine.dispose()
    with pytest.raises(backup.BackupError, match="not a carebot store"):
        backup.restore(settings, other, actor="test")


@sqlite_only
def test_a_raw_reader_of_the_backup_needs_the_master_key(store: Store, tmp_path: Path) -> None:
    _enrol_with_history(store)
    copy = backup.backup(store, tmp_path / "b.db", force=False, actor="test")
    conn = sqlcipher3.connect(str(copy))
    with pytest.raises(sqlcipher3.DatabaseError):
        conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
    conn.close()
