"""What every fake provider shares: its server, its contract violations, its scripted failures.

A fake records a *violation* for every request that the real provider would reject (and answers
it with the provider's own error), for a path or method it does not serve, and for every crash
of its own; the pytest fixtures turn any violation into a test failure at teardown. A test that
breaks the contract on purpose takes the violations with `take_violations()` and asserts on them.

Scripted behaviour is queued with `Failure` objects: an explicit error answer, a dropped
connection or a hang. Drops and hangs happen *after* the request was accepted, to simulate the
ambiguous outcome of a send whose answer never arrived; an `accept-error` records the message
and then answers with the error. For the reliability suite (tests/fakes/chaos.py): `received`
logs every accepted message to a file before the answer, `chaos` draws random faults on the
send endpoint, and `go_down()` / `come_up()` make an outage (connection refused, same port).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Literal, Self

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.server import BackgroundServer

if TYPE_CHECKING:
    from tests.fakes.chaos import Chaos, ReceivedLog

Handler = Callable[[Request], Awaitable[Response]]
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@dataclass(frozen=True)
class Failure:
    """One scripted misbehaviour for the next matching request (`target` None matches any)."""

    kind: Literal["error", "drop", "hang", "accept-error"] = "error"
    status: int = 500
    code: int | None = None
    retry_after: int | None = None
    description: str | None = None
    seconds: float = 0.0
    target: str | None = None


class RateWindow:
    """Allows at most `limit` events in any window of `seconds` (a sliding log)."""

    def __init__(self, limit: int, seconds: float = 1.0) -> None:
        self.limit = limit
        self.seconds = seconds
        self._events: deque[float] = deque()

    def full(self) -> bool:
        """Whether one more event now would exceed the limit."""
        now = time.monotonic()
        while self._events and now - self._events[0] >= self.seconds:
            self._events.popleft()
        return len(self._events) >= self.limit

    def allow(self) -> bool:
        """Record one event if it fits in the window, and say whether it did."""
        if self.full():
            return False
        self._events.append(time.monotonic())
        return True


class FakeProvider:
    """Base of the fakes: start/stop on a loopback port, violations, failures, latency, clock."""

    send_target = "send"  # what drop_next/hang_next apply to unless told otherwise

    def __init__(self) -> None:
        self.url = ""
        self.latency = 0.0
        self.in_flight = 0  # requests being answered now, and the most at once so far
        self.max_in_flight = 0
        # Check every request against the provider's OpenAPI spec (1), or one in `spec_every`
        # under a load test: openapi-core costs ~6 ms of CPU a request, so a fake checking
        # them all would be the limit of a load test on two cores. The provider's own rules
        # (phone formats, lengths) are still checked on every request.
        self.spec_every = 1
        self._spec_seen = 0
        self.violations: list[str] = []
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self._failures: deque[Failure] = deque()
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._server: BackgroundServer | None = None
        self.received: ReceivedLog | None = None  # tests/fakes/chaos.py: a log on disk
        self.chaos: Chaos | None = None  # random faults on the send endpoint
        self._port = 0

    def routes(self) -> list[Route]:
        """The provider's endpoints; each subclass declares its own."""
        raise NotImplementedError

    def not_found(self, request: Request) -> Response:
        """The provider's answer to a path it does not serve; each subclass gives its shape."""
        return JSONResponse({"error": "Not Found"}, status_code=404)

    async def _unknown_endpoint(self, request: Request) -> Response:
        self.violation(f"{request.method} {request.url.path}: no such endpoint")
        return self.not_found(request)

    def start(self) -> Self:
        """Serve the fake on a free 127.0.0.1 port; `self.url` is its base URL."""
        self._stopping.clear()
        catch_all = Route("/{path:path}", self.guarded(self._unknown_endpoint), methods=METHODS)
        self._server = BackgroundServer(Starlette(routes=[*self.routes(), catch_all]))
        self.url = self._server.start(port=self._port)
        self._port = int(self.url.rsplit(":", 1)[1])
        return self

    def go_down(self) -> None:
        """An outage: stop listening, so that connections are refused, until `come_up()`."""
        self.stop()

    def come_up(self) -> None:
        """End an outage: listen again on the same port (`self.url` is unchanged)."""
        self.start()

    def stop(self) -> None:
        """End hangs in progress, then stop the server."""
        self._stopping.set()
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def violation(self, text: str) -> None:
        """Record a request that the real provider would reject (or a crash of the fake)."""
        with self._lock:
            self.violations.append(text)

    def take_violations(self) -> list[str]:
        """Return the violations so far and forget them (for tests that break rules on purpose)."""
        with self._lock:
            taken, self.violations = self.violations, []
        return taken

    def spec_due(self) -> bool:
        """Whether this request is one to check against the OpenAPI spec (the first always)."""
        with self._lock:
            due = self._spec_seen % max(self.spec_every, 1) == 0
            self._spec_seen += 1
        return due

    def inject(self, failure: Failure) -> None:
        """Queue a scripted failure; failures are used in order, each once."""
        with self._lock:
            self._failures.append(failure)

    def drop_next(self, *, target: str | None = None) -> None:
        """Accept the next request, then close the connection without an answer."""
        self.inject(Failure(kind="drop", target=target or self.send_target))

    def hang_next(self, seconds: float = 10.0, *, target: str | None = None) -> None:
        """Accept the next request, then answer only after `seconds` (past a client timeout)."""
        self.inject(Failure(kind="hang", seconds=seconds, target=target or self.send_target))

    def next_failure(self, target: str) -> Failure | None:
        """Pop the first queued failure that applies to `target`."""
        with self._lock:
            for failure in self._failures:
                if failure.target in (None, target):
                    self._failures.remove(failure)
                    return failure
        if self.chaos is not None and target == self.send_target:
            return self.chaos.roll(target)
        return None

    def log_received(self, *, channel: str, to: str, body: str, ident: str) -> None:
        """Write an accepted message to the received log, if any, before it is answered."""
        if self.received is not None:
            self.received.append(channel=channel, to=to, body=body, ident=ident, at=self.clock())

    async def delay(self) -> None:
        """Apply the configured latency."""
        if self.latency > 0:
            await asyncio.sleep(self.latency)

    async def misbehave(self, request: Request, failure: Failure) -> None:
        """Carry out a drop or a hang on an already accepted request."""
        if failure.kind == "drop":
            await self._drop(request)
        elif failure.kind == "hang":
            await self._hang(request, failure.seconds)

    async def _drop(self, request: Request) -> None:
        # uvicorn's h11 `receive` is a bound method of the request cycle, which holds the
        # transport; aborting it closes the socket with no status line at all.
        transport = getattr(getattr(request.receive, "__self__", None), "transport", None)
        if transport is None:  # another uvicorn: a hang until the client gives up is as ambiguous
            await self._hang(request, 30.0)
            return
        transport.abort()
        await asyncio.sleep(0.01)

    async def _hang(self, request: Request, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self._stopping.is_set():
            if await request.is_disconnected():
                return
            await asyncio.sleep(0.02)

    def guarded(self, handler: Handler) -> Handler:
        """Wrap an endpoint: apply the latency, and make a crash of the fake a violation."""

        async def endpoint(request: Request) -> Response:
            with self._lock:
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                await self.delay()
                return await handler(request)
            except ClientDisconnect:  # the client went away mid-request (killed): no crash
                return Response("client disconnected", status_code=499)
            except Exception as exc:  # any crash of the fake must fail the test
                self.violation(f"fake crashed on {request.method} {request.url.path}: {exc!r}")
                return Response("fake provider crashed", status_code=500)
            finally:
                with self._lock:
                    self.in_flight -= 1

        return endpoint
