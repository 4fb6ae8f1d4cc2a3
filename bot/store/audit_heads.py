"""Audit heads: the head token, what `verify --head` makes of one, and keeping heads
elsewhere (appended to a file, or sent to syslog, from cron).

A head kept where the store's writers cannot reach proves later that no event was cut from
the end of the audit log (`carebot audit verify --head TOKEN`). A head is a sealed position
of the chain. The line kept names the time it was taken, the event's seq and the head token;
none of it is personal.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from logging.handlers import SysLogHandler
from pathlib import Path

from bot.errors import CarebotError
from bot.store.crypto import AuditKeys

SYSLOG_SOCKET = "/dev/log"
GENESIS = "0" * 64
_TOKEN = re.compile(r"(\d{1,18}):([0-9a-f]{64}):([0-9a-f]{32})")


@dataclass(frozen=True)
class ChainCheck:
    """What `verify` found: the count checked, the first broken event if any, what became
    of the head given (None: no head given; found; unknown: not carebot's; cut), and the
    events appended but not sealed yet (their count, when the oldest was written, and the
    ids of those whose append tag is missing or wrong: never to be sealed)."""

    checked: int
    broken_seq: int | None = None
    reason: str | None = None
    head: str | None = None
    head_seq: int | None = None
    unsealed: int = 0
    oldest_unsealed: datetime | None = None
    refused: tuple[int, ...] = ()

    @property
    def ok(self) -> bool:
        return self.broken_seq is None and self.head in (None, "found") and not self.refused

    @property
    def head_found(self) -> bool | None:
        return None if self.head is None else self.head == "found"


def tag(keys: AuditKeys, seq: int, digest: str) -> str:
    """The keyed tag of a head token: tells a head carebot gave out from a forged one."""
    return hmac.new(keys.head, f"head:{seq}:{digest}".encode(), hashlib.sha256).hexdigest()[:32]


def parse(keys: AuditKeys, head: str) -> tuple[int | None, str, bool]:
    """(seq or None for a bare hash, hash, whether carebot gave it out) of a head."""
    value = head.strip().lower()
    if (match := _TOKEN.fullmatch(value)) is not None:
        seq, digest = int(match.group(1)), match.group(2)
        genuine = hmac.compare_digest(match.group(3), tag(keys, seq, digest))
        return seq, digest, genuine
    return None, value, False


def judge(
    checked: int, wanted: tuple[int | None, str, bool], at_wanted: tuple[int, str] | None
) -> ChainCheck:
    """What a chain of `checked` sealed events makes of the head `wanted` (as `parse` read
    it), given the event found at its place (`at_wanted`: seq and hash) if any."""
    seq, digest, genuine = wanted
    if seq is None:  # a bare hash: found, or unknown (a cut cannot be told from a typo)
        if at_wanted is not None or digest == GENESIS:
            return ChainCheck(checked, head="found", head_seq=at_wanted[0] if at_wanted else 0)
        return ChainCheck(
            checked,
            reason="this hash is not in the chain (a typo or a forged "
            "head; keep the SEQ:HASH:TAG line of `audit head` to tell a cut)",
            head="unknown",
        )
    if not genuine:
        return ChainCheck(
            checked,
            reason="this head is not one carebot gave out for this audit "
            "log (a typo or a forged head)",
            head="unknown",
        )
    if seq == 0 or (at_wanted is not None and at_wanted[1] == digest):
        return ChainCheck(checked, head="found", head_seq=seq)
    if at_wanted is None:
        return ChainCheck(
            checked,
            reason=f"the head kept is event {seq}, the chain now ends at event {checked}",
            head="cut",
            head_seq=seq,
        )
    return ChainCheck(
        checked,
        reason=f"event {seq} is no longer the one this head was kept for: "
        "the events from there on were cut and others written since",
        head="cut",
        head_seq=seq,
    )


class HeadError(CarebotError):
    """The head could not be kept where it was asked to go (one line, no traceback)."""


def line(seq: int, token: str, *, now: datetime | None = None) -> str:
    """The line kept: `<UTC time> seq=<seq> head=<token>`."""
    when = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
    return f"{when} seq={seq} head={token}"


def append_to_file(path: Path, text: str) -> None:
    """Append one line to a file only its owner may read (created 0600, kept 0600)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    except OSError as exc:
        raise HeadError(f"cannot write to {path.name}: {exc.strerror}") from exc
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, f"{text}\n".encode("ascii"))
        os.fsync(fd)
    except OSError as exc:
        raise HeadError(f"cannot write to {path.name}: {exc.strerror}") from exc
    finally:
        os.close(fd)


class _StrictSysLog(SysLogHandler):
    """A syslog handler that raises instead of printing a traceback when a send fails."""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802  (logging's name)
        raise  # re-raises the error being handled in emit()


def send_to_syslog(text: str, *, address: str = SYSLOG_SOCKET) -> None:
    """Send one line to the local syslog daemon (facility user, level info)."""
    try:
        handler = _StrictSysLog(address=address)
    except OSError as exc:
        raise HeadError(f"no syslog socket at {address}") from exc
    handler.ident = "carebot: "
    try:
        handler.emit(
            logging.LogRecord(
                "carebot.audit", logging.INFO, __file__, 0, "audit head %s", (text,), None
            )
        )
    except (FileNotFoundError, ConnectionRefusedError) as exc:  # the socket is opened lazily
        raise HeadError(f"no syslog socket at {address}") from exc
    except OSError as exc:
        raise HeadError(f"syslog at {address} refused the head: {exc.strerror}") from exc
    finally:
        handler.close()


def keep(text: str, *, to: str) -> None:
    """Keep a head line at `to`: the word `syslog`, or a file path."""
    if to == "syslog":
        send_to_syslog(text)
    else:
        append_to_file(Path(to), text)
