"""The python-telegram-bot side of the Telegram channel: the Bot API client and the mapping
of its errors, imported by the first send, poll or webhook (see bot/channels/lazy.py), so that
a command that only asks whether Telegram is configured never imports the SDK."""

from __future__ import annotations

import os
from typing import Any

# RetryAfter.retry_after as a timedelta, PTB's coming default, without its warning.
os.environ.setdefault("PTB_TIMEDELTA", "true")

import httpx  # noqa: E402
from telegram import Bot  # noqa: E402
from telegram.error import (  # noqa: E402
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest  # noqa: E402
from telegram.warnings import PTBUserWarning  # noqa: E402

from bot.channels.base import ChannelError, ErrorKind  # noqa: E402

__all__ = ["Bot", "ChatMigrated", "PTBUserWarning", "StatusRequest", "TelegramError", "map_error"]

GONE = ("chat not found", "user is deactivated", "peer_id_invalid")


class ServerError(NetworkError):
    """Telegram (or a proxy before it) answered 5xx: it may have sent the message first."""

    def __init__(self, status: int) -> None:
        super().__init__(f"server error ({status})")
        self.status = status


class StatusRequest(HTTPXRequest):
    """PTB's HTTPX request, telling a 5xx apart: PTB raises a plain NetworkError with the
    error's description for every status it has no class for ("Internal Server Error",
    "Bad Gateway"), a 405 as much as a 503. Raised here, with its status, PTB passes it on."""

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        code, payload = await super().do_request(*args, **kwargs)
        if code >= 500:
            raise ServerError(code)
        return code, payload


# A transport failure before the request left: nothing reached Telegram, safe to retry.
# Anything later (a read timeout, a dropped connection, a write cut short) may have sent it.
BEFORE_SENDING = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def map_error(exc: TelegramError) -> ChannelError:
    """One ChannelError for every way a Bot API call can fail. Never echoes the chat id."""
    if isinstance(exc, Forbidden):  # the patient blocked the bot: as good as /stop
        return ChannelError("bot blocked by the user", ErrorKind.RECIPIENT_REFUSED, code="403")
    if isinstance(exc, RetryAfter):
        wait = exc.retry_after
        seconds = wait if isinstance(wait, int | float) else wait.total_seconds()
        return ChannelError("rate limited", retry_after=float(seconds), code="429")
    if isinstance(exc, ServerError):
        return ChannelError("provider error", ErrorKind.AMBIGUOUS, code=str(exc.status))
    if isinstance(exc, BadRequest):
        if any(reason in exc.message.lower() for reason in GONE):
            return ChannelError("chat cannot be reached", ErrorKind.UNREACHABLE, code="400")
        return ChannelError("bad request", code="400")
    cause = exc.__cause__
    if isinstance(cause, BEFORE_SENDING):
        return ChannelError("could not connect")
    if isinstance(exc, TimedOut):
        return ChannelError("no answer after sending", ErrorKind.AMBIGUOUS)
    if isinstance(cause, httpx.HTTPError):
        return ChannelError("connection lost while sending", ErrorKind.AMBIGUOUS)
    return ChannelError("provider error")  # an explicit error answer: nothing was sent
