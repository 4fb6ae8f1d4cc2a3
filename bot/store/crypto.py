"""Every key and cipher carebot uses.

- The master key (32 random bytes) wraps each patient's own data key and, through HKDF, keys
  the SQLCipher file. It comes from `CAREBOT_MASTER_KEY` (base64) or `CAREBOT_KEY_FILE`.
- The pseudonym secret is separate, so that rotating the master key keeps every pseudonym and
  blind index stable.
- Personal fields are AES-256-GCM ciphertexts under the owner's data key, with the table,
  column and row as associated data: a ciphertext copied to another row or column fails.
- The audit chain is sealed with HMAC-SHA256 under keys derived from an audit root key of
  its own, wrapped by the master key (see `audit_keys`).
- Erasing a patient deletes their data key: their ciphertexts, wherever copies of them lie,
  can no longer be decrypted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.errors import CarebotError

KEY_BYTES = 32
NONCE_BYTES = 12
FORMAT_VERSION = b"\x01"
# Crockford's base32: no I, L, O or U, so a pseudonym read aloud on the phone is unambiguous.
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class KeyringError(CarebotError):
    """A key is missing, malformed or wrong. The message never contains key material."""


KeyError_ = KeyringError  # its former name, for callers not yet renamed


class DecryptionError(CarebotError):
    """A ciphertext cannot be decrypted: wrong key, wrong row or column, or erased owner."""


def new_key() -> bytes:
    """32 fresh random bytes."""
    return os.urandom(KEY_BYTES)


def encode_key(key: bytes) -> str:
    """A key as text for `.env` or a key file."""
    return base64.urlsafe_b64encode(key).decode("ascii")


def decode_key(text: str, *, what: str) -> bytes:
    """Parse a base64 key; refuse anything that is not exactly 32 bytes."""
    try:
        key = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise KeyringError(f"{what} is not valid base64") from exc
    if len(key) != KEY_BYTES:
        raise KeyringError(f"{what} must be {KEY_BYTES} bytes, base64-encoded")
    return key


def read_key_file(path: Path) -> bytes:
    """Read the master key from a file that only its owner may read (mode 0600)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError as exc:
        raise KeyringError(f"key file {path} does not exist") from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyringError(f"key file {path} is readable by others: chmod 600 it")
    return decode_key(path.read_text(encoding="ascii"), what=f"key file {path}")


def write_secret_file(path: Path, text: str) -> None:
    """Write a file created with mode 0600 and fsync it, atomically replacing any old one."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def key_id(master: bytes) -> str:
    """A short public fingerprint of a master key, stored beside what it wraps."""
    return hmac.new(master, b"carebot key id", hashlib.sha256).hexdigest()[:16]


def _derive(key: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=label).derive(key)


def sqlcipher_key(master: bytes) -> str:
    """The SQLCipher raw key derived from the master key, in SQLCipher's x'..' syntax."""
    return f"x'{_derive(master, b'carebot sqlcipher v1').hex()}'"


@dataclass(frozen=True)
class AuditKeys:
    """The audit log's HMAC keys: one seals the events into the chain, one tags the heads
    given out, one tags each event as it is appended (before it is sealed)."""

    chain: bytes
    head: bytes
    event: bytes


def audit_keys(root: bytes) -> AuditKeys:
    """The audit keys, derived (HKDF, labels of their own) from the audit root key.

    The root is a random key of its own, wrapped by the master key like a data key, not the
    master key itself: rotating the master key re-wraps it, so the chain and every head kept
    elsewhere stay verifiable after `keys rotate`."""
    return AuditKeys(
        chain=_derive(root, b"carebot audit chain v1"),
        head=_derive(root, b"carebot audit head v1"),
        event=_derive(root, b"carebot audit event tag v1"),
    )


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return FORMAT_VERSION + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, blob: bytes, aad: bytes) -> bytes:
    if len(blob) < 1 + NONCE_BYTES + 16 or blob[:1] != FORMAT_VERSION:
        raise DecryptionError("malformed ciphertext")
    try:
        return AESGCM(key).decrypt(blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :], aad)
    except InvalidTag as exc:
        raise DecryptionError("ciphertext does not authenticate") from exc


def wrap_key(master: bytes, data_key: bytes, *, owner: str) -> bytes:
    """Wrap an owner's data key under the master key."""
    return _seal(master, data_key, f"data-key:{owner}".encode())


def unwrap_key(master: bytes, wrapped: bytes, *, owner: str) -> bytes:
    """Unwrap an owner's data key; DecryptionError under the wrong master key."""
    return _open(master, wrapped, f"data-key:{owner}".encode())


def field_aad(table: str, column: str, row: str | int) -> bytes:
    """Associated data binding a ciphertext to its table, column and row."""
    return f"{table}.{column}:{row}".encode()


def encrypt_field(data_key: bytes, value: str, *, table: str, column: str, row: str | int) -> bytes:
    """Encrypt one personal field for one row."""
    return _seal(data_key, value.encode("utf-8"), field_aad(table, column, row))


def decrypt_field(data_key: bytes, blob: bytes, *, table: str, column: str, row: str | int) -> str:
    """Decrypt one personal field; fails if it was moved to another row or column."""
    return _open(data_key, blob, field_aad(table, column, row)).decode("utf-8")


@dataclass(frozen=True)
class Keys:
    """The two secrets of a carebot install."""

    master: bytes
    pseudonym_secret: bytes
    # Keys that may still wrap some data keys while a rotation is being finished.
    fallbacks: tuple[bytes, ...] = ()

    def master_for(self, kek_id: str) -> bytes:
        """The master key with this fingerprint (the current one, or a fallback)."""
        for candidate in (self.master, *self.fallbacks):
            if key_id(candidate) == kek_id:
                return candidate
        raise KeyringError("no available master key wraps this data key")

    def _mac(self, label: str, value: str) -> bytes:
        return hmac.new(self.pseudonym_secret, f"{label}\x00{value}".encode(), "sha256").digest()

    def pseudonym(self, reference: str, *, attempt: int = 0) -> str:
        """The pseudonym of a hospital reference, e.g. P-7K2M-QX4D.

        `attempt` > 0 derives the next candidate when two references collide on 40 bits.
        """
        digest = self._mac("pseudonym", f"{normalise_reference(reference)}\x00{attempt}")
        number = int.from_bytes(digest[:5], "big")
        chars = "".join(CROCKFORD[(number >> shift) & 31] for shift in range(35, -1, -5))
        return f"P-{chars[:4]}-{chars[4:]}"

    def reference_index(self, reference: str) -> str:
        """A keyed blind index of the reference: finds a patient again, cannot be reversed."""
        return self._mac("reference", normalise_reference(reference)).hex()

    def address_index(self, channel: str, address: str) -> str:
        """A keyed blind index of a contact address, to match inbound messages."""
        return self._mac(f"address:{channel}", address.strip()).hex()

    def code_index(self, code: str) -> str:
        """A keyed hash of a one-time Telegram link code."""
        return self._mac("link-code", code.strip()).hex()


def normalise_reference(reference: str) -> str:
    """Hospital references compare without case or surrounding spaces."""
    return reference.strip().upper()
