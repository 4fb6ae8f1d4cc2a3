"""Reading a SQLCipher store as a forensic examiner with the master key would: every page of
the file and of its WAL decrypted, live or freed, whatever SQLite still considers in use.

SQLCipher 4's page format: each 4096-byte page is AES-256-CBC encrypted, followed by a 16-byte
IV and a 64-byte HMAC-SHA512 (80 reserved bytes); page 1 starts with the file's 16-byte salt
in clear. carebot keys the file with a raw key (`x'...'`), so the AES key is that key itself.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bot.store import crypto

PAGE = 4096
RESERVE = 80  # IV (16) + HMAC-SHA512 (64)
SALT = 16
WAL_HEADER = 32
FRAME_HEADER = 24


def _aes_key(master: bytes) -> bytes:
    return bytes.fromhex(crypto.sqlcipher_key(master)[2:-1])


def decrypt_page(key: bytes, page: bytes, *, first: bool) -> bytes:
    """The plaintext of one encrypted page (page 1 keeps its salt in front, in clear)."""
    start = SALT if first else 0
    iv = page[PAGE - RESERVE : PAGE - RESERVE + 16]
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return page[:start] + decryptor.update(page[start : PAGE - RESERVE]) + decryptor.finalize()


def main_pages(path: Path) -> list[bytes]:
    """Every page of the main file, decrypted."""
    raw = path.read_bytes() if path.exists() else b""
    return [raw[i : i + PAGE] for i in range(0, len(raw) - PAGE + 1, PAGE)]


def wal_frames(path: Path) -> list[tuple[int, bytes]]:
    """Every frame of a WAL file, valid or stale: (page number, encrypted page)."""
    raw = path.read_bytes() if path.exists() else b""
    frames = []
    offset = WAL_HEADER
    while offset + FRAME_HEADER + PAGE <= len(raw):
        number = int.from_bytes(raw[offset : offset + 4], "big")
        frames.append((number, raw[offset + FRAME_HEADER : offset + FRAME_HEADER + PAGE]))
        offset += FRAME_HEADER + PAGE
    return frames


def plaintext(db_file: Path, master: bytes) -> bytes:
    """The decrypted bytes of every page of the store file and of every frame of its WAL."""
    key = _aes_key(master)
    pages = [decrypt_page(key, page, first=i == 0) for i, page in enumerate(main_pages(db_file))]
    wal = Path(f"{db_file}-wal")
    pages += [decrypt_page(key, page, first=number == 1) for number, page in wal_frames(wal)]
    return b"".join(pages)
