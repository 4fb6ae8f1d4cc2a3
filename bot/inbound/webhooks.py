"""The webhook endpoints served by `carebot serve`: Twilio SMS and status callbacks, Telegram
updates, and a health check.

Every request is authenticated before any store work: Twilio's `X-Twilio-Signature` is checked
against the public URL (so it holds behind a reverse proxy) over a form carebot parses itself
from at most 64 KiB of body (bot/inbound/bodies.py); Telegram's secret-token header is compared
in constant time. A forged request gets 403 and never touches the store. Store work runs on a
worker thread (one at a time on SQLite, which takes one writer anyway), so that a request
waiting for the write lock never holds up the event loop, the forged requests it refuses, or
`/healthz`, which reads without a transaction.

With valid credentials, no input gives a 5xx: a malformed request gets 400, and a Telegram
update carebot cannot use is logged, audited and answered 200.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import TypeVar
from xml.sax.saxutils import escape

import anyio
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.datastructures import ImmutableMultiDict
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from twilio.request_validator import RequestValidator

from bot.inbound import status as delivery_status
from bot.inbound.alerts import Notice, send_notice
from bot.inbound.bodies import SMS_TEXT, BodyError, parse_form, read_body, usable_text
from bot.inbound.receive import receive
from bot.inbound.telegram import handle
from bot.inbound.updates import parse_update
from bot.store import audit, db
from bot.store.store import Store

log = logging.getLogger("carebot.webhooks")
T = TypeVar("T")
FORBIDDEN = PlainTextResponse("forbidden", status_code=403)
BAD_REQUEST = PlainTextResponse("bad request", status_code=400)
SID = re.compile(r"(SM|MM)[0-9a-fA-F]{32}")  # a Twilio message SID
ERROR_CODE = re.compile(r"[0-9]{1,6}")
HEALTH_TIMEOUT = 5.0  # seconds


def _public_url(store: Store, request: Request) -> str:
    base = (store.settings.carebot_public_url or str(request.base_url)).rstrip("/")
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{base}{request.url.path}{query}"


def _secret(store: Store, name: str, minimum: int) -> str | None:
    """A configured secret, or None: an empty or short one (possible only if the settings
    were built without validation) counts as none, so that it can never be matched."""
    value = getattr(store.settings, name)
    secret = value.get_secret_value() if value is not None else ""
    return secret if len(secret) >= minimum else None


async def _twilio_form(store: Store, request: Request) -> ImmutableMultiDict[str, str] | Response:
    """The form of a genuine Twilio request, or the response that refuses it. The body is
    bounded, and parsed by carebot only to check the signature over it."""
    token = _secret(store, "twilio_auth_token", 32)
    signature = request.headers.get("X-Twilio-Signature", "")
    if token is None or not signature:
        return FORBIDDEN
    try:
        form = parse_form(await read_body(request))
    except BodyError as exc:
        return PlainTextResponse(str(exc), status_code=exc.status)
    if form is None or not RequestValidator(token).validate(
        _public_url(store, request), form, signature
    ):
        log.warning("twilio webhook with a bad signature refused")
        return FORBIDDEN
    return form


def _twiml(answer: str | None) -> Response:
    body = f"<Message>{escape(answer)}</Message>" if answer else ""
    return Response(
        f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>',
        media_type="application/xml",
    )


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


def build_app(store: Store) -> Starlette:
    """The ASGI app with carebot's routes."""
    # SQLite takes one writer at a time: more threads would only queue on its lock.
    limiter = anyio.CapacityLimiter(1 if db.is_sqlite(store.engine) else 4)

    async def in_store(work: Callable[[], T]) -> T:
        """Store work, on a worker thread so that the event loop never waits for a lock."""
        return await anyio.to_thread.run_sync(work, limiter=limiter)

    def _notify(notice: Notice | None, pseudonym: str | None) -> BackgroundTask | None:
        """The on-call notice, sent after the patient's answer has gone back: a slow or
        failing notice channel must never hold up or lose the "call 112" answer."""
        if notice is None:
            return None
        return BackgroundTask(send_notice, store, notice, subject=pseudonym)

    async def twilio_sms(request: Request) -> Response:
        form = await _twilio_form(store, request)
        if isinstance(form, Response):
            return form
        sid, sender = form.get("MessageSid", ""), form.get("From", "")
        if SID.fullmatch(sid) is None or not 0 < len(sender) <= 64:
            return BAD_REQUEST
        result = await in_store(
            partial(
                receive,
                store,
                channel="sms",
                text=usable_text(form.get("Body", ""), limit=SMS_TEXT),
                address=sender,
                received_at=datetime.now(UTC),
                provider_message_id=sid,
            )
        )
        # Twilio answers a one-word STOP itself (and blocks further sends); carebot answers the
        # rest, a request in words to stop included (Twilio does not read those).
        stopping = result.keyword == "stop" and "urgent" not in result.flags
        response = _twiml(None if result.duplicate or stopping else result.answer)
        response.background = _notify(result.notice, result.pseudonym)
        return response

    async def twilio_status(request: Request) -> Response:
        form = await _twilio_form(store, request)
        if isinstance(form, Response):
            return form
        sid, code = form.get("MessageSid", ""), form.get("ErrorCode") or None
        attempt = request.query_params.get("attempt")
        if SID.fullmatch(sid) is None or (code is not None and not ERROR_CODE.fullmatch(code)):
            return BAD_REQUEST
        await in_store(
            partial(
                delivery_status.apply,
                store,
                provider_id=sid,
                status=form.get("MessageStatus", ""),
                error_code=code,
                now=datetime.now(UTC),
                attempt=attempt,
            )
        )
        return PlainTextResponse("", status_code=204)

    def ignore(reason: str) -> None:
        with store.session() as session:
            audit.record(session, action="telegram.ignored", actor="telegram", reason=reason)

    async def telegram(request: Request) -> Response:
        secret = _secret(store, "carebot_telegram_webhook_secret", 16)
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if secret is None or not hmac.compare_digest(given.encode(), secret.encode()):
            return FORBIDDEN
        try:
            incoming = parse_update(await read_body(request))
        except BodyError as exc:
            incoming = f"body refused ({exc})"
        if isinstance(incoming, str):  # acknowledged, so Telegram moves on; not stored
            log.warning("a telegram update was ignored: %s", incoming)
            await in_store(partial(ignore, incoming))
            return JSONResponse({})
        handled = await in_store(partial(handle, store, incoming))
        # Answer inside the webhook response: one round trip, no extra API call.
        answer = (
            {"method": "sendMessage", "chat_id": int(incoming.chat_id), "text": handled.answer}
            if handled.answer is not None
            else {}
        )
        return JSONResponse(answer, background=_notify(handled.notice, handled.pseudonym))

    async def healthz(_: Request) -> Response:
        try:
            with anyio.fail_after(HEALTH_TIMEOUT):  # not behind the store's limiter
                await anyio.to_thread.run_sync(partial(_healthy, store), abandon_on_cancel=True)
        except Exception as exc:
            log.warning("health check failed: %s", type(exc).__name__)
            return JSONResponse({"status": "store unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/webhooks/twilio/sms", twilio_sms, methods=["POST"]),
            Route("/webhooks/twilio/status", twilio_status, methods=["POST"]),
            Route("/webhooks/telegram", telegram, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )
