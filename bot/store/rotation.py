"""Master key rotation, safe against a crash at any step.

1. The new key is written beside the old one (`<key file>.new`, mode 0600, fsynced).
2. Every data key, and the audit chain's root key, is re-wrapped under the new key in one
   transaction (each row records the fingerprint of the key that wraps it, so a half-done
   state is still readable).
3. The SQLCipher file is re-keyed.
4. The new key file replaces the old one.
While `.new` exists, carebot tries both keys, so a crash between steps loses nothing; running
`keys rotate` again finishes the job.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import select

from bot.config import Settings
from bot.errors import CarebotError
from bot.store import audit, crypto, db
from bot.store.keyring import load_keys
from bot.store.models import DataKey
from bot.store.store import open_store


class RotationError(CarebotError):
    """Rotation could not start; nothing was changed."""


def rotate(settings: Settings, *, actor: str) -> int:
    """Rotate the master key held in `settings.carebot_key_file`; returns data keys re-wrapped."""
    key_file = settings.carebot_key_file
    if key_file is None:
        raise RotationError("keys rotate needs CAREBOT_KEY_FILE")
    pending = key_file.with_name(key_file.name + ".new")
    store = open_store(settings)
    old = store.keys
    new = crypto.read_key_file(pending) if pending.exists() else crypto.new_key()
    if not pending.exists():
        crypto.write_secret_file(pending, crypto.encode_key(new) + "\n")
    new_id = crypto.key_id(new)
    count = 0
    with store.session() as session:
        # The audit root key is re-wrapped with the data keys, never replaced: the chain and
        # the heads kept elsewhere stay verifiable (so it must exist before the loop).
        store.audit_keys(session)
        for row in session.exec(select(DataKey)):
            if row.kek_id == new_id:
                continue
            data_key = crypto.unwrap_key(old.master_for(row.kek_id), row.wrapped, owner=row.owner)
            row.wrapped = crypto.wrap_key(new, data_key, owner=row.owner)
            row.kek_id = new_id
            session.add(row)
            count += 1
        audit.record(session, action="keys.rotate", actor=actor, rewrapped=count, kek_id=new_id)
    if db.is_sqlite(store.engine):
        with store.engine.connect() as conn:
            conn.exec_driver_sql(f'PRAGMA rekey = "{crypto.sqlcipher_key(new)}"')
            conn.execute(text("SELECT count(*) FROM sqlite_master"))
    store.engine.dispose()
    pending.replace(key_file)
    return count


__all__ = ["RotationError", "rotate", "load_keys"]
