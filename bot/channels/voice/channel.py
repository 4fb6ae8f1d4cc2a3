"""The voice channel's client: one call per reminder through the official `twilio` SDK, and
the call found again after an ambiguous failure (see the package docstring)."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlencode

from bot.channels.addresses import CALLABLE, phone_number
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
from bot.channels.voice import callbacks, twiml
from bot.channels.voice.callbacks import GATHER_PATH, STATUS_PATH
from bot.config import Settings

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from bot.channels import twilio_client as twilio
else:  # the SDK is imported by the first call, not by the class (see lazy.py)
    twilio = LazyModule("bot.channels.twilio_client")

# Twilio's codes for a call that cannot be made; the message never names the number.
ERRORS: dict[int, tuple[ErrorKind, str]] = {
    21211: (ErrorKind.UNREACHABLE, "not a valid phone number"),
    21217: (ErrorKind.UNREACHABLE, "not a valid phone number"),
    21214: (ErrorKind.UNREACHABLE, "the number cannot be reached"),
    13224: (ErrorKind.UNREACHABLE, "Twilio cannot call this number"),
    21216: (ErrorKind.UNREACHABLE, "Twilio blocks calls to this number"),
    21215: (ErrorKind.ACCOUNT_REFUSED, "the account may not call this region"),
    13227: (ErrorKind.ACCOUNT_REFUSED, "the account may not call abroad"),
    21210: (ErrorKind.ACCOUNT_REFUSED, "the caller id is not verified"),
    21212: (ErrorKind.ACCOUNT_REFUSED, "the caller id is not valid"),
    21219: (ErrorKind.ACCOUNT_REFUSED, "a trial account calls verified numbers only"),
}
# The longest Gather action a call names (a public URL, an attempt id, a language).
LONGEST_ACTION = "https://" + "h" * 60 + GATHER_PATH + "?attempt=2147483647&lang=nl"
# A phone that rings: a landline too, for a patient with no mobile.


def map_error(exc: Exception) -> ChannelError:
    """One ChannelError for every way a Twilio call can fail. Never echoes the number."""
    return twilio.map_error(exc, ERRORS)


class VoiceChannel(ChannelDefaults):
    """Calls the patient and reads the reminder; the keypress comes back as a reply."""

    name: ClassVar[str] = "voice"
    ceiling: ClassVar[str] = "personal"
    address: ClassVar[AddressKind] = AddressKind.TYPED
    title: ClassVar[str] = "voice call"
    participation_mode: ClassVar[tuple[str, str]] = ("PHONE", "telephone")
    address_help: ClassVar[str] = "phone number to call (a landline too)"
    # A call is read in the patient's language, which a notice to a nurse is not given.
    notices: ClassVar[bool] = False
    needs: ClassVar[tuple[str, ...]] = (
        "twilio_account_sid",
        "twilio_auth_token",
        "twilio_voice_from",
        "carebot_twilio_api_url",
        "carebot_voice_rate",
        "carebot_public_url",
    )

    def __init__(self, settings: Settings) -> None:
        assert settings.twilio_account_sid and settings.twilio_auth_token
        assert settings.carebot_public_url
        self.client = twilio.client(settings)
        self.sender = str(settings.twilio_voice_from)
        # Twilio starts one call per second per account unless it raised the limit.
        self.limits = Limits(settings.carebot_voice_rate)
        self.concurrency = 4
        self.public = settings.carebot_public_url.rstrip("/")

    @classmethod
    def open(cls, context: ChannelContext) -> VoiceChannel:
        return cls(context.settings)

    @staticmethod
    def normalise(address: str, *, region: str) -> str:
        return phone_number(
            "voice",
            address,
            region=region,
            types=CALLABLE,
            refusal="is not a phone a call can ring",
        )

    requires: ClassVar[str] = (
        "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_VOICE_FROM and CAREBOT_PUBLIC_URL"
    )

    @staticmethod
    def configured(settings: Settings) -> bool:
        """Twilio's account, a number to call from, and a public URL for the keypress."""
        return bool(
            settings.twilio_account_sid
            and settings.twilio_auth_token
            and settings.twilio_voice_from
            and settings.carebot_public_url
        )

    @classmethod
    def check_options(cls, options: Mapping[str, Any], *, templates: Collection[str]) -> list[str]:
        """`voices`: the voice per language (`{ nl = "Polly.Lisa-Neural" }`), each a Polly or
        Google voice name, for a language carebot speaks."""
        problems = [f"channel voice takes no option {key!r}" for key in options if key != "voices"]
        voices = options.get("voices", {})
        if not isinstance(voices, dict):
            return [*problems, "voices must be a table by language"]
        for language in sorted(voices):
            try:
                twiml.voice_for(language, options)
            except ChannelError as exc:
                problems.append(f"voices.{language}: {exc}")
        return problems

    @staticmethod
    def check_text(text: str, *, options: Mapping[str, Any]) -> str | None:
        """Too long for one call's TwiML, in the wordiest language carebot speaks."""
        for language in twiml.LOCALES:
            try:
                twiml.reminder_call(body=text, language=language, action=LONGEST_ACTION, options={})
            except ChannelError:
                return f"is too long for a call: its TwiML exceeds {twiml.TWIML_LIMIT} characters"
        return None

    def _call(self, to: str, document: str, **extra: Any) -> str:
        try:
            created = self.client.calls.create(
                to=to, from_=self.sender, twiml=document, machine_detection="Enable", **extra
            )
        except Exception as exc:  # noqa: BLE001  (mapped, or re-raised when not Twilio's)
            raise map_error(exc) from None
        return str(created.sid)

    def _create(self, message: OutboundMessage) -> str:
        assert message.address
        # The attempt (and the language of the answer) ride in URLs that Twilio signs.
        query = urlencode({"attempt": message.attempt_id, "lang": message.language})
        document = twiml.reminder_call(
            body=message.body,
            language=message.language,
            action=f"{self.public}{GATHER_PATH}?{query}",
            options=message.options,
        )
        callback = f"{self.public}{STATUS_PATH}?attempt={message.attempt_id}"
        return self._call(message.address, document, status_callback=callback)

    async def send(self, message: OutboundMessage) -> str:
        return await asyncio.to_thread(self._create, message)

    async def send_text(self, address: str, text: str) -> None:
        """Refused: a call must be read in the patient's language, which `send_text` is not
        given, and the wrong voice reading "call 112" could not be understood. The caller
        tries its next channel."""
        raise ChannelError("a call needs the patient's language", ErrorKind.ACCOUNT_REFUSED)

    def _find(self, message: OutboundMessage) -> str | None:
        assert message.address
        try:
            recent = self.client.calls.list(to=message.address, limit=20)
        except Exception as exc:  # noqa: BLE001
            raise map_error(exc) from None
        ours = twilio.candidates(recent, message)
        if len(ours) > 1:  # a call carries no body to match: never guess which
            raise NotImplementedError("several calls to this patient at that time")
        return str(ours[0].sid) if ours else None

    async def lookup(self, message: OutboundMessage) -> str | None:
        """The SID of the call to this patient made at the attempt's time, if Twilio has one."""
        if not message.address:
            raise NotImplementedError("nothing to look the call up by")
        return await asyncio.to_thread(self._find, message)

    async def close(self) -> None:
        """Close the SDK's pooled HTTP connections."""
        twilio.close(self.client)

    @classmethod
    def routes(cls, inbox: Inbox) -> list[BaseRoute]:
        """The keypress and the call's status callback (see `callbacks`)."""
        return callbacks.routes(cls.name, inbox)
