"""WhatsApp through Twilio's Messages API, with the official `twilio` SDK (as SMS is sent).

The address is a mobile number stored in E.164; `whatsapp:` is put in front of it, and of the
sender, only when a message is created. Replies and status callbacks are Twilio's signed
webhooks, like SMS, on WhatsApp's own paths (`/webhooks/twilio/whatsapp` for a reply, its
`/status` for a status callback, `?attempt=N`): a status moves only a WhatsApp reminder.

WhatsApp's 24-hour session rule: a free-form body may be sent only within 24 hours of the
patient's last message on WhatsApp (`OutboundMessage.last_reply_at`); outside it only a
template approved by Meta, sent by its Content SID. The program maps each of its templates to
one in `[channels.options.whatsapp]`:

    content_sids = { reminder = "HX..." }
    content_variables = { reminder = { "1" = "AZ Sint-Lucas" } }    # optional

Content variables carry program-wide constants written in the program file (the hospital's
name), never anything of the patient's: no name, no week, no reading. A patient who has not
written for a day gets the approved text as Meta approved it, which says no more about them
than that they are followed by the hospital. A template without an approved SID outside the
window is refused as `account-refused` before anything is sent, so the next consented channel
is tried and the WhatsApp contact stays usable; Twilio's own 63016 ("outside the window", if
our clock and Twilio's disagree) gets the template at once when there is one, else the same.
A program that sends on WhatsApp with no Content SID at all is refused when it is loaded.

No urgent notice goes to a nurse on WhatsApp (`notices` False): outside the nurse's own
24-hour session a free-form notice is refused, and a template could not say what happened.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Collection, Mapping
from datetime import timedelta
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
)
from bot.channels.lazy import LazyModule
from bot.channels.ratelimit import Limits
from bot.config import Settings

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from bot.channels import twilio_client as twilio
    from bot.channels import twilio_webhooks as hooks
else:  # the SDK is imported by the first send or webhook, not by the class (see lazy.py)
    twilio = LazyModule("bot.channels.twilio_client")
    hooks = LazyModule("bot.channels.twilio_webhooks")

PREFIX = "whatsapp:"
WINDOW = timedelta(hours=24)
# A body created at 23:59 reaches WhatsApp after 24:00: keep clear of the edge.
MARGIN = timedelta(minutes=10)
CONTENT_SID = re.compile(r"HX[0-9a-fA-F]{32}")
E164 = re.compile(r"\+[1-9][0-9]{1,14}")
OUTSIDE_WINDOW = 63016
OPTIONS = ("content_sids", "content_variables")
MESSAGE_PATH = "/webhooks/twilio/whatsapp"
STATUS_PATH = "/webhooks/twilio/whatsapp/status"
WHATSAPP_TEXT = 4096  # characters: the longest text a WhatsApp message carries

# Twilio's codes for WhatsApp, from its error dictionary; the message never names the number.
ERRORS: dict[int, tuple[ErrorKind, str]] = {
    21610: (ErrorKind.RECIPIENT_REFUSED, "recipient unsubscribed"),
    21211: (ErrorKind.UNREACHABLE, "not a valid phone number"),
    63003: (ErrorKind.UNREACHABLE, "number is not a WhatsApp user"),
    63024: (ErrorKind.UNREACHABLE, "recipient cannot receive WhatsApp messages"),
    63032: (ErrorKind.UNREACHABLE, "WhatsApp does not deliver to this user"),
    OUTSIDE_WINDOW: (ErrorKind.ACCOUNT_REFUSED, "outside the 24-hour session, no template"),
    63007: (ErrorKind.ACCOUNT_REFUSED, "the sender is not a WhatsApp sender"),
    63112: (ErrorKind.ACCOUNT_REFUSED, "the WhatsApp business account is disabled"),
    21654: (ErrorKind.ACCOUNT_REFUSED, "content variables without a template"),
    21655: (ErrorKind.ACCOUNT_REFUSED, "the template's Content SID is not valid"),
    21656: (ErrorKind.ACCOUNT_REFUSED, "the template's content variables are not valid"),
    63027: (ErrorKind.ACCOUNT_REFUSED, "the template does not exist in this language"),
    63028: (ErrorKind.ACCOUNT_REFUSED, "the template's variables do not match"),
}
RATE = {63018, 20429}  # the sender's WhatsApp messaging limit, Twilio's own


def map_error(exc: Exception) -> ChannelError:
    """One ChannelError for every way a Twilio call can fail. Never echoes the number."""
    return twilio.map_error(exc, ERRORS, rate=RATE)


def option_problems(options: Mapping[str, Any], *, templates: Collection[str] = ()) -> list[str]:
    """What is wrong with a program's `[channels.options.whatsapp]` (empty when usable), for
    the program loader to refuse a program once rather than each send at 10:00 on Monday.
    With `templates` (the program's), each Content SID must be for one of them, and at least
    one must be given: without any, a patient who has not written for a day gets nothing."""
    problems = [
        f"channel whatsapp takes no option {key!r}" for key in sorted(options) if key not in OPTIONS
    ]
    sids, variables = options.get("content_sids", {}), options.get("content_variables", {})
    if not isinstance(sids, dict) or not isinstance(variables, dict):
        return [*problems, "content_sids and content_variables must be tables by template"]
    if templates and not sids:
        problems.append("content_sids must map a template to its approved Content SID")
    for template, sid in sids.items():
        if not isinstance(sid, str) or CONTENT_SID.fullmatch(sid) is None:
            problems.append(f"content_sids.{template} must be a Content SID (HX and 32 hex)")
        elif templates and template not in templates:
            problems.append(f"content_sids.{template} names no template of the program")
    for template, values in variables.items():
        if template not in sids:
            problems.append(f"content_variables.{template} has no content_sids.{template}")
        elif not isinstance(values, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v for k, v in values.items()
        ):
            problems.append(f"content_variables.{template} must map names to non-empty text")
    return problems


def template_fields(message: OutboundMessage) -> dict[str, str]:
    """`content_sid` (and `content_variables`) of the approved template for this message's
    template, or ChannelError when the program maps none."""
    if option_problems(message.options):
        raise ChannelError("bad WhatsApp options in the program", ErrorKind.ACCOUNT_REFUSED)
    sid = message.options.get("content_sids", {}).get(message.template)
    if sid is None:
        raise ChannelError(
            "outside the 24-hour session, no template",
            ErrorKind.ACCOUNT_REFUSED,
            code=str(OUTSIDE_WINDOW),
        )
    fields = {"content_sid": sid}
    variables = message.options.get("content_variables", {}).get(message.template)
    if variables:
        fields["content_variables"] = json.dumps(variables, ensure_ascii=False)
    return fields


def in_session(message: OutboundMessage) -> bool:
    """Whether a free-form body may go: the patient wrote on WhatsApp within 24 hours."""
    last = message.last_reply_at
    return last is not None and timedelta(0) <= message.created_at - last < WINDOW - MARGIN


class WhatsAppChannel(ChannelDefaults):
    """Sends one WhatsApp message per reminder: free-form in session, else a template."""

    name: ClassVar[str] = "whatsapp"
    ceiling: ClassVar[str] = "personal"
    address: ClassVar[AddressKind] = AddressKind.TYPED
    title: ClassVar[str] = "WhatsApp"
    participation_mode: ClassVar[tuple[str, str]] = ("ONLINEWRIT", "online written")
    address_help: ClassVar[str] = "mobile number for WhatsApp"
    notices: ClassVar[bool] = False
    needs: ClassVar[tuple[str, ...]] = (
        "twilio_account_sid",
        "twilio_auth_token",
        "twilio_whatsapp_from",
        "twilio_whatsapp_messaging_service_sid",
        "carebot_twilio_api_url",
        "carebot_whatsapp_rate",
        "carebot_public_url",
    )

    def __init__(self, settings: Settings) -> None:
        assert settings.twilio_account_sid and settings.twilio_auth_token
        self.client = twilio.client(settings)
        self.sender: dict[str, Any] = (
            {"messaging_service_sid": settings.twilio_whatsapp_messaging_service_sid}
            if settings.twilio_whatsapp_messaging_service_sid
            else {"from_": PREFIX + str(settings.twilio_whatsapp_from)}
        )
        self.limits = Limits(settings.carebot_whatsapp_rate)
        self.concurrency = 16
        public = settings.carebot_public_url
        self.status_callback = f"{public.rstrip('/')}{STATUS_PATH}" if public else None

    @classmethod
    def open(cls, context: ChannelContext) -> WhatsAppChannel:
        return cls(context.settings)

    @staticmethod
    def normalise(address: str, *, region: str) -> str:
        return mobile_number("WhatsApp", address.strip().removeprefix(PREFIX), region=region)

    requires: ClassVar[str] = (
        "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_WHATSAPP_FROM or "
        "TWILIO_WHATSAPP_MESSAGING_SERVICE_SID"
    )

    @staticmethod
    def configured(settings: Settings) -> bool:
        return bool(
            settings.twilio_account_sid
            and settings.twilio_auth_token
            and (settings.twilio_whatsapp_from or settings.twilio_whatsapp_messaging_service_sid)
        )

    @classmethod
    def check_options(cls, options: Mapping[str, Any], *, templates: Collection[str]) -> list[str]:
        """`content_sids` (template -> approved Content SID, at least one) and optional
        `content_variables` (template -> program-wide constants)."""
        return option_problems(options, templates=templates)

    def _post(self, to: str, content: dict[str, str], extra: dict[str, str]) -> str:
        try:
            created = self.client.messages.create(to=PREFIX + to, **content, **self.sender, **extra)
        except Exception as exc:  # noqa: BLE001  (mapped, or re-raised when not Twilio's)
            raise map_error(exc) from None
        return str(created.sid)

    def _create(self, message: OutboundMessage) -> str:
        assert message.address
        # The attempt in the URL (signed by Twilio) finds the reminder even when the callback
        # overtakes our own record of the SID.
        extra = (
            {"status_callback": f"{self.status_callback}?attempt={message.attempt_id}"}
            if self.status_callback
            else {}
        )
        if not in_session(message):
            return self._post(message.address, template_fields(message), extra)
        try:
            return self._post(message.address, {"body": message.body}, extra)
        except ChannelError as error:
            if error.code != str(OUTSIDE_WINDOW):
                raise
        # Twilio says the session is closed (nothing was sent): the template, if there is one.
        return self._post(message.address, template_fields(message), extra)

    async def send(self, message: OutboundMessage) -> str:
        return await asyncio.to_thread(self._create, message)

    async def send_text(self, address: str, text: str) -> None:
        """An immediate free-form message (an answer to a patient who just wrote, a notice to
        the on-call nurse); outside a session Twilio refuses it (63016, account-refused)."""
        await self.limits.acquire(address)
        await asyncio.to_thread(self._post, address, {"body": text}, {})

    def _recent(self, message: OutboundMessage) -> list[Any]:
        assert message.address
        try:
            recent = self.client.messages.list(to=PREFIX + message.address, limit=50)
        except Exception as exc:  # noqa: BLE001
            raise map_error(exc) from None
        return twilio.candidates(recent, message)

    def _find(self, message: OutboundMessage) -> str | None:
        """The attempt is rebuilt with what its send was given (options, last reply), so the
        form it took is known: the body in session, else the program's template."""
        session = in_session(message)
        if not session and not message.options.get("content_sids", {}).get(message.template):
            return None  # outside the session with no template, nothing was ever posted
        recent = self._recent(message)
        if session:
            for sent in recent:
                if sent.body == message.body:
                    return str(sent.sid)
        if recent:
            # A message went to this patient then that is not this body: the approved template
            # (its text is Meta's, not carebot's), or another message. Never guess: an admin
            # decides.
            raise NotImplementedError("a template send cannot be told apart from another")
        return None

    async def lookup(self, message: OutboundMessage) -> str | None:
        """The SID of this message if Twilio has it (same recipient, body and time); None
        when nothing went to the patient then; after a send that may have been a template,
        `unconfirmed` rather than a second message."""
        if not message.address:
            raise NotImplementedError("nothing to look the message up by")
        return await asyncio.to_thread(self._find, message)

    async def close(self) -> None:
        """Close the SDK's pooled HTTP connections."""
        twilio.close(self.client)

    @classmethod
    def routes(cls, inbox: Inbox) -> list[BaseRoute]:
        """A patient's WhatsApp message (`From` is `whatsapp:+...`; its number is the
        address) and the status callbacks of what carebot sent on WhatsApp."""
        return [
            hooks.message_route(
                MESSAGE_PATH,
                channel=cls.name,
                inbox=inbox,
                text_limit=WHATSAPP_TEXT,
                address=sender_address,
            ),
            hooks.status_route(STATUS_PATH, channel=cls.name, inbox=inbox),
        ]


def sender_address(sender: str) -> str | None:
    """The E.164 number of a WhatsApp sender (`whatsapp:+32...`), or None for anything else
    (an SMS number posted here, a malformed one): the request is refused."""
    number = sender.removeprefix(PREFIX)
    if number == sender or E164.fullmatch(number) is None:
        return None
    return number
