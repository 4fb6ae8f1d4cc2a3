"""The opened store: the engine with the keys.

Code that reads or writes a personal field asks the `Store` for the owner's data key and
never touches the master key itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, event, inspect, make_url
from sqlmodel import Session, select

from bot.config import Settings
from bot.store import audit, audit_legacy, crypto, db, faults, on_call, schema
from bot.store.keyring import AUDIT_OWNER, INBOX_OWNER, ErasedError, load_keys
from bot.store.models import DataKey, Program

_PENDING_AUDIT = "carebot.audit.pending"  # session.info: (transaction, keys) made in it
_NEW_KEYS = "carebot.keys.new"  # session.info: owner -> data key made in this transaction


@dataclass
class Store:
    """The opened store: its engine and keys, and a cache of unwrapped data keys."""

    engine: Engine
    keys: crypto.Keys
    settings: Settings
    read_only: bool = False  # opened to read only (`open_for_reading`): it writes nothing
    _data_keys: dict[str, bytes] = field(default_factory=dict, repr=False)
    _audit_keys: crypto.AuditKeys | None = field(default=None, repr=False)

    def close(self) -> None:
        """Checkpoint the WAL into the main file (see `db.checkpoint`) and close the pool."""
        db.checkpoint(self.engine)
        self.engine.dispose()

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A write transaction (BEGIN IMMEDIATE on SQLite) whose audit events are keyed."""
        with db.session_scope(self.engine) as session:
            session.info[audit.KEYS] = self.audit_keys
            yield session

    def audit_keys(self, session: Session) -> crypto.AuditKeys:
        """The audit chain's keys; their root key is made with the store's first event.

        A root made in a transaction is remembered only once that transaction commits: one
        rolled back must not leave this process sealing events under a key the store lost."""
        if self._audit_keys is not None:
            return self._audit_keys
        pending = session.info.get(_PENDING_AUDIT)
        row = session.get(DataKey, AUDIT_OWNER)
        if pending is not None and pending[0] is session.get_transaction() and row is not None:
            # still there: a savepoint rolled back since would have taken the row with it
            return pending[1]  # type: ignore[no-any-return]
        if row is None:
            audit.lock_chain(session)  # one maker of the key on PostgreSQL; then look again
            row = session.get(DataKey, AUDIT_OWNER)
        if row is not None:
            root = crypto.unwrap_key(
                self.keys.master_for(row.kek_id), row.wrapped, owner=AUDIT_OWNER
            )
            self._audit_keys = crypto.audit_keys(root)
            return self._audit_keys
        root = crypto.new_key()
        session.add(
            DataKey(
                owner=AUDIT_OWNER,
                kek_id=crypto.key_id(self.keys.master),
                wrapped=crypto.wrap_key(self.keys.master, root, owner=AUDIT_OWNER),
                created_at=datetime.now(UTC),
            )
        )
        keys = crypto.audit_keys(root)
        self._remember_when_committed(session, keys)
        return keys

    def _remember_when_committed(self, session: Session, keys: crypto.AuditKeys) -> None:
        marker = (session.get_transaction(), keys)
        session.info[_PENDING_AUDIT] = marker

        def committed(_session: Session) -> None:
            if session.info.pop(_PENDING_AUDIT, None) is marker:
                self._audit_keys = keys

        def rolled_back(_session: Session) -> None:
            if session.info.get(_PENDING_AUDIT) is marker:
                del session.info[_PENDING_AUDIT]

        event.listen(session, "after_commit", committed, once=True)
        event.listen(session, "after_rollback", rolled_back, once=True)

    def create_data_key(self, session: Session, owner: str) -> bytes:
        """A new data key for an owner, wrapped and added to the session. It is remembered
        for this transaction only: cached once read back from a committed row, never before,
        so that a key whose transaction or savepoint was rolled back is never used again."""
        key = crypto.new_key()
        session.add(
            DataKey(
                owner=owner,
                wrapped=crypto.wrap_key(self.keys.master, key, owner=owner),
                kek_id=crypto.key_id(self.keys.master),
                created_at=datetime.now(UTC),
            )
        )
        session.info.setdefault(_NEW_KEYS, {})[owner] = (session.get_transaction(), key)
        return key

    def data_key(self, session: Session, owner: str, *, create: bool = False) -> bytes:
        """The owner's data key; ErasedError if it was destroyed (or never made)."""
        if owner in self._data_keys:
            return self._data_keys[owner]
        row = session.get(DataKey, owner)
        made = session.info.get(_NEW_KEYS, {}).get(owner)
        if made is not None and made[0] is session.get_transaction():
            if row is not None:
                return made[1]  # type: ignore[no-any-return]
            del session.info[_NEW_KEYS][owner]  # its savepoint was rolled back
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
        self,
        session: Session,
        owner: str,
        value: str,
        *,
        table: str,
        column: str,
        row: str | int,
        create: bool = False,
    ) -> bytes:
        """Encrypt a field under its owner's data key (made first if `create`)."""
        key = self.data_key(session, owner, create=create or owner == INBOX_OWNER)
        return crypto.encrypt_field(key, value, table=table, column=column, row=row)

    def decrypt(
        self, session: Session, owner: str, blob: bytes, *, table: str, column: str, row: str | int
    ) -> str:
        """Decrypt a field; ErasedError if its owner was erased."""
        key = self.data_key(session, owner)
        return crypto.decrypt_field(key, blob, table=table, column=column, row=row)


