"""The Twilio SDK client that the Twilio channels (SMS, WhatsApp, voice) share.

The API base URL is a setting (`CAREBOT_TWILIO_API_URL`), so the same code talks to Twilio or
to a local fake: the SDK's own HTTP client sends there what it addressed to `*.twilio.com`,
whatever TWILIO_REGION or TWILIO_EDGE made of the host.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from bot.channels.base import ChannelError, ErrorKind, OutboundMessage, transport_error
from bot.config import Settings

TIMEOUT_SECONDS = 15
TWILIO = "https://api.twilio.com"
# Twilio's own "too many requests" code, beside HTTP 429.
RATE_LIMITED = frozenset({20429})

# How far from an attempt a message (or call) Twilio holds may be dated and still be taken
# for it: Twilio's clock may be minutes off carebot's, and a slow create dates it late. The
# body and recipient must match too; a wider window only risks the same text to the same
# patient within the hour, which another attempt's recorded SID rules out.
LOOKUP_SLACK = timedelta(minutes=30)

Errors = Mapping[int, tuple[ErrorKind, str]]
"""A channel's Twilio error codes: code -> (what it means, carebot's words for the log)."""


# The headers of the last answer each thread got: a TwilioRestException carries the status,
# code and message but not the headers, and Twilio's wait (`Retry-After`) is one of them. A
# channel's calls run in a worker thread each (`asyncio.to_thread`), and map their error in
# that same thread, so the answer read is always that call's own (the client's own
# `last_response` is shared by every thread that uses it).
_answers = threading.local()


class HeadersHttpClient(TwilioHttpClient):  # type: ignore[misc]  # twilio is untyped
    """Twilio's HTTP client, keeping each thread's last answer's headers (see `_answers`)."""

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        _answers.headers = None
        response = super().request(method, url, *args, **kwargs)
        _answers.headers = response.headers
        return response


class RedirectedHttpClient(HeadersHttpClient):
    """Twilio's HTTP client, sending what the SDK meant for `https://*.twilio.com` to
    `base_url`: `Client(..., http_client=...)` is the SDK's documented hook, and only the
    origin changes, after the SDK has applied any region or edge to the host."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if host == "twilio.com" or host.endswith(".twilio.com"):
            url = self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().request(method, url, *args, **kwargs)


def retry_after() -> float | None:
    """The wait in seconds the last answer in this thread asked for (`Retry-After`, in
    seconds or as an HTTP date), if any."""
    headers = getattr(_answers, "headers", None)
    value = headers.get("Retry-After") if headers is not None else None
    if not value:
        return None
    value = str(value).strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def client(settings: Settings) -> Client:
    """A client of the account in the settings, talking to their base URL."""
    assert settings.twilio_account_sid and settings.twilio_auth_token
    base_url = settings.carebot_twilio_api_url.rstrip("/")
    http_client = (
        HeadersHttpClient(timeout=TIMEOUT_SECONDS)
        if base_url == TWILIO
        else RedirectedHttpClient(base_url, timeout=TIMEOUT_SECONDS)
    )
    return Client(
        settings.twilio_account_sid,
        settings.twilio_auth_token.get_secret_value(),
        http_client=http_client,
    )


def close(made: Client) -> None:
    """Close the SDK's pooled HTTP connections (a new client is made for each cycle)."""
    session = getattr(made.http_client, "session", None)
    if session is not None:
        session.close()


def map_error(
    exc: Exception, errors: Errors, *, rate: Collection[int] = RATE_LIMITED
) -> ChannelError:
    """One ChannelError for every way a Twilio call can fail, the channel's own codes first
    (`errors`, and `rate` for its rate limits); never echoes the number. An exception that
    is neither Twilio's nor a transport failure is raised again: it is carebot's bug."""
    if isinstance(exc, TwilioRestException):
        code = exc.code or exc.status
        if code in errors:
            kind, text = errors[code]
            return ChannelError(text, kind, code=str(code))
        if exc.status == 429 or code in rate:
            wait = retry_after()  # Twilio's own wait, else a second (then the backoff's)
            return ChannelError("rate limited", retry_after=wait or 1.0, code=str(code))
        if exc.status >= 500:
            return ChannelError("provider error", ErrorKind.AMBIGUOUS, code=str(code))
        return ChannelError(f"refused ({exc.status})", code=str(code))  # config: retry, alert
    if isinstance(exc, TwilioException):  # e.g. a failed page of a list: nothing was sent
        return ChannelError("provider error")
    transport = transport_error(exc)
    if transport is not None:
        return transport
    raise exc


def candidates(found: Iterable[Any], message: OutboundMessage) -> list[Any]:
    """Twilio's resources (messages or calls to the patient) that may be this attempt's:
    dated within LOOKUP_SLACK of the real time its request left or of carebot's own time for
    it (which `tick --at` moves), and not a SID recorded for another attempt."""
    anchors = [at for at in (message.sent_wall_at, message.created_at) if at is not None]
    return [
        resource
        for resource in found
        if resource.date_created is not None
        and str(resource.sid) not in message.known_ids
        and any(abs(resource.date_created - at) <= LOOKUP_SLACK for at in anchors)
    ]
