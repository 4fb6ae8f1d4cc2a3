"""Opening the store: SQLCipher-encrypted SQLite by default, PostgreSQL for scale-out.

SQLite runs in WAL mode with `synchronous=FULL` (a `sent` mark lost to a power cut would mean
a second SMS), foreign keys on, a busy timeout, and `BEGIN IMMEDIATE` for every write
transaction so that two dispatchers never both claim a reminder.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import URL, Engine, create_engine, event, inspect, make_url
from sqlalchemy.pool import QueuePool
from sqlmodel import Session

from bot.store import crypto

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class StoreError(Exception):
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


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling is off; `begin` below issues BEGIN IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        "synchronous=FULL",
        "foreign_keys=ON",
        "busy_timeout=10000",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(database_url: str, master: bytes) -> Engine:
    """An engine for the store, with carebot's SQLite settings where it is SQLite."""
    url = engine_url(database_url, master)
    if url.drivername == "sqlite+pysqlcipher":
        # A small pool: opening a SQLCipher connection (key, pragmas, schema) costs more than
        # most of carebot's transactions. A connection is used by one thread at a time.
        engine = create_engine(url, poolclass=QueuePool, pool_size=4, max_overflow=4,
                               connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


def is_sqlite(engine: Engine) -> bool:
    """Whether this store is the SQLite (SQLCipher) one."""
    return engine.dialect.name == "sqlite"


def check_key(engine: Engine) -> None:
    """Fail with a clear message when the SQLCipher key does not open the file."""
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
    except Exception as exc:
        if "not a database" in str(exc) or "file is encrypted" in str(exc):
            raise StoreError("the store cannot be opened with this master key") from exc
        raise StoreError(f"the store cannot be opened: {type(exc).__name__}") from exc


def alembic_config(engine: Engine) -> Config:
    """Alembic's configuration, bound to an already-keyed engine."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> None:
    """Apply every migration not yet applied."""
    command.upgrade(alembic_config(engine), "head")


def needs_upgrade(engine: Engine) -> bool:
    """True for a new store, or one behind the newest migration."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return True
        return MigrationContext.configure(conn).get_current_revision() != head


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
