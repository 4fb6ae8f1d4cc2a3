"""How `carebot serve` and `carebot run` serve the webhooks: uvicorn with limits for slow or
greedy clients.

uvicorn by itself waits for ever for a request's headers and body, and takes any number of
connections. carebot gives a request's headers 10 s (a protocol of its own, below), its body
10 s and 64 KiB (bot/channels/webhook.py), headers at most 16 KiB, an idle keep-alive connection
5 s, and answers 503 beyond 64 requests or connections at once.
"""

from __future__ import annotations

import asyncio

import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT = 10.0  # seconds from connection (or the last response) to a request's headers
MAX_HEADERS = 16 * 1024  # bytes of request line and headers
CONCURRENCY = 64  # connections and requests at once; more get 503
KEEP_ALIVE = 5  # seconds an idle connection stays open


class TimedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request's headers, against clients
    that open a connection and then send a byte now and then."""

    _deadline: asyncio.TimerHandle | None = None
    _waiting_since: object = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def _arm(self) -> None:
        """Expect a new request within HEADER_TIMEOUT; the cycle now current is the old one."""
        if self._deadline is not None:
            self._deadline.cancel()
        self._waiting_since = self.cycle
        self._deadline = self.loop.call_later(HEADER_TIMEOUT, self._expire)

    def _expire(self) -> None:
        if self.cycle is self._waiting_since and not self.transport.is_closing():
            self.transport.close()  # no request's headers arrived in time

    def on_response_complete(self) -> None:
        self._arm()  # before the next pipelined request can start its own cycle
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        super().connection_lost(exc)


def config(app: ASGIApp, *, host: str, port: int) -> uvicorn.Config:
    """uvicorn's configuration for carebot's webhooks."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=TimedH11Protocol,
        log_level="warning",
        log_config=None,
        proxy_headers=True,
        timeout_keep_alive=KEEP_ALIVE,
        limit_concurrency=CONCURRENCY,
        h11_max_incomplete_event_size=MAX_HEADERS,
    )
