"""Keeping audit heads elsewhere: appended to a file, or sent to syslog, from cron.

A head kept where the store's writers cannot reach proves later that no event was cut from
the end of the audit log (`carebot audit verify --head TOKEN`). The line names the time it
was taken, the event's seq and the head token; none of it is personal.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from logging.handlers import SysLogHandler
from pathlib import Path

from bot.errors import CarebotError

SYSLOG_SOCKET = "/dev/log"


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
