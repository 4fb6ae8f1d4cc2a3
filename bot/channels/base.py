"""The one small interface every channel implements, and its one error type.

A channel sends one message and answers with the provider's id for it, or raises
`ChannelError`. Each adapter maps its SDK's own exceptions onto `ChannelError` once, so
that dispatch decides retry, fallback and reconciliation without knowing the provider.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

# Sensitivity levels, lowest first: a template may go out on a channel whose ceiling is at
# least its own level.
if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from bot.channels.ratelimit import Limits
    from bot.config import Settings
    from bot.store.store import Store

SENSITIVITY = ("public", "personal", "health")


def sensitivity_rank(level: str) -> int:
    """Position of a sensitivity level; raises ValueError for an unknown one."""
    return SENSITIVITY.index(level)


class ErrorKind(StrEnum):
    """What a failed send means for the reminder; each provider's answers map onto one."""

    RETRY = "retry"
    """Nothing was sent (rate limit, no connection, a refusal to fix): try again later."""
    AMBIGUOUS = "ambiguous"
    """The request may have reached the provider (a 5xx, a timeout after it left): the message
    may have gone out, so it is looked up, never blindly sent again."""
    RECIPIENT_REFUSED = "recipient-refused"
    """The recipient withdrew consent at the provider (Twilio 21610, a blocked bot): the
    channel's consent is withdrawn and the next consented channel is tried."""
    UNREACHABLE = "unreachable"
    """This address cannot receive on this channel (an invalid number, a deleted chat): the
    contact is marked unusable and the next consented channel is tried."""
    ACCOUNT_REFUSED = "account-refused"
    """The provider refuses the hospital's account, not this recipient (an X app with no DM
    access): the next consented channel is tried and the contact stays usable."""


