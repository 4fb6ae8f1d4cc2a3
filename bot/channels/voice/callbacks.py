"""Twilio's webhooks for a call: its status callback as a reminder status, and the keypress
read as a reply, answered with TwiML. Both are signed like every Twilio webhook
(`twilio_webhooks.signed_form`, which covers the URL's query: the attempt and the language).

The patient is the `To` of an outbound call (`From` is the hospital's number).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.channels import twilio_webhooks as hooks
from bot.channels import webhook
from bot.channels.base import InboundMessage, Inbox, StatusUpdate
from bot.channels.voice import twiml

log = logging.getLogger("carebot.webhooks")

GATHER_PATH = "/webhooks/twilio/voice/gather"
STATUS_PATH = "/webhooks/twilio/voice/status"
ATTEMPT = re.compile(r"[0-9]{1,10}")
PHONE = re.compile(r"\+[1-9][0-9]{1,14}")
# Twilio's CallStatus for a call that did not reach anyone; the status becomes the reason.
NOT_ANSWERED = {"busy", "no-answer", "failed", "canceled"}
# What the nurse reads in the queue for each key (the reply's text), and what the channel
# knows of it beyond the text: a patient asking for a nurse needs one.
KEYS = {"1": "keypress 1: measured", "2": "keypress 2: asks to talk to a nurse"}
FLAGS: dict[str, tuple[str, ...]] = {"1": (), "2": ("attention",)}


@dataclass(frozen=True)
class CallOutcome:
    """A call's final status, as carebot records it on the reminder of `attempt`."""

    provider_id: str
    status: str  # delivered | failed
    reason: str | None
    error_code: str | None
    attempt: str | None


def _attempt(query: Mapping[str, str]) -> str | None:
    attempt = query.get("attempt")
    return attempt if attempt is not None and ATTEMPT.fullmatch(attempt) else None


def call_outcome(form: Mapping[str, str], query: Mapping[str, str]) -> CallOutcome | None:
    """The reminder status a call's status callback means, or None when it changes nothing
    (a call still ringing) or is malformed."""
    sid, status = form.get("CallSid", ""), form.get("CallStatus", "")
    code = form.get("ErrorCode") or None
    if hooks.CALL_SID.fullmatch(sid) is None or (
        code is not None and not hooks.ERROR_CODE.fullmatch(code)
    ):
        return None
    answered_by = form.get("AnsweredBy", "")
    if status == "completed" and (answered_by.startswith("machine") or answered_by == "fax"):
        return CallOutcome(sid, "failed", "answered-by-machine", code, _attempt(query))
    if status == "completed":
        return CallOutcome(sid, "delivered", None, code, _attempt(query))
    if status in NOT_ANSWERED:
        return CallOutcome(sid, "failed", status, code, _attempt(query))
    return None


def status_update(channel: str, form: hooks.Form, request: Request) -> StatusUpdate | None:
    """A call's status callback for `status_route`: None (400) only when malformed; a call
    still ringing is a status that changes nothing."""
    sid = form.get("CallSid", "")
    code = form.get("ErrorCode") or None
    if hooks.CALL_SID.fullmatch(sid) is None or (
        code is not None and not hooks.ERROR_CODE.fullmatch(code)
    ):
        return None
    outcome = call_outcome(form, request.query_params)
    if outcome is not None and outcome.reason is not None:
        log.info("call %s ended without a listener: %s", sid, outcome.reason)  # no number
    return StatusUpdate(
        channel=channel,
        provider_id=sid,
        status=outcome.status if outcome is not None else "",
        error_code=code,
        attempt=request.query_params.get("attempt"),
    )


def keypress(
    channel: str, form: Mapping[str, str], query: Mapping[str, str], *, now: datetime
) -> InboundMessage | None:
    """The patient's reply for a key they pressed (1 or 2), or None for any other key."""
    sid, digit, patient = form.get("CallSid", ""), form.get("Digits", ""), form.get("To", "")
    if hooks.CALL_SID.fullmatch(sid) is None or digit not in KEYS or not PHONE.fullmatch(patient):
        return None
    # The call and its key name the reply: a replayed callback changes nothing.
    return InboundMessage(
        channel=channel,
        address=patient,
        text=KEYS[digit],
        received_at=now,
        provider_message_id=f"{sid}-{digit}",
        flags=FLAGS[digit],
    )


def answer(form: Mapping[str, str], *, public_url: str, query: Mapping[str, str]) -> str:
    """The TwiML Twilio plays after the keypress: thanks, or the question again."""
    language = query.get("lang", "")
    language = language if language in twiml.LOCALES else "en"
    attempt = _attempt(query)
    again = {"attempt": attempt, "lang": language} if attempt else {"lang": language}
    action = f"{public_url.rstrip('/')}{GATHER_PATH}?{urlencode(again)}"
    return twiml.keypress_answer(digit=form.get("Digits", ""), language=language, action=action)


def routes(channel: str, inbox: Inbox) -> list[BaseRoute]:
    """The keypress (a reply, and the reminder `read`: the patient heard it) and the call's
    status callback."""

    async def gather(request: Request) -> Response:
        form = await hooks.signed_form(inbox.settings, request)
        if isinstance(form, Response):
            return form
        sid = form.get("CallSid", "")
        if hooks.CALL_SID.fullmatch(sid) is None or not PHONE.fullmatch(form.get("To", "")):
            return webhook.bad_request()
        query = request.query_params
        message = keypress(channel, form, query, now=datetime.now(UTC))
        background = None
        if message is not None:
            heard = StatusUpdate(channel, sid, "read", attempt=query.get("attempt"))
            await inbox.status(heard)
            background = webhook.after(await inbox.receive(message))
        base = inbox.settings.carebot_public_url or str(request.base_url)
        document = answer(form, public_url=base, query=query)  # built by the SDK: escaped
        return Response(document, media_type="application/xml", background=background)

    return [
        Route(GATHER_PATH, gather, methods=["POST"]),
        hooks.status_route(STATUS_PATH, channel=channel, inbox=inbox, parse=status_update),
    ]
