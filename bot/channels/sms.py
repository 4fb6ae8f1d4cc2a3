"""SMS through Twilio's official SDK.

The client is the one the Twilio channels share (`bot/channels/twilio_client.py`), talking to
Twilio or to a local fake by `CAREBOT_TWILIO_API_URL`.

Creating a message is not idempotent at Twilio: a timeout after the request left, or a 5xx,
may have sent the SMS, so those are `ambiguous` and looked up by recipient, body and time
before anything is sent again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from bot.channels.addresses import mobile_number
from bot.channels.base import (
    AddressKind,
    ChannelContext,
    ChannelDefaults,
    ChannelError,
    ErrorKind,
    Inbox,
    OutboundMessage,
    Outcome,
)
from bot.channels.lazy import LazyModule
from bot.channels.ratelimit import Limits
from bot.channels.sms_length import segments
from bot.config import Settings

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from bot.channels import twilio_client as twilio
    from bot.channels import twilio_webhooks as hooks
else:  # the SDK is imported by the first send or webhook, not by the class (see lazy.py)
    twilio = LazyModule("bot.channels.twilio_client")
    hooks = LazyModule("bot.channels.twilio_webhooks")

# Twilio's error codes for an SMS. 21610: the recipient replied STOP, and Twilio refuses to
# send until START. The unreachable ones concern the number: retrying cannot help. 21408,
# "permission to send an SMS has not been enabled for the region" of the number, concerns the
# hospital's account: the next consented channel is tried (or the reminder retried within its
# grace), for an admin to fix.
ERRORS: twilio.Errors = {
    21610: (ErrorKind.RECIPIENT_REFUSED, "recipient unsubscribed"),
    **dict.fromkeys(
        (21211, 21214, 21217, 21612, 21614, 30003, 30005, 30006),
        (ErrorKind.UNREACHABLE, "number cannot receive SMS"),
    ),
    21408: (ErrorKind.ACCOUNT_REFUSED, "the Twilio account may not send to this region"),
}
SMS_TEXT = 1600  # characters: Twilio's limit for one (concatenated) SMS
# How many segments a reminder may cost, unless the program's `[channels.options.sms]` says
# `max_segments`: each one is billed.
MAX_SEGMENTS = 2


def map_error(exc: Exception) -> ChannelError:
    """One ChannelError for every way a Twilio call can fail. Never echoes the number."""
    return twilio.map_error(exc, ERRORS)


class SmsChannel(ChannelDefaults):
    """Sends one SMS per reminder and finds it again after an ambiguous failure."""

    name: ClassVar[str] = "sms"
    ceiling: ClassVar[str] = "personal"
    address: ClassVar[AddressKind] = AddressKind.TYPED
    title: ClassVar[str] = "SMS"
    participation_mode: ClassVar[tuple[str, str]] = ("SMSWRIT", "SMS written")
    address_help: ClassVar[str] = "mobile number for SMS"
    notices: ClassVar[bool] = True
    needs: ClassVar[tuple[str, ...]] = (
        "twilio_account_sid",
        "twilio_auth_token",
        "twilio_from",
        "twilio_messaging_service_sid",
        "carebot_twilio_api_url",
        "carebot_twilio_rate",
    )

    def __init__(self, settings: Settings) -> None:
        assert settings.twilio_account_sid and settings.twilio_auth_token
        self.client = twilio.client(settings)
        self.sender: dict[str, Any] = (
            {"messaging_service_sid": settings.twilio_messaging_service_sid}
            if settings.twilio_messaging_service_sid
            else {"from_": settings.twilio_from}
        )
        # Twilio queues what a sender cannot send at once, but a long code sends ~1 SMS/s and
        # an alphanumeric sender or messaging service more: the operator sets it.
        self.limits = Limits(settings.carebot_twilio_rate)
        self.concurrency = 16
        public = settings.carebot_public_url
        self.status_callback = f"{public.rstrip('/')}/webhooks/twilio/status" if public else None

    @classmethod
    def open(cls, context: ChannelContext) -> SmsChannel:
        return cls(context.settings)

    @staticmethod
    def normalise(address: str, *, region: str) -> str:
        return mobile_number("SMS", address, region=region)

    requires: ClassVar[str] = (
        "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID"
    )

    @staticmethod
    def configured(settings: Settings) -> bool:
        return bool(
            settings.twilio_account_sid
            and settings.twilio_auth_token
            and (settings.twilio_from or settings.twilio_messaging_service_sid)
        )

    program_keys: ClassVar[Mapping[str, str]] = {"max_sms_segments": "max_segments"}

    @classmethod
    def check_options(cls, options: Mapping[str, Any], *, templates: Collection[str]) -> list[str]:
        """`max_segments`: how many segments a message may cost (whole number, 1 or more)."""
        problems = [
            f"channel sms takes no option {key!r}"
            for key in sorted(options)
            if key != "max_segments"
        ]
        limit = options.get("max_segments", MAX_SEGMENTS)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            problems.append("channels.options.sms.max_segments must be a whole number, 1 or more")
        return problems

    @staticmethod
    def check_text(text: str, *, options: Mapping[str, Any]) -> str | None:
        """Too many segments for the program's limit (one non-GSM character halves the room)."""
        limit = int(options.get("max_segments", MAX_SEGMENTS))
        cost = segments(text)
        if cost > limit:
            return f"is too long for SMS: {cost} segments, at most {limit}"
        return None

    def _create(self, message: OutboundMessage) -> str:
        # The attempt in the URL (signed by Twilio with the rest) lets a callback that
        # overtakes our own record of the SID still find its reminder.
        extra = (
            {"status_callback": f"{self.status_callback}?attempt={message.attempt_id}"}
            if self.status_callback
            else {}
        )
        try:
            created = self.client.messages.create(
                to=message.address, body=message.body, **self.sender, **extra
            )
        except Exception as exc:  # noqa: BLE001  (mapped, or re-raised when not Twilio's)
            raise map_error(exc) from None
        return str(created.sid)

    async def send_text(self, address: str, text: str) -> None:
        """An immediate notice outside the reminder outbox (e.g. to the on-call nurse)."""

        def create() -> None:
            try:
                self.client.messages.create(to=address, body=text, **self.sender)
            except Exception as exc:  # noqa: BLE001
                raise map_error(exc) from None

        await self.limits.acquire(address)
        await asyncio.to_thread(create)

    async def send(self, message: OutboundMessage) -> str:
        return await asyncio.to_thread(self._create, message)

    def _find(self, message: OutboundMessage) -> str | None:
        """Same recipient and body, dated near the attempt (Twilio's clock may be off)."""
        try:
            recent = self.client.messages.list(to=message.address, limit=50)
        except Exception as exc:  # noqa: BLE001
            raise map_error(exc) from None
        for sent in twilio.candidates(recent, message):
            if sent.body == message.body:
                return str(sent.sid)
        return None

    async def close(self) -> None:
        """Close the SDK's pooled HTTP connections (a new channel is made for each cycle)."""
        twilio.close(self.client)

    async def lookup(self, message: OutboundMessage) -> str | None:
        """The SID of this message if Twilio has it: same recipient, same body, same time."""
        if not message.address or not message.body:
            raise NotImplementedError("nothing to look the message up by")
        return await asyncio.to_thread(self._find, message)

    @classmethod
    def routes(cls, inbox: Inbox) -> list[BaseRoute]:
        return webhook_routes(cls.name, inbox)


def _answer(outcome: Outcome) -> str | None:
    """Twilio answers a one-word STOP itself (and blocks further sends); carebot answers the
    rest, a request in words to stop included (Twilio does not read those), and an urgent
    reply always."""
    stopping = outcome.keyword == "stop" and not outcome.urgent
    return None if stopping else outcome.answer


def webhook_routes(channel: str, inbox: Inbox) -> list[BaseRoute]:
    """Incoming SMS and the status callbacks of those carebot sent (the URL every send
    names: see `status_callback`)."""
    return [
        hooks.message_route(
            "/webhooks/twilio/sms",
            channel=channel,
            inbox=inbox,
            text_limit=SMS_TEXT,
            answer=_answer,
        ),
        hooks.status_route("/webhooks/twilio/status", channel=channel, inbox=inbox),
    ]
