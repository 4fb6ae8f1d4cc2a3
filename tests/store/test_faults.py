"""Store faults said plainly, from the drivers' codes: full, read-only, locked by PID, not a
store; and the WAL kept small."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg.errors
import pytest
import sqlcipher3
from sqlalchemy import text

from bot.config import Settings
from bot.store import crypto, db, faults
from bot.store.faults import Fault, StoreFault
from bot.store.store import Store, open_store
from tests.conftest import POSTGRES_ADMIN_URL

sqlite_only = pytest.mark.skipif(bool(POSTGRES_ADMIN_URL), reason="SQLCipher files only")


def _file(settings: Settings) -> Path:
    return Path(settings.carebot_database_url.removeprefix("sqlite:///"))


def full_at_next_page(monkeypatch: pytest.MonkeyPatch, store: Store, spare: int = 0) -> None:
    """Every connection opened from now on may grow the file by `spare` pages only (SQLite's
    max_page_count: a write past it fails with SQLITE_FULL, as on a full disk)."""
    with store.engine.connect() as conn:
        pages = int(conn.exec_driver_sql("PRAGMA page_count").scalar() or 0)
    store.engine.dispose()
    monkeypatch.setattr(db, "PRAGMAS", (*db.PRAGMAS, f"max_page_count={pages + spare}"))
    store.engine = db.make_engine(store.settings.carebot_database_url, store.keys.master)


@sqlite_only
def test_a_full_store_says_so_with_its_path(
    store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    full_at_next_page(monkeypatch, store)
    with pytest.raises(StoreFault) as caught, store.session() as session:
        session.exec(text("CREATE TABLE filler (x BLOB)"))  # type: ignore[call-overload]
        session.exec(text("INSERT INTO filler VALUES (randomblob(200000))"))  # type: ignore[call-overload]
    assert caught.value.fault is Fault.FULL
    assert str(caught.value) == f"the store is full ({_file(settings)}): free some disk space"


@sqlite_only
def test_a_store_locked_by_another_carebot_names_its_pid(store: Store, settings: Settings) -> None:
    path = _file(settings)
    key = crypto.sqlcipher_key(store.keys.master)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlcipher3, sys; c = sqlcipher3.connect(sys.argv[1]); "
            "c.isolation_level = None; c.execute(f'PRAGMA key = \"{sys.argv[2]}\"'); "
            "c.execute('BEGIN IMMEDIATE'); print('held', flush=True); sys.stdin.read()",
            str(path),
            key,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        conn = sqlcipher3.connect(str(path), timeout=0)
        conn.isolation_level = None
        conn.execute(f'PRAGMA key = "{key}"')
        with pytest.raises(sqlcipher3.OperationalError) as caught:
            conn.execute("BEGIN IMMEDIATE")
        conn.close()
        fault = faults.fault_of(caught.value, str(path), sqlite_file=path)
    finally:
        holder.communicate("")
    assert fault.fault is Fault.LOCKED
    assert str(fault).startswith(f"the store is locked by PID {holder.pid} ({path})")


@sqlite_only
def test_a_wrong_key_or_another_file_is_not_a_carebot_store(settings: Settings) -> None:
    path = _file(settings)
    path.write_bytes(b"these are the minutes of a meeting, not a store" * 100)
    with pytest.raises(db.StoreError, match=r"with this master key \(.*carebot\.db\)"):
        open_store(settings)


@pytest.mark.parametrize(
    "error,fault",
    [
        (psycopg.errors.DiskFull, Fault.FULL),
        (psycopg.errors.ReadOnlySqlTransaction, Fault.READ_ONLY),
        (psycopg.errors.LockNotAvailable, Fault.LOCKED),
        (psycopg.errors.InvalidCatalogName, Fault.NOT_A_STORE),
        (psycopg.errors.ConnectionFailure, Fault.UNREACHABLE),
        (psycopg.errors.UniqueViolation, None),  # a constraint is no store fault
    ],
)
def test_postgresql_faults_are_told_by_sqlstate(error: type[Exception], fault: Fault) -> None:
    assert faults.classify(error("the message text is never read")) is fault


@sqlite_only
def test_the_wal_is_emptied_after_a_cycle(store: Store, settings: Settings) -> None:
    from datetime import UTC, datetime

    from bot.runtime import tick

    with store.session() as session:
        session.exec(text("CREATE TABLE filler (x BLOB)"))  # type: ignore[call-overload]
        for _ in range(40):  # 4 MB through the WAL, as a busy cycle writes
            session.exec(text("INSERT INTO filler VALUES (randomblob(100000))"))  # type: ignore[call-overload]
    wal = Path(f"{_file(settings)}-wal")
    assert wal.stat().st_size > 1 << 20
    tick(store, now=datetime.now(UTC))
    assert wal.stat().st_size == 0
