"""What a webhook may cost before it is authenticated: a bounded body, read in bounded time,
parsed by carebot itself.

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

from starlette.datastructures import ImmutableMultiDict
from starlette.requests import ClientDisconnect, Request

MAX_BODY = 64 * 1024  # bytes; Telegram's and Twilio's largest real requests are a few KiB
BODY_TIMEOUT = 10.0  # seconds for the whole body, however slowly it trickles in
MAX_FIELDS = 64  # a Twilio SMS webhook has about 20
SMS_TEXT = 1600  # characters: Twilio's limit for one (concatenated) SMS
TELEGRAM_TEXT = 4096  # characters: the Bot API's limit for a message's text
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
