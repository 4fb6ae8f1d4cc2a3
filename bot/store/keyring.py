"""Loading the install's keys, and each owner's data key for field encryption.

`Store` bundles the engine with the keys, so that code that reads or writes a personal field
asks it for the owner's data key and never touches the master key itself.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine, inspect
from sqlmodel import Session, select

from bot.config import Settings
from bot.store import crypto, db
from bot.store.models import DataKey

INBOX_OWNER = "_inbox"  # the data key for messages from unknown senders


class ErasedError(Exception):
    """The owner's data key was destroyed: their data is gone for good."""


def load_keys(settings: Settings) -> crypto.Keys:
    """The master key and pseudonym secret from the settings, or a one-line reason why not."""
    fallbacks: tuple[bytes, ...] = ()
    if settings.carebot_master_key is not None:
        master = crypto.decode_key(
            settings.carebot_master_key.get_secret_value(), what="CAREBOT_MASTER_KEY"
        )
    elif settings.carebot_key_file is not None:
        master = crypto.read_key_file(settings.carebot_key_file)
        pending = settings.carebot_key_file.with_name(settings.carebot_key_file.name + ".new")
        if pending.exists():  # a rotation was interrupted: both keys may be in use
            fallbacks = (crypto.read_key_file(pending),)
    else:
        raise crypto.KeyError_(
            "no master key: set CAREBOT_MASTER_KEY or CAREBOT_KEY_FILE, or run `carebot init`"
        )
    if settings.carebot_pseudonym_secret is None:
        raise crypto.KeyError_(
            "no pseudonym secret: set CAREBOT_PSEUDONYM_SECRET, or run `carebot init`"
        )
    secret = crypto.decode_key(
        settings.carebot_pseudonym_secret.get_secret_value(), what="CAREBOT_PSEUDONYM_SECRET"
    )
    return crypto.Keys(master=master, pseudonym_secret=secret, fallbacks=fallbacks)


@dataclass
class Store:
    """The opened store: its engine and keys, and a cache of unwrapped data keys."""

    engine: Engine
    keys: crypto.Keys
    settings: Settings
    _data_keys: dict[str, bytes] = field(default_factory=dict, repr=False)

    def session(self) -> AbstractContextManager[Session]:
        """A write transaction (BEGIN IMMEDIATE on SQLite)."""
        return db.session_scope(self.engine)

    def create_data_key(self, session: Session, owner: str) -> bytes:
        """A new data key for an owner, wrapped and added to the session."""
        key = crypto.new_key()
        session.add(
            DataKey(
                owner=owner,
                wrapped=crypto.wrap_key(self.keys.master, key, owner=owner),
                kek_id=crypto.key_id(self.keys.master),
                created_at=datetime.now(UTC),
            )
        )
        self._data_keys[owner] = key
        return key

    def data_key(self, session: Session, owner: str, *, create: bool = False) -> bytes:
        """The owner's data key; ErasedError if it was destroyed (or never made)."""
        if owner in self._data_keys:
            return self._data_keys[owner]
        row = session.get(DataKey, owner)
        if row is None:
            if create:
                return self.create_data_key(session, owner)
            raise ErasedError("no data key: the patient was erased")
        master = self.keys.master_for(row.kek_id)
        key = crypto.unwrap_key(master, row.wrapped, owner=owner)
        self._data_keys[owner] = key
        return key

    def forget(self, owner: str) -> None:
        """Drop a cached data key (after erasure)."""
        self._data_keys.pop(owner, None)

    def encrypt(
        self, session: Session, owner: str, value: str, *, table: str, column: str, row: str | int
    ) -> bytes:
        """Encrypt a field under its owner's data key."""
        key = self.data_key(session, owner, create=owner == INBOX_OWNER)
        return crypto.encrypt_field(key, value, table=table, column=column, row=row)

    def decrypt(
        self, session: Session, owner: str, blob: bytes, *, table: str, column: str, row: str | int
    ) -> str:
        """Decrypt a field; ErasedError if its owner was erased."""
        key = self.data_key(session, owner)
        return crypto.decrypt_field(key, blob, table=table, column=column, row=row)


def open_store(settings: Settings, *, migrate: bool = True) -> Store:
    """Open (and, for a new or older store, migrate) the store named by the settings."""
    keys = load_keys(settings)
    engine = db.make_engine(settings.carebot_database_url, keys.master)
    if db.is_sqlite(engine):
        try:
            db.check_key(engine)
        except db.StoreError:
            if not keys.fallbacks:
                raise
            # The file was re-keyed by a rotation that did not get to replace the key file.
            engine = db.make_engine(settings.carebot_database_url, keys.fallbacks[0])
            db.check_key(engine)
    if migrate and db.needs_upgrade(engine):
        db.upgrade(engine)
    _check_master(engine, keys)
    return Store(engine=engine, keys=keys, settings=settings)


def _check_master(engine: Engine, keys: crypto.Keys) -> None:
    """Refuse a master key that wraps none of the store's data keys.

    SQLCipher already refuses a wrong key for the file; PostgreSQL has no file key, and
    would otherwise open and fail on the first field it decrypts, mid-cycle."""
    known = {crypto.key_id(k) for k in (keys.master, *keys.fallbacks)}
    with engine.connect() as conn:
        if not inspect(conn).has_table("data_key"):
            return
        used = {row[0] for row in conn.execute(select(DataKey.kek_id).distinct())}
    if used - known:
        raise db.StoreError("the store cannot be opened with this master key")
