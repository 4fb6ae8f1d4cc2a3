"""The erasure ledger: an append-only file of the pseudonyms erased, and when, kept apart
from the store and its backups, so that a restore erases them again.

It names pseudonyms only. Each line carries an HMAC chained to the line before, under a key
derived from the pseudonym secret (which, unlike the master key, never changes): a line
edited, removed or moved is caught when the ledger is read. Cutting lines off its end is not
caught; keep the file where the key file is kept, and in its backups.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import make_url

from bot.config import Settings
from bot.errors import CarebotError
from bot.store import crypto

FILE_NAME = "carebot.erasures"
HEADER = "# carebot erasure ledger v1: erased at (UTC), pseudonym, chained HMAC\n"
GENESIS = "0" * 64
PSEUDONYM = re.compile(r"P-[0-9A-Z]{4}-[0-9A-Z]{4}")


class LedgerError(CarebotError):
    """The ledger cannot be written, or fails its check (one line, no personal data)."""


@dataclass(frozen=True)
class Entry:
    pseudonym: str
    erased_at: datetime


def ledger_path(settings: Settings) -> Path | None:
    """CAREBOT_ERASURE_LEDGER, else beside the key file, else beside the SQLite store file;
    None on PostgreSQL with neither (set CAREBOT_ERASURE_LEDGER there)."""
    if settings.carebot_erasure_ledger is not None:
        return settings.carebot_erasure_ledger
    if settings.carebot_key_file is not None:
        return settings.carebot_key_file.with_name(FILE_NAME)
    url = make_url(settings.carebot_database_url)
    if url.drivername.startswith("sqlite") and url.database:
        return Path(url.database).with_name(FILE_NAME)
    return None


def _key(keys: crypto.Keys) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"carebot erasure ledger v1"
    ).derive(keys.pseudonym_secret)


def _mac(key: bytes, prev: str, at: str, pseudonym: str) -> str:
    return hmac.new(key, f"{prev}\t{at}\t{pseudonym}".encode(), hashlib.sha256).hexdigest()


def _parse(path: Path, text: str, key: bytes) -> tuple[list[Entry], str]:
    entries, prev = [], GENESIS
    for number, line in enumerate(text.splitlines(), start=1):
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if (
            len(parts) != 3
            or not PSEUDONYM.fullmatch(parts[1])
            or not hmac.compare_digest(parts[2], _mac(key, prev, parts[0], parts[1]))
        ):
            raise LedgerError(
                f"erasure ledger {path} fails its check at line {number}: "
                "it was edited; restore it from its own backup"
            )
        try:
            at = datetime.fromisoformat(parts[0])
        except ValueError as exc:
            raise LedgerError(f"erasure ledger {path}: bad time at line {number}") from exc
        entries.append(Entry(parts[1], at))
        prev = parts[2]
    return entries, prev


def read(settings: Settings, keys: crypto.Keys) -> list[Entry]:
    """Every erasure recorded, checked; none when there is no ledger (nothing was erased)."""
    path = ledger_path(settings)
    if path is None or not path.exists():
        return []
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise LedgerError(f"cannot read the erasure ledger {path}") from exc
    return _parse(path, text, _key(keys))[0]


def append(settings: Settings, keys: crypto.Keys, pseudonym: str, at: datetime) -> None:
    """Record an erasure (fsynced) before it is committed: a crash between the two leaves
    a line for a patient not yet erased, whom a restore would erase; never the reverse."""
    path = ledger_path(settings)
    if path is None:
        return
    key = _key(keys)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    except OSError as exc:
        raise LedgerError(f"cannot write the erasure ledger {path}: {exc.strerror}") from exc
    with os.fdopen(fd, "r+", encoding="ascii") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # two erasures at once chain one after the other
        os.fchmod(handle.fileno(), 0o600)
        handle.seek(0)
        text = handle.read()
        _, prev = _parse(path, text, key)
        stamp = at.astimezone(UTC).isoformat()
        handle.write(
            ("" if text else HEADER)
            + f"{stamp}\t{pseudonym}\t{_mac(key, prev, stamp, pseudonym)}\n"
        )
        handle.flush()
        os.fsync(handle.fileno())
