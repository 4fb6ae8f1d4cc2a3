"""What every channel's webhook handler shares: a bounded body, read in bounded time and
parsed by carebot itself, a secret that can never be matched when it is empty, and the
refusals (403 for a forged request, 400 for a malformed one, before any store work).

Twilio's signature covers the form's parameters, so the form has to be parsed before it can be
checked; it is parsed here from at most 64 KiB of raw body (never by Starlette's multipart
parser, which spools any size to disk first). The text a patient sent is cut to what the
provider could have delivered, and lone surrogates (which no UTF-8 can carry, and which the
field encryption would refuse) are replaced, before anything analyses or stores it.
"""

from __future__ import annotations

import asyncio
import re
from urllib.parse import parse_qsl

from starlette.background import BackgroundTask
from starlette.datastructures import ImmutableMultiDict
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response

from bot.channels.base import Outcome
from bot.config import Settings

MAX_BODY = 64 * 1024  # bytes; Telegram's and Twilio's largest real requests are a few KiB
BODY_TIMEOUT = 10.0  # seconds for the whole body, however slowly it trickles in
MAX_FIELDS = 64  # a Twilio SMS webhook has about 20
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class BodyError(Exception):
    """A request refused for its body alone: too large, too slow, or cut off."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


async def read_body(
    request: Request, *, limit: int = MAX_BODY, timeout: float | None = None
) -> bytes:
    """The raw body, refused (413) as soon as it is known to exceed `limit`: from its
    Content-Length before a byte is read, else as the stream passes it. uvicorn has no body
    timeout, so a client that sends slower than `timeout` allows gets 408."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not (declared.isascii() and declared.isdigit()) or len(declared) > 15:
            raise BodyError(400, "bad content-length")
        if int(declared) > limit:
            raise BodyError(413, "body too large")
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(BODY_TIMEOUT if timeout is None else timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise BodyError(413, "body too large")
                chunks.append(chunk)
    except TimeoutError:
        raise BodyError(408, "body too slow") from None
    except ClientDisconnect:
        raise BodyError(400, "client went away") from None
    return b"".join(chunks)


def parse_form(body: bytes) -> ImmutableMultiDict[str, str] | None:
    """An `application/x-www-form-urlencoded` body as Twilio signs it, or None when it is not
    one (not ASCII, not UTF-8 once unquoted, or too many fields)."""
    try:
        pairs = parse_qsl(
            body.decode("ascii"),
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except (UnicodeDecodeError, ValueError):
        return None
    return ImmutableMultiDict(pairs)


def usable_text(text: str, *, limit: int) -> str:
    """A patient's text as the provider could have delivered it: at most `limit` characters,
    lone surrogates replaced by U+FFFD (the message is kept: it may be urgent)."""
    return _SURROGATE.sub("\ufffd", text[:limit])


def forbidden() -> Response:
    """A forged or unauthenticated request (or one to a channel that is not configured)."""
    return PlainTextResponse("forbidden", status_code=403)


def bad_request() -> Response:
    """An authenticated request carebot cannot use."""
    return PlainTextResponse("bad request", status_code=400)


def refused(exc: BodyError) -> Response:
    return PlainTextResponse(str(exc), status_code=exc.status)


def secret(settings: Settings, name: str, *, minimum: int) -> str | None:
    """A configured secret, or None: an empty or short one (possible only if the settings
    were built without validation) counts as none, so that it can never be matched."""
    value = getattr(settings, name)
    text = value.get_secret_value() if value is not None else ""
    return text if len(text) >= minimum else None


def public_url(settings: Settings, request: Request) -> str:
    """The URL the provider called, as it saw it: behind a reverse proxy the request's own
    URL differs, so `CAREBOT_PUBLIC_URL` gives the origin when set."""
    base = (settings.carebot_public_url or str(request.base_url)).rstrip("/")
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{base}{request.url.path}{query}"


def after(outcome: Outcome) -> BackgroundTask | None:
    """What follows the answer, as a task Starlette runs once the response has gone back."""
    return BackgroundTask(outcome.after) if outcome.after is not None else None
