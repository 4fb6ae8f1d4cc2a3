"""Opening the store: SQLCipher-encrypted SQLite by default, PostgreSQL for scale-out.

SQLite runs in WAL mode with `synchronous=FULL` (a `sent` mark lost to a power cut would mean
a second SMS), foreign keys on, a busy timeout, and `BEGIN IMMEDIATE` for every write
transaction so that two dispatchers never both claim a reminder. `secure_delete` is on, so
that a deleted or overwritten row is zeroed in its page rather than left in free space, and
the file, its WAL and its shared-memory index are created readable by their owner only.
"""

from __future__ import annotations

import contextlib
import os
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import QueuePool
from sqlmodel import Session

from bot.errors import CarebotError
from bot.store import crypto, faults


class StoreError(CarebotError):
    """The store cannot be opened (wrong key, not a carebot store, unsupported URL)."""


def engine_url(database_url: str, master: bytes) -> URL:
    """The SQLAlchemy URL: a `sqlite:///PATH` becomes SQLCipher keyed from the master key."""
    url = make_url(database_url)
    if url.drivername in ("sqlite", "sqlite+pysqlcipher"):
        if not url.database or url.database == ":memory:":
            raise StoreError("carebot needs a file for its SQLite store, not :memory:")
        return URL.create(
            "sqlite+pysqlcipher", password=crypto.sqlcipher_key(master), database=url.database
        )
    if url.drivername.startswith("postgresql"):
        return url
    raise StoreError(f"unsupported database URL scheme: {url.drivername}")


PRAGMAS = (
    "journal_mode=WAL",
    "synchronous=FULL",
    "foreign_keys=ON",
    "busy_timeout=10000",
    "secure_delete=ON",
    # The WAL kept small on a small disk: checkpointed every 256 pages (1 MiB) rather than
    # SQLite's 1000 (4 MiB), and cut back to 1 MiB whenever a checkpoint lets it restart.
    "wal_autocheckpoint=256",
    f"journal_size_limit={1 << 20}",
)
# A reader's connection writes nothing: no journal mode to set, no WAL to make.
READ_ONLY_PRAGMAS = ("busy_timeout=10000", "query_only=ON")