def _keyed_engine(settings: Settings, keys: crypto.Keys, *, read_only: str | None) -> Engine:
    """The engine, with the master key that opens the file (SQLCipher)."""
    engine = db.make_engine(settings.carebot_database_url, keys.master, read_only=read_only)
    if db.is_sqlite(engine):
        try:
            db.check_key(engine)
        except db.StoreError:
            engine.dispose()
            if not keys.fallbacks:
                raise
            # The file was re-keyed by a rotation that did not get to replace the key file.
            engine = db.make_engine(
                settings.carebot_database_url, keys.fallbacks[0], read_only=read_only
            )
            db.check_key(engine)
    return engine


def open_for_reading(settings: Settings) -> Store:
    """Open the store to read only, writing nothing (no journal mode, WAL or upgrade), so
    that an admin can look at a store on a full or read-only disk. A store that needs a
    migration or a first sealing (or a store not made yet) is opened as usual instead
    (`open_store`): that writes."""
    url = make_url(settings.carebot_database_url)
    sqlite, path = url.drivername.startswith("sqlite"), url.database
    if sqlite and path and not Path(path).exists():
        return open_store(settings)  # a new store: made, as any command makes it
    keys = load_keys(settings)
    try:
        engine = _keyed_engine(settings, keys, read_only="ro")
    except faults.StoreFault as exc:
        # A read-only or full disk with no -shm file to share (or no room to make one):
        # readable as immutable, if its WAL holds nothing the main file lacks.
        if not sqlite or not path or exc.fault is faults.Fault.NOT_A_STORE:
            raise
        if _holds_pages(Path(f"{path}-wal")):
            raise
        engine = _keyed_engine(settings, keys, read_only="immutable")
    if schema.needs_upgrade(engine) or _needs_sealing(engine):
        engine.dispose()
        return open_store(settings)
    _check_master(engine, keys)
    return Store(engine=engine, keys=keys, settings=settings, read_only=True)


def _holds_pages(wal: Path) -> bool:
    try:
        return wal.stat().st_size > 0
    except FileNotFoundError:
        return False


def _needs_sealing(engine: Engine) -> bool:
    """Whether `_seal_what_was_clear` has work (the same checks, read only), or the audit
    chain has no key yet (a new store: reading its chain makes the key)."""
    with Session(engine) as session:
        if session.get(DataKey, AUDIT_OWNER) is None:
            return True
        rows = session.exec(select(Program.definition)).all()
        return any(on_call._in_clear(definition) for definition in rows)


def open_store(settings: Settings, *, migrate: bool = True) -> Store:
    """Open (and, for a new or older store, migrate) the store named by the settings."""
    keys = load_keys(settings)
    engine = _keyed_engine(settings, keys, read_only=None)
    if migrate:
        schema.upgrade_if_needed(engine)
    _check_master(engine, keys)
    store = Store(engine=engine, keys=keys, settings=settings)
    if migrate:
        _seal_what_was_clear(store)
    return store


def _seal_what_was_clear(store: Store) -> None:
    """What an older carebot stored without a key, sealed under one once (see audit_legacy
    and on_call); a store that has nothing to seal costs one short transaction."""
    with store.session() as session:
        audit_legacy.seal(store, session)
        on_call.seal_stored(store, session)


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
