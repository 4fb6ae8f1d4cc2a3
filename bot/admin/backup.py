"""`carebot backup` and `carebot restore` for the SQLite (SQLCipher) store.

A backup is an online, consistent copy made by `sqlcipher_export` into a new SQLCipher file
keyed like the store (so it is as unreadable as the store without the master key, and
unreadable for good once the master key is rotated and the old one destroyed), written with
mode 0600 under a temporary name and renamed into place when complete.

A restore never brings an erased patient back: the backup is copied into a staging file, every
patient named by the erasure ledger or already erased in the store being replaced is erased
again there, and only then is the staging copy written over the store, while holding the
store's exclusive lock (refused if any other process has the store open).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlcipher3
from sqlalchemy import make_url
from sqlmodel import col, select

from bot.config import Settings
from bot.errors import CarebotError
from bot.patients import lifecycle
from bot.store import audit, crypto, db, ledger
from bot.store.keyring import load_keys
from bot.store.models import Patient
from bot.store.store import Store, open_store


class BackupError(CarebotError):
    """A backup or restore was refused; nothing was changed."""


@dataclass(frozen=True)
class Restored:
    reerased: list[str]  # pseudonyms erased again: present in the backup, erased since


def _sqlite_file(settings: Settings) -> Path:
    url = make_url(settings.carebot_database_url)
    if not url.drivername.startswith("sqlite") or not url.database:
        raise BackupError(
            "on PostgreSQL, back up and restore with pg_dump and pg_restore "
            "(then `carebot restore --erasures-only`)"
        )
    return Path(url.database).resolve()


def backup(store: Store, target: Path, *, force: bool, actor: str) -> Path:
    """Write an encrypted copy of the store to `target`; returns its resolved path."""
    live = _sqlite_file(store.settings)
    target = target.resolve()
    if target in (live, Path(f"{live}-wal"), Path(f"{live}-shm")):
        raise BackupError("the backup must be another file than the store")
    if not target.parent.is_dir():
        raise BackupError(f"folder {target.parent} does not exist")
    if target.is_dir():
        raise BackupError(f"{target} is a folder: name the backup file")
    if target.exists() and not force:
        raise BackupError(f"{target} exists: use --force to replace it")
    with store.session() as session:  # recorded first, so the backup holds its own event
        audit.record(session, action="store.backup", actor=actor)
    staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    _new_private(staging)
    try:
        raw: Any = store.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(
                f"ATTACH DATABASE ? AS carebot_backup KEY "
                f'"{crypto.sqlcipher_key(store.keys.master)}"',
                (str(staging),),
            )
            try:
                cursor.execute("SELECT sqlcipher_export('carebot_backup')")
            finally:
                cursor.execute("DETACH DATABASE carebot_backup")
        finally:
            raw.close()
        _fsync(staging)
        os.replace(staging, target)
        _fsync(target.parent)
    finally:
        _remove(staging)
    return target


def restore(settings: Settings, source: Path, *, actor: str) -> Restored:
    """Replace the store with a backup, erasing again whoever was erased since it was made."""
    live = _sqlite_file(settings)
    source = source.resolve()
    if not source.is_file():
        raise BackupError(f"backup {source} does not exist")
    if source == live:
        raise BackupError("the backup must be another file than the store")
    keys = load_keys(settings)
    erased = {entry.pseudonym for entry in ledger.read(settings, keys)}  # refused if edited
    key = crypto.sqlcipher_key(keys.master)
    with _open(source, key, what=f"backup {source}") as src, _exclusive(live, key) as target:
        if not _has_table(src, "alembic_version") or not _has_table(src, "patient"):
            raise BackupError(f"{source} is not a carebot store")
        erased |= _erased_in(target)
        staging = live.with_name(f".{live.name}.restore.{os.getpid()}")
        _new_private(staging)
        try:
            with _open(staging, key, what="the staging copy") as copy:
                src.backup(copy)
            reerased = _reerase(settings, staging, erased, actor=actor)
            with _open(staging, key, what="the staging copy") as copy:
                copy.backup(target)
            target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            for path in (staging, Path(f"{staging}-wal"), Path(f"{staging}-shm")):
                _remove(path)
    return Restored(reerased)


def reapply(store: Store, *, actor: str) -> list[str]:
    """Erase again every patient the ledger names who is not erased in this store (after a
    restore made outside carebot, e.g. pg_restore)."""
    names = {entry.pseudonym for entry in ledger.read(store.settings, store.keys)}
    return _reerase_in(store, names, actor=actor)


def _reerase(settings: Settings, staging: Path, names: set[str], *, actor: str) -> list[str]:
    store = open_store(
        settings.model_copy(update={"carebot_database_url": f"sqlite:///{staging}"})
    )  # migrates an older backup too
    try:
        done = _reerase_in(store, names, actor=actor)
        with store.session() as session:
            audit.record(session, action="store.restore", actor=actor, reerased=len(done))
        if not lifecycle.purge(store, wait_seconds=5):
            raise BackupError("the staging copy could not be purged")
        return done
    finally:
        store.engine.dispose()


def _reerase_in(store: Store, names: set[str], *, actor: str) -> list[str]:
    with store.session() as session:
        found = list(
            session.exec(
                select(Patient.pseudonym).where(
                    col(Patient.pseudonym).in_(sorted(names)), Patient.status != "erased"
                )
            )
        )
    for who in found:
        lifecycle.erase(store, who, actor=actor, record=False, wait_seconds=5)
    return found


def _has_table(conn: Any, name: str) -> bool:
    return bool(
        conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()[0]
    )


def _erased_in(conn: Any) -> set[str]:
    """Who the store being replaced had erased (it may know of erasures the ledger lost)."""
    if _has_table(conn, "patient"):
        return {
            row[0] for row in conn.execute("SELECT pseudonym FROM patient WHERE status = 'erased'")
        }
    return set()


@contextlib.contextmanager
def _open(path: Path, key: str, *, what: str) -> Iterator[Any]:
    conn = sqlcipher3.connect(str(path))
    try:
        conn.isolation_level = None
        conn.execute(f'PRAGMA key = "{key}"')
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlcipher3.DatabaseError as exc:
            raise BackupError(
                f"{what} cannot be opened with this master key (a backup made "
                "before a key rotation stays closed, by design)"
            ) from exc
        yield conn
    finally:
        conn.close()


@contextlib.contextmanager
def _exclusive(live: Path, key: str) -> Iterator[Any]:
    """The store, locked for this connection only: refused while another has it open."""
    db.private_files(live)
    conn = sqlcipher3.connect(str(live))
    try:
        conn.isolation_level = None
        conn.execute(f'PRAGMA key = "{key}"')
        for pragma in ("busy_timeout=1000", "secure_delete=ON", "locking_mode=EXCLUSIVE"):
            conn.execute(f"PRAGMA {pragma}")  # exclusive before the file is first read
        try:
            conn.execute("BEGIN EXCLUSIVE")
            conn.execute("COMMIT")
        except sqlcipher3.OperationalError as exc:
            raise BackupError(
                "the store is in use (carebot run, serve or tick?): stop every "
                "carebot process, then restore"
            ) from exc
        except sqlcipher3.DatabaseError as exc:
            raise BackupError("the store cannot be opened with this master key") from exc
        yield conn
    finally:
        conn.close()


def _new_private(path: Path) -> None:
    _remove(path)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