def _pragmas(pragmas: tuple[str, ...]) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling is off; `begin` below issues BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    return on_connect


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_begin_read(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


def make_engine(database_url: str, master: bytes, *, read_only: str | None = None) -> Engine:
    """An engine for the store, with carebot's SQLite settings where it is SQLite.

    `read_only` opens a store that is only read, writing nothing at all: on SQLite "ro" (no
    journal mode set, no file made) or "immutable" (not even a lock or a -shm file, for a
    read-only disk with no WAL left in it); on PostgreSQL any value makes every transaction
    read-only. Store faults are raised as `faults.StoreFault` (see `bot.store.faults`)."""
    url = engine_url(database_url, master)
    if url.drivername == "sqlite+pysqlcipher":
        assert url.database is not None
        path = Path(url.database)
        if read_only is None:
            try:
                private_files(path)
            except OSError as exc:
                if faults.classify(exc) is None:
                    raise
                raise faults.fault_of(exc, str(path)) from None
        else:
            url = _read_only_url(url, path, mode=read_only)
        # A small pool: opening a SQLCipher connection (key, pragmas, schema) costs more than
        # most of carebot's transactions. A connection is used by one thread at a time.
        engine = create_engine(
            url,
            poolclass=QueuePool,
            pool_size=4,
            max_overflow=4,
            connect_args={"check_same_thread": False},
        )
        event.listen(engine, "connect", _pragmas(READ_ONLY_PRAGMAS if read_only else PRAGMAS))
        event.listen(engine, "begin", _sqlite_begin_read if read_only else _sqlite_begin)
    elif read_only is not None:
        engine = create_engine(
            url,
            pool_pre_ping=True,
            connect_args={"options": "-c default_transaction_read_only=on"},
        )
    else:
        engine = create_engine(url, pool_pre_ping=True)
    faults.install(engine)
    return engine


def _read_only_url(url: URL, path: Path, *, mode: str) -> URL:
    """SQLite's URI for a read-only open of `path` (`mode=ro`, or `immutable=1`)."""
    if not path.is_file():
        raise faults.StoreFault(
            faults.Fault.UNREACHABLE, f"no store at {path}: run `carebot init` first"
        )
    query = {"uri": "true", "mode": "ro"} if mode == "ro" else {"uri": "true", "immutable": "1"}
    return url.set(database=f"file:{urllib.parse.quote(str(path.resolve()))}", query=query)


def checkpoint(engine: Engine) -> None:
    """SQLite: move the WAL into the main file and cut it to nothing (TRUNCATE), if no reader
    is in the way within a moment; else as much as it can (PASSIVE). Nothing to do on
    PostgreSQL; a checkpoint that cannot run (a full disk) waits for the next one."""
    if not is_sqlite(engine) or "mode=ro" in str(engine.url) or "immutable" in str(engine.url):
        return
    with contextlib.suppress(faults.StoreFault, DBAPIError, OSError):
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("PRAGMA busy_timeout=100")
            try:
                busy, _log, _done = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                if busy:
                    cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                cursor.execute("PRAGMA busy_timeout=10000")
                cursor.close()
        finally:
            raw.close()


def private_files(db_file: Path) -> None:
    """Create the store file with mode 0600, and tighten an older one and its companions.

    SQLite creates the `-wal` and `-shm` files with the mode of the main file, so a 0600
    main file keeps them private too."""
    if not db_file.parent.is_dir():
        return  # SQLite's own error says what is wrong with the path
    os.close(os.open(db_file, os.O_RDWR | os.O_CREAT, 0o600))
    for path in (db_file, Path(f"{db_file}-wal"), Path(f"{db_file}-shm")):
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mode & 0o077:
                path.chmod(0o600)


def purge_files(engine: Engine, *, wait_seconds: float = 30.0) -> bool:
    """SQLite: copy every committed page into the main file and empty the WAL (TRUNCATE checkpoint).

    Erased rows are zeroed in their pages (secure_delete); this puts those pages in the main
    file and drops the WAL's older copies. A connection in the middle of a read transaction
    that began before the erasure still needs the old pages: the checkpoint waits for it
    (SQLite's busy handler), retried until `wait_seconds`; False if it is still reading then.
    Idle connections (carebot's pooled ones between requests) do not hold it up.
    """
    if not is_sqlite(engine):
        return _vacuum_data_keys(engine, wait_seconds=wait_seconds)
    deadline = time.monotonic() + wait_seconds
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA busy_timeout=200")
        try:
            while True:
                busy, _log, _done = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                if not busy:
                    return True
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.05)
        finally:
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()
    finally:
        raw.close()


def _vacuum_data_keys(engine: Engine, *, wait_seconds: float) -> bool:
    """PostgreSQL: rewrite the small data-key table, so that a deleted (wrapped) data key
    does not linger in a dead row until autovacuum; the other tables' dead rows hold only
    ciphertexts no key opens any more. False if the lock or the privilege is missing."""
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"SET lock_timeout = {int(wait_seconds * 1000)}")
            conn.exec_driver_sql("VACUUM (FULL) data_key")
    except DBAPIError:
        return False
    return True


def is_sqlite(engine: Engine) -> bool:
    """Whether this store is the SQLite (SQLCipher) one."""
    return engine.dialect.name == "sqlite"


def check_key(engine: Engine) -> None:
    """Fail with a clear message when the SQLCipher key does not open the file (SQLITE_NOTADB:
    a wrong key and a file that is not a store look the same to SQLCipher)."""
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
    except faults.StoreFault as exc:
        if exc.fault is faults.Fault.NOT_A_STORE:
            where, _file = faults.where(engine)
            raise StoreError(
                f"the store cannot be opened with this master key ({where}): "
                "a wrong key, or not a carebot store"
            ) from None
        raise


@contextlib.contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One write transaction: committed on success, rolled back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