class ChannelError(Exception):
    """A send that did not go through.

    kind: what it means for the reminder (see ErrorKind).
    retry_after: seconds the provider asked us to wait (rate limit), if it said.
    code: the provider's own error code, for the delivery log. Never personal data.
    """

    def __init__(
        self,
        message: str,
        kind: ErrorKind = ErrorKind.RETRY,
        *,
        retry_after: float | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.retry_after = retry_after
        self.code = code

    @property
    def recipient_cannot_receive(self) -> bool:
        """Retrying on this channel cannot help this recipient."""
        return self.kind in (ErrorKind.RECIPIENT_REFUSED, ErrorKind.UNREACHABLE)


@dataclass(frozen=True)
class OutboundMessage:
    """One message to one patient on one channel.

    attempt_id is unique per send attempt; adapters that can tag a message with it (or look
    it up later by recipient and time) use it to reconcile after a crash.
    """

    attempt_id: int
    pseudonym: str
    address: str | None
    body: str
    created_at: datetime
    status_callback: str | None = None
    language: str = ""
    """The patient's language (a voice reads the body in it)."""
    template: str = ""
    """The program's template the body was rendered from (e.g. `reminder`)."""
    options: Mapping[str, Any] = field(default_factory=dict)
    """The program's options for this channel (`[channels.options.<name>]`), as written."""
    last_reply_at: datetime | None = None
    """When the patient last wrote on this channel, if ever (a session window opens then)."""
    sent_wall_at: datetime | None = None
    """The real time the request left (`created_at` follows `tick --at`): a look-up at the
    provider, whose clock is the real one, searches around both."""
    known_ids: frozenset[str] = frozenset()
    """Provider ids carebot recorded for the patient's other attempts: a look-up never takes
    one of them for this one."""


@dataclass(frozen=True)
class InboundMessage:
    """A patient's message as a channel received it (by webhook or by polling, parsed once by
    the channel), before it is matched or stored.

    `provider_message_id` is unique per message at the provider (a replay of it changes
    nothing). `link_code` is the one-time code of an enrolment deep link the message carries
    (Telegram's `/start CODE`): on a LINKED channel it binds the address instead of being
    stored as a reply. `group` says the message came from a conversation of several people,
    whose link codes bind nothing (its members' messages would become the patient's replies).
    `flags` are what the channel itself knows of the message beyond its text (a keypress
    that asks for a nurse: `attention`); they join the flags triage finds.
    """

    channel: str
    address: str
    text: str
    received_at: datetime
    provider_message_id: str | None = None
    link_code: str | None = None
    group: bool = False
    flags: tuple[str, ...] = ()


class AddressKind(StrEnum):
    """How a patient's address on a channel is given."""

    TYPED = "typed"
    """The nurse types it at enrolment (`--sms +32...`)."""
    LINKED = "linked"
    """The patient binds it by following a one-time deep link (Telegram's `/start CODE`)."""
    NONE = "none"
    """The channel needs no address (the console)."""


@dataclass(frozen=True)
class ChannelContext:
    """What a channel may be given when it is opened: the store and settings, and hooks
    into the layers above it, which a channel never imports."""

    store: Store
    echo: Callable[[str, str], None] | None = None
    """Shows what the console channel sends (pseudonym, text), e.g. on `carebot tick`."""
    on_migrate: Callable[[str, str, str], None] | None = None
    """Called (channel, pseudonym, new address) when a provider moves a patient to a new
    address (a Telegram group that became a supergroup)."""

    @property
    def settings(self) -> Settings:
        return self.store.settings


class ChannelKind(Protocol):
    """A channel class: what carebot knows of a channel before it opens one. The members
    after `open` have defaults in `ChannelDefaults`, which each channel class inherits.

    Optional: `routes(inbox)`, the webhook routes of a channel that receives by webhook
    (see `Routed`); carebot serves them whether or not the channel is configured.
    """

    name: ClassVar[str]
    ceiling: ClassVar[str]
    """The most sensitive template the channel may carry (see SENSITIVITY)."""
    address: ClassVar[AddressKind]
    title: ClassVar[str]
    """The channel's name for people (`Telegram`, `SMS`), in CLI lines and help."""
    address_help: ClassVar[str]
    """Help for the address option `carebot patient enrol --<name>`, e.g. "mobile number
    for SMS"; a channel whose address is NONE has no such option."""
    notices: ClassVar[bool]
    """Whether an urgent notice may go to a nurse's address on this channel (a program's
    `[on_call]`): not where sending costs per message or a notice would leave the hospital's
    control."""
    needs: ClassVar[tuple[str, ...]]
    requires: ClassVar[str]
    """The settings `configured` checks, for people (`TWILIO_ACCOUNT_SID, ... and TWILIO_FROM
    or TWILIO_MESSAGING_SERVICE_SID`): what a refusal to enrol on the channel names."""
    program_keys: ClassVar[Mapping[str, str]]
    """Top-level program settings that older programs used for one of this channel's
    options (program key -> option): still read, into `[channels.options.<name>]`."""
    participation_mode: ClassVar[tuple[str, str]]
    """How the channel carries a message in HL7's v3-ParticipationMode terms, code and
    display (`SMSWRIT`, `ONLINEWRIT`, `PHONE`): the `medium` of the FHIR export."""
    """The `Settings` fields the channel reads (its credentials, base URL, pace)."""

    @staticmethod
    def configured(settings: Settings) -> bool:
        """Whether the settings this channel needs are present."""
        ...

    @staticmethod
    def normalise(address: str, *, region: str) -> str:
        """The canonical form of an address (E.164 for a phone), or AddressError."""
        ...

    @classmethod
    def open(cls, context: ChannelContext) -> Channel:
        """A client for this channel; `close` it when done."""
        ...

    @classmethod
    def check_options(cls, options: Mapping[str, Any], *, templates: Collection[str]) -> list[str]:
        """What is wrong with the program's `[channels.options.<name>]` table (one line each),
        checked when the program is loaded; `templates` names the program's templates."""
        ...

    @staticmethod
    def check_text(text: str, *, options: Mapping[str, Any]) -> str | None:
        """Why this text (a template rendered with the longest values carebot allows) cannot
        go out on the channel, e.g. too many SMS segments; None when it can. Checked when the
        program is loaded, with the program's options for the channel."""
        ...

    @staticmethod
    def link(settings: Settings, code: str) -> str:
        """For a LINKED channel: the deep link that binds the patient's address to the
        one-time `code` issued at enrolment."""
        ...

    @staticmethod
    def link_lifetime(settings: Settings) -> timedelta:
        """For a LINKED channel: how long an enrolment's link stays usable."""
        ...


class ChannelDefaults:
    """The defaults of `ChannelKind`'s optional members: a channel class inherits them and
    overrides what it needs."""

    name: ClassVar[str]
    address_help: ClassVar[str] = ""
    notices: ClassVar[bool] = False
    needs: ClassVar[tuple[str, ...]] = ()
    requires: ClassVar[str] = "its settings (see .env.example)"
    program_keys: ClassVar[Mapping[str, str]] = {}
    participation_mode: ClassVar[tuple[str, str]] = ("ELECTRONIC", "electronic data")

    @classmethod
    def check_options(cls, options: Mapping[str, Any], *, templates: Collection[str]) -> list[str]:
        """No option is accepted unless the channel says what it does with it."""
        return [f"channel {cls.name} takes no option {key!r}" for key in sorted(options)]

    @staticmethod
    def check_text(text: str, *, options: Mapping[str, Any]) -> str | None:
        return None

    @staticmethod
    def link(settings: Settings, code: str) -> str:
        raise NotImplementedError("the channel's address is not linked")

    @staticmethod
    def link_lifetime(settings: Settings) -> timedelta:
        raise NotImplementedError("the channel's address is not linked")


class Channel(Protocol):
    """What dispatch needs from a channel.

    Optional: `poll(inbox)`, for a channel that fetches its own messages (see `Polls`);
    `carebot tick` calls it on every configured channel that has it.
    """

    name: ClassVar[str]
    ceiling: ClassVar[str]
    address: ClassVar[AddressKind]

    @property
    def limits(self) -> Limits | None:
        """The provider's pace (overall and per recipient), or None for no limit."""
        ...

    @property
    def concurrency(self) -> int:
        """How many sends may be in flight at once."""
        ...

    async def send(self, message: OutboundMessage) -> str:
        """Send one message; return the provider's id or raise ChannelError."""
        ...

    async def lookup(self, message: OutboundMessage) -> str | None:
        """After an ambiguous outcome: the provider id if the message went out, else None.

        Raise NotImplementedError where the provider offers no look-up; the reminder then
        becomes `unconfirmed` for an admin.
        """
        ...

    async def send_text(self, address: str, text: str) -> None:
        """An immediate message outside the reminder outbox (an answer to a patient, a
        notice to the on-call nurse), within the same limits; raise ChannelError."""
        ...

    async def close(self) -> None:
        """Release the provider client's connections; the channel is not used again."""
        ...


def transport_error(exc: Exception) -> ChannelError | None:
    """The ChannelError for a transport failure of a `requests`-based SDK (twilio, tweepy),
    or None if `exc` is not one. Failing to connect sent nothing; anything later may have."""
    import requests

    if isinstance(exc, requests.exceptions.ConnectTimeout | requests.exceptions.SSLError):
        return ChannelError("could not connect")
    if isinstance(exc, requests.exceptions.ConnectionError) and "NewConnectionError" in repr(exc):
        return ChannelError("could not connect")
    if isinstance(exc, requests.exceptions.RequestException):
        return ChannelError("no answer after sending", ErrorKind.AMBIGUOUS)
    return None


# --- the inbound side, as a channel sees it ------------------------------------------------
# A channel never imports bot/inbound (it is the layer above): its webhook handlers and its
# `poll` are handed an `Inbox`, which bot/inbound implements.

Sender = Callable[[str, str], Awaitable[None]]
"""`send_text(address, text)` of an open channel."""


@dataclass(frozen=True)
class Outcome:
    """What carebot made of one inbound message, for the channel to act on."""

    answer: str | None
    """The text to give the patient at once (a webhook puts it in its response), if any; None
    for a replay."""
    keyword: str | None = None
    """A one-word keyword the message was (`stop`, `start`, `help`), if any."""
    urgent: bool = False
    duplicate: bool = False
    after: Callable[[], Awaitable[object]] | None = None
    """What must follow the answer (the on-call nurse's notice of an urgent reply): a webhook
    runs it once its response has gone back, so that it can never hold the answer up."""


@dataclass(frozen=True)
class StatusUpdate:
    """A provider's word on a message sent earlier, parsed by the channel that sent it."""

    channel: str
    provider_id: str
    status: str
    """carebot's reminder status it means: `delivered`, `read` or `failed`; anything else
    (the provider's `queued`, `sent`...) changes nothing."""
    error_code: str | None = None
    """The provider's error code, for the delivery log. Never personal data."""
    kind: ErrorKind | None = None
    """What the failure means (RECIPIENT_REFUSED, e.g. Twilio 21610: consent withdrawn)."""
    attempt: str | None = None
    """The delivery attempt named in the callback URL, unchecked (the inbox checks it)."""


class Inbox(Protocol):
    """What a channel's webhook handler or `poll` is handed. Each call does its store work on
    the store's worker thread, so an event loop never waits for the store's lock."""

    @property
    def settings(self) -> Settings:
        """The settings, for a handler's secrets and public URL (no store work)."""
        ...

    async def receive(self, message: InboundMessage, *, send: Sender | None = None) -> Outcome:
        """Store and act on one message, or bind its link code. With `send` (a polled
        message: no response carries the answer), the answer goes out through it and what
        follows is done before this returns."""
        ...

    async def status(self, update: StatusUpdate) -> bool:
        """Apply a status update; True if a reminder changed."""
        ...

    async def ignore(self, *, channel: str, reason: str) -> None:
        """Audit an input acknowledged but not stored; `reason` is carebot's own words."""
        ...

    async def state(self, name: str) -> str | None:
        """A value the channel keeps in the store (a polling offset), if set."""
        ...

    async def keep_state(self, name: str, value: str) -> None:
        """Keep a value in the store for the next poll."""
        ...


@runtime_checkable
class Polls(Protocol):
    """An open channel that fetches its own messages (long polling, an events API)."""

    async def poll(self, inbox: Inbox) -> int:
        """Hand the inbox what arrived since the last poll; returns how many there were."""
        ...


@runtime_checkable
class Routed(Protocol):
    """A channel class that receives by webhook: it declares its routes, authenticates each
    request before any store work, and answers 4xx, never 5xx, to bad input."""

    @classmethod
    def routes(cls, inbox: Inbox) -> Sequence[BaseRoute]:
        """Its Starlette routes (paths under /webhooks/), handing what they receive to
        `inbox`; an unconfigured channel's routes answer 403."""
        ...
