"""The on-call address of a program (a nurse's phone number or Telegram chat), encrypted.

A program's definition is stored as JSON; its `on_call` address is stored in it as an
AES-GCM ciphertext (`enc:` and base64) under a data key of the program's own
(`program:<name>`), bound to the program's row like every personal field. It is decrypted
only where a notice is sent, and shown masked.
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, select

from bot.store import audit
from bot.store.models import Program as ProgramRow

if TYPE_CHECKING:
    from bot.store.store import Store

SEALED = "enc:"


def owner(program: str) -> str:
    """The data key owner of a program's personal fields."""
    return f"program:{program}"


def seal(store: Store, session: Session, program: str, address: str) -> str:
    """The address as stored: a ciphertext (an empty address, the console's, stays empty)."""
    if not address or address.startswith(SEALED):
        return address
    blob = store.encrypt(
        session,
        owner(program),
        address,
        table="program",
        column="on_call",
        row=program,
        create=True,
    )
    return SEALED + base64.b64encode(blob).decode("ascii")


def unseal(store: Store, session: Session, program: str, stored: str) -> str:
    """The address in clear, for sending a notice to it."""
    if not stored.startswith(SEALED):
        return stored
    blob = base64.b64decode(stored[len(SEALED) :])
    return store.decrypt(
        session, owner(program), blob, table="program", column="on_call", row=program
    )


def masked(address: str) -> str:
    """An address shown without giving it away: its last three characters only."""
    keep = 3 if len(address) > 6 else 0
    return "*" * (len(address) - keep) + address[len(address) - keep :]


def seal_definition(store: Store, session: Session, name: str, definition: str) -> str:
    """A definition's JSON with its on-call address sealed (the same JSON if it has none)."""
    return _with_address(definition, lambda a: seal(store, session, name, a))


def unseal_definition(store: Store, session: Session, name: str, definition: str) -> str:
    """A stored definition's JSON with its on-call address in clear (to compare with a file)."""
    return _with_address(definition, lambda a: unseal(store, session, name, a))


def _in_clear(definition: str) -> bool:
    data = json.loads(definition)
    return bool(
        data.get("on_call") and data["on_call"][1] and not data["on_call"][1].startswith(SEALED)
    )


def _with_address(definition: str, change: Any) -> str:
    data = json.loads(definition)
    if not data.get("on_call") or not data["on_call"][1]:
        return definition
    address = change(data["on_call"][1])
    if address == data["on_call"][1]:
        return definition
    data["on_call"] = [data["on_call"][0], address]
    return json.dumps(data, sort_keys=True, ensure_ascii=False)  # as Program.to_json does


def seal_stored(store: Store, session: Session) -> int:
    """Seal the on-call addresses that an older carebot stored in clear; how many."""
    if not any(_in_clear(row.definition) for row in session.exec(select(ProgramRow)).all()):
        return 0  # the common case
    audit.lock_chain(session)  # one sealer at a time on PostgreSQL; then read again
    count = 0
    rows = session.exec(select(ProgramRow).execution_options(populate_existing=True)).all()
    for row in rows:
        sealed = seal_definition(store, session, row.name, row.definition)
        if sealed != row.definition:
            row.definition = sealed
            session.add(row)
            count += 1
    return count
