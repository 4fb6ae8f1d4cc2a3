"""What every Twilio channel's webhooks share (SMS today; WhatsApp and voice are the same
signed requests): the `X-Twilio-Signature` check, TwiML answers and status callbacks.

Twilio signs the public URL it called together with the form's parameters, so the form is
parsed (by carebot, from a bounded body: bot/channels/webhook.py) before it can be checked;
a request that fails the check, or reaches a carebot with no auth token, gets 403 and never
touches the store.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from html import escape

from starlette.datastructures import ImmutableMultiDict
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.channels import webhook
from bot.channels.base import ErrorKind, InboundMessage, Inbox, Outcome, StatusUpdate
from bot.config import Settings

log = logging.getLogger("carebot.webhooks")

Form = ImmutableMultiDict[str, str]
MESSAGE_SID = re.compile(r"(SM|MM)[0-9a-fA-F]{32}")  # a message's SID (SMS, MMS, WhatsApp)
CALL_SID = re.compile(r"CA[0-9a-fA-F]{32}")
ERROR_CODE = re.compile(r"[0-9]{1,6}")
TOKEN_LENGTH = 32  # a Twilio auth token is 32 hex digits
# Twilio's MessageStatus -> carebot's reminder status. Anything else leaves it as it is.
MESSAGE_STATUS = {
    "delivered": "delivered",
    "read": "read",
    "undelivered": "failed",
    "failed": "failed",
}
OPT_OUT_CODES = {"21610"}  # the recipient replied STOP: as good as a withdrawn consent


async def signed_form(settings: Settings, request: Request) -> Form | Response:
    """The form of a genuine Twilio request, or the response that refuses it."""
    token = webhook.secret(settings, "twilio_auth_token", minimum=TOKEN_LENGTH)
    signature = request.headers.get("X-Twilio-Signature", "")
    if token is None or not signature:
        return webhook.forbidden()
    try:
        form = webhook.parse_form(await webhook.read_body(request))
    except webhook.BodyError as exc:
        return webhook.refused(exc)
    url = webhook.public_url(settings, request)
    from twilio.request_validator import RequestValidator  # the SDK, on the first webhook

    if form is None or not RequestValidator(token).validate(url, form, signature):
        log.warning("twilio webhook with a bad signature refused")
        return webhook.forbidden()
    return form


def twiml(verbs: str = "") -> Response:
    """A TwiML document; `verbs` is TwiML already escaped."""
    return Response(
        f'<?xml version="1.0" encoding="UTF-8"?><Response>{verbs}</Response>',
        media_type="application/xml",
    )


def message_reply(answer: str | None) -> Response:
    """TwiML answering a message with `answer` (a patient's text is data, never markup)."""
    return twiml(f"<Message>{escape(answer)}</Message>" if answer else "")


def message_status(channel: str, form: Form, request: Request) -> StatusUpdate | None:
    """A message status callback as a StatusUpdate, or None when it is malformed."""
    sid, code = form.get("MessageSid", ""), form.get("ErrorCode") or None
    if MESSAGE_SID.fullmatch(sid) is None or (code is not None and not ERROR_CODE.fullmatch(code)):
        return None
    return StatusUpdate(
        channel=channel,
        provider_id=sid,
        status=MESSAGE_STATUS.get(form.get("MessageStatus", ""), ""),
        error_code=code,
        kind=ErrorKind.RECIPIENT_REFUSED if code in OPT_OUT_CODES else None,
        attempt=request.query_params.get("attempt"),
    )


Parse = Callable[[str, Form, Request], StatusUpdate | None]


def status_route(path: str, *, channel: str, inbox: Inbox, parse: Parse = message_status) -> Route:
    """The route of a status callback: signed, parsed by `parse` (400 if it cannot be),
    applied by the inbox, answered 204."""

    async def status(request: Request) -> Response:
        form = await signed_form(inbox.settings, request)
        if isinstance(form, Response):
            return form
        update = parse(channel, form, request)
        if update is None:
            return webhook.bad_request()
        await inbox.status(update)
        return PlainTextResponse("", status_code=204)

    return Route(path, status, methods=["POST"])


def _same(address: str) -> str | None:
    return address


def message_route(
    path: str,
    *,
    channel: str,
    inbox: Inbox,
    text_limit: int,
    address: Callable[[str], str | None] = _same,
    answer: Callable[[Outcome], str | None] = lambda outcome: outcome.answer,
) -> Route:
    """The route of an incoming message: signed, checked, handed to the inbox, answered in
    TwiML. `address` turns Twilio's `From` into the channel's address (None: 400); `answer`
    picks what to say back (Twilio itself answers some keywords on some channels)."""

    async def incoming(request: Request) -> Response:
        form = await signed_form(inbox.settings, request)
        if isinstance(form, Response):
            return form
        sid, sender = form.get("MessageSid", ""), form.get("From", "")
        sender_address = address(sender) if 0 < len(sender) <= 64 else None
        if MESSAGE_SID.fullmatch(sid) is None or not sender_address:
            return webhook.bad_request()
        outcome = await inbox.receive(
            InboundMessage(
                channel=channel,
                address=sender_address,
                text=webhook.usable_text(form.get("Body", ""), limit=text_limit),
                received_at=datetime.now(UTC),
                provider_message_id=sid,
            )
        )
        response = message_reply(answer(outcome))
        response.background = webhook.after(outcome)
        return response

    return Route(path, incoming, methods=["POST"])
