"""Run an ASGI app under uvicorn in a background thread on 127.0.0.1, on a free port.

Shared by the fake providers: each builds a Starlette app and hands it to `BackgroundServer`,
which serves it over real HTTP so that the real SDKs talk to it exactly as they would to the
provider. Usage:

    with BackgroundServer(app) as base_url:      # e.g. "http://127.0.0.1:43817"
        ...

Uvicorn gets no logging configuration of its own (`log_config=None`) and no access log, so a
fake never prints and never writes a phone number to a log.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp

STARTUP_TIMEOUT = 10.0
SHUTDOWN_TIMEOUT = 2.0


class _QuickServer(uvicorn.Server):
    """uvicorn's server (0.54), stopping in milliseconds rather than 0.2 s: a fake starts and
    stops once per test, so every test pays the shutdown time. It polls `should_exit` every
    10 ms instead of 100 ms, and on shutdown waits for open connections and requests to finish
    by polling too, where uvicorn sleeps a fixed 100 ms first."""

    async def main_loop(self) -> None:
        counter = 0
        while not await self.on_tick(counter):
            counter += 1  # on_tick refreshes the Date header every 10th tick
            await asyncio.sleep(0.01)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        state = self.server_state
        for connection in list(state.connections):
            connection.shutdown()  # closes idle keep-alive connections, ends the busy ones after
        deadline = time.monotonic() + SHUTDOWN_TIMEOUT
        while (state.connections or state.tasks) and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        for task in state.tasks:
            task.cancel()
        for server in self.servers:
            await server.wait_closed()


class BackgroundServer:
    """One uvicorn server in a daemon thread; `start()` returns its base URL, `stop()` ends it."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._server: _QuickServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def start(self, *, port: int = 0) -> str:
        """Bind a loopback port (a free one unless given: the same again after an outage),
        start serving, and wait until the server accepts."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._app,
            http="h11",
            lifespan="off",
            log_config=None,
            access_log=False,
        )
        self._server = _QuickServer(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=f"fake-{port}", daemon=True
        )
        self._thread.start()
        self._wait_started()
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    def _wait_started(self) -> None:
        assert self._server is not None and self._thread is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("fake provider server did not start")
            time.sleep(0.005)

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for its thread; safe to call twice."""
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=STARTUP_TIMEOUT)
        self._server = None
        self._thread = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
