"""The store's schema: is it current, and bringing it up to date, one process at a time.

Every command that writes opens the store with an upgrade check. Several processes started
together on a new store (cron's tick, a nurse's command, a second dispatcher) would otherwise
all find it empty and all create its tables: on PostgreSQL the losers fail on `alembic_version`
or `pg_type`. So the upgrade runs under a lock held across the check and the upgrade: a
session-level advisory lock on PostgreSQL, an exclusive lock on a file beside the store (mode
0600) on SQLite. The second process waits, then finds the schema current.

The check itself is cheap and takes no lock: the newest revision is read from the migration
files' `revision` lines, so a command that finds the schema current never loads Alembic.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from bot.store.db import StoreError, is_sqlite

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# PostgreSQL advisory lock keys are one number space per database: the audit chain holds 7160.
SCHEMA_LOCK = 7159
WAIT_SECONDS = 600.0  # a migration of a large store can take minutes; a stuck one is refused

_REVISION = re.compile(r"^revision(?:\s*:\s*str)?\s*=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN = re.compile(r"^down_revision(?:\s*:[^=]+)?=\s*(.+)$", re.MULTILINE)


def alembic_config(engine: Engine | None) -> Config:
    """Alembic's configuration, bound to an already-keyed engine (None: to read the
    migrations only)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def heads() -> frozenset[str]:
    """The newest revisions, read from the migration files without importing them: the
    revisions that no other one names as its `down_revision`."""
    revisions: set[str] = set()
    downs: set[str] = set()
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        found, down = _REVISION.search(source), _DOWN.search(source)
        if found is None or down is None:
            return _alembic_heads()  # a file written another way: ask Alembic
        revisions.add(found.group(1))
        downs.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    return frozenset(revisions - downs)


def _alembic_heads() -> frozenset[str]:
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory.from_config(alembic_config(None)).get_heads())


def current(engine: Engine) -> frozenset[str]:
    """The revisions the store records (none for a new store)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return frozenset()
        rows = conn.execute(text("SELECT version_num FROM alembic_version"))
        return frozenset(row[0] for row in rows)


def needs_upgrade(engine: Engine) -> bool:
    """True for a new store, or one behind the newest migration. A store whose schema is
    newer than this carebot knows is refused: no migration here can bring it back."""
    stored, newest = current(engine), heads()
    if stored == newest:
        return False
    if stored and not stored <= _known():
        raise StoreError(
            "the store's schema is newer than this carebot: upgrade carebot before using it"
        )
    return True


def _known() -> set[str]:
    return {
        found.group(1)
        for path in (MIGRATIONS / "versions").glob("*.py")
        if (found := _REVISION.search(path.read_text(encoding="utf-8"))) is not None
    }


def upgrade(engine: Engine) -> None:
    """Apply every migration not yet applied, under the schema lock (see the module's doc)."""
    with schema_lock(engine):
        _upgrade_now(engine)


def upgrade_if_needed(engine: Engine) -> bool:
    """Upgrade a new or older store; whether it did. Checked once without the lock (the
    usual case: current, no wait) and again under it (another process may have just done it)."""
    if not needs_upgrade(engine):
        return False
    with schema_lock(engine):
        if not needs_upgrade(engine):
            return False
        _upgrade_now(engine)
    return True


def _upgrade_now(engine: Engine) -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


@contextlib.contextmanager
def schema_lock(engine: Engine, *, wait_seconds: float = WAIT_SECONDS) -> Iterator[None]:
    """Held by one process at a time per store, across a schema check and its upgrade."""
    if is_sqlite(engine):
        assert engine.url.database is not None
        with _file_lock(Path(f"{engine.url.database}.lock"), wait_seconds=wait_seconds):
            yield
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # Session-level: held outside any transaction, across Alembic's own ones.
        conn.execute(text(f"SET lock_timeout = {int(wait_seconds * 1000)}"))
        try:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": SCHEMA_LOCK})
        except Exception as exc:
            if "lock timeout" not in str(exc).lower():
                raise
            raise _busy() from None
        finally:
            conn.execute(text("RESET lock_timeout"))
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SCHEMA_LOCK})


@contextlib.contextmanager
def _file_lock(path: Path, *, wait_seconds: float) -> Iterator[None]:
    """An exclusive `flock` on `path` (made 0600), polled until `wait_seconds`."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise _busy() from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _busy() -> StoreError:
    return StoreError(
        "another carebot is upgrading the store's schema: try again when it has finished"
    )
