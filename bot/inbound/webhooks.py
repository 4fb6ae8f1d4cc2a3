"""The web app served by `carebot serve` (and by `carebot run` when a public URL is set):
every channel's webhook routes, as the channel declares them, and a health check.

Adding a channel never changes this file: a channel class with `routes(inbox)` (see
`base.Routed`) brings its own paths, checks its own signatures and parses its own requests,
and hands what it received to the inbox (bot/inbound/inbox.py). Its routes are served
whether or not it is configured: an unconfigured channel's answer 403, as a forged request
does, before any store work. Bodies are bounded (bot/channels/webhook.py). Store work runs
on a worker thread (one at a time on SQLite, which takes one writer anyway), so that a
request waiting for the write lock never holds up the event loop, the forged requests it
refuses, or `/healthz`, which reads without a transaction.

With valid credentials, no input gives a 5xx: a malformed request gets 400, and an update
carebot cannot use is logged, audited and acknowledged.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels import registry
from bot.channels.base import Inbox, Routed
from bot.inbound.alerts import OnDemand
from bot.inbound.inbox import StoreInbox
from bot.store import db
from bot.store.store import Store

log = logging.getLogger("carebot.webhooks")
HEALTH_TIMEOUT = 5.0  # seconds
PREFIX = "/webhooks/"


def _healthy(store: Store) -> None:
    """One plain read on a pooled connection, outside any transaction: it never waits for the
    write lock (SQLite's WAL readers do not), and writes nothing."""
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(
            "SELECT count(*) FROM sqlite_master" if db.is_sqlite(store.engine) else "SELECT 1"
        )
        cursor.fetchall()
        cursor.close()
    finally:
        raw.close()


def channel_routes(inbox: Inbox) -> list[BaseRoute]:
    """Every registered channel's webhook routes. Two channels claiming one path, or a path
    outside /webhooks/, is a programming error, refused when the app is built."""
    routes: list[BaseRoute] = []
    claimed: dict[str, str] = {}
    for name in registry.NAMES:
        kind = registry.kind(name)
        if not isinstance(kind, Routed):
            continue
        for route in kind.routes(inbox):
            path = getattr(route, "path", "")
            if not path.startswith(PREFIX) or path in claimed:
                raise ValueError(f"channel {name}: route {path!r} is taken or not under {PREFIX}")
            claimed[path] = name
            routes.append(route)
    return routes


def build_app(store: Store) -> Starlette:
    """The ASGI app with carebot's routes."""
    # SQLite takes one writer at a time: more threads would only queue on its lock.
    limiter = anyio.CapacityLimiter(1 if db.is_sqlite(store.engine) else 4)
    notices = OnDemand(store)  # on-call notices: a channel opened once, when first needed
    inbox = StoreInbox(store, channels=notices, limiter=limiter)

    async def healthz(_: Request) -> Response:
        try:
            with anyio.fail_after(HEALTH_TIMEOUT):  # not behind the store's limiter
                await anyio.to_thread.run_sync(partial(_healthy, store), abandon_on_cancel=True)
        except Exception as exc:
            log.warning("health check failed: %s", type(exc).__name__)
            return JSONResponse({"status": "store unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await notices.close()

    routes = [*channel_routes(inbox), Route("/healthz", healthz, methods=["GET"])]
    return Starlette(routes=routes, lifespan=lifespan)
