"""The webhook endpoints served by `carebot serve`: Twilio SMS and status callbacks, Telegram
updates, and a health check.

Every request is authenticated before anything is stored: Twilio's `X-Twilio-Signature` is
checked against the public URL (so it holds behind a reverse proxy), Telegram's secret-token
header is compared in constant time. A forged request gets 403 and changes nothing.
"""

from __future__ import annotations

import hmac
import json
import logging
from datetime import UTC, datetime
from xml.sax.saxutils import escape

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from twilio.request_validator import RequestValidator

from bot.inbound import status as delivery_status
from bot.inbound.alerts import Notice, send_notice
from bot.inbound.receive import receive
from bot.inbound.telegram import Incoming, handle
from bot.store.keyring import Store

log = logging.getLogger("carebot.webhooks")
FORBIDDEN = PlainTextResponse("forbidden", status_code=403)


def _public_url(store: Store, request: Request) -> str:
    base = (store.settings.carebot_public_url or str(request.base_url)).rstrip("/")
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{base}{request.url.path}{query}"


async def _twilio_form(store: Store, request: Request) -> dict[str, str] | None:
    """The form of a genuine Twilio request, or None when the signature does not match."""
    token = store.settings.twilio_auth_token
    form = {k: str(v) for k, v in (await request.form()).items()}
    signature = request.headers.get("X-Twilio-Signature", "")
    if token is None or not RequestValidator(token.get_secret_value()).validate(
            _public_url(store, request), form, signature):
        log.warning("twilio webhook with a bad signature refused")
        return None
    return form


def _twiml(answer: str | None) -> Response:
    body = f"<Message>{escape(answer)}</Message>" if answer else ""
    return Response(f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>',
                    media_type="application/xml")


def _incoming(body: bytes) -> Incoming | None:
    """A Telegram update's text message, or None for anything else (or anything malformed:
    Telegram would only send it again and again)."""
    try:
        update = json.loads(body)
        message = update.get("message") or {}
        if not isinstance(message.get("text"), str):
            return None
        return Incoming(int(update["update_id"]), str(int(message["chat"]["id"])),
                        message["text"], datetime.fromtimestamp(int(message["date"]), UTC))
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
        log.warning("a malformed telegram update was ignored")
        return None


def build_app(store: Store) -> Starlette:
    """The ASGI app with carebot's routes."""

    def _notify(notice: Notice | None, pseudonym: str | None) -> BackgroundTask | None:
        """The on-call notice, sent after the patient's answer has gone back: a slow or
        failing notice channel must never hold up or lose the "call 112" answer."""
        if notice is None:
            return None
        return BackgroundTask(send_notice, store, notice, subject=pseudonym)

    async def twilio_sms(request: Request) -> Response:
        form = await _twilio_form(store, request)
        if form is None or "MessageSid" not in form or "From" not in form:
            return FORBIDDEN if form is None else PlainTextResponse("bad request", 400)
        result = receive(store, channel="sms", text=form.get("Body", ""), address=form["From"],
                         received_at=datetime.now(UTC), provider_message_id=form["MessageSid"])
        # Twilio answers a one-word STOP itself (and blocks further sends); carebot answers the
        # rest, a request in words to stop included (Twilio does not read those).
        stopping = result.keyword == "stop" and "urgent" not in result.flags
        response = _twiml(None if result.duplicate or stopping else result.answer)
        response.background = _notify(result.notice, result.pseudonym)
        return response

    async def twilio_status(request: Request) -> Response:
        form = await _twilio_form(store, request)
        if form is None:
            return FORBIDDEN
        delivery_status.apply(store, provider_id=form.get("MessageSid", ""),
                              status=form.get("MessageStatus", ""),
                              error_code=form.get("ErrorCode") or None,
                              now=datetime.now(UTC),
                              attempt=request.query_params.get("attempt"))
        return PlainTextResponse("", status_code=204)

    async def telegram(request: Request) -> Response:
        secret = store.settings.carebot_telegram_webhook_secret
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if secret is None or not hmac.compare_digest(given.encode(),
                                                     secret.get_secret_value().encode()):
            return FORBIDDEN
        incoming = _incoming(await request.body())
        if incoming is None:  # not a text message we can read: acknowledged, not stored
            return JSONResponse({})
        handled = handle(store, incoming)
        # Answer inside the webhook response: one round trip, no extra API call.
        answer = {"method": "sendMessage", "chat_id": int(incoming.chat_id),
                  "text": handled.answer} if handled.answer is not None else {}
        return JSONResponse(answer, background=_notify(handled.notice, handled.pseudonym))

    async def healthz(_: Request) -> Response:
        with store.session() as session:
            session.connection().exec_driver_sql("SELECT 1")
        return JSONResponse({"status": "ok"})

    return Starlette(routes=[
        Route("/webhooks/twilio/sms", twilio_sms, methods=["POST"]),
        Route("/webhooks/twilio/status", twilio_status, methods=["POST"]),
        Route("/webhooks/telegram", telegram, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
    ])
