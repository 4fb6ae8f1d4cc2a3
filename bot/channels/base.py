"""The one small interface every channel implements, and its one error type.

A channel sends one message and answers with the provider's id for it, or raises
`ChannelError`. Each adapter maps its SDK's own exceptions onto `ChannelError` once, so
that dispatch decides retry, fallback and reconciliation without knowing the provider.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar, Protocol

# Sensitivity levels, lowest first: a template may go out on a channel whose ceiling is at
# least its own level.
SENSITIVITY = ("public", "personal", "health")


def sensitivity_rank(level: str) -> int:
    """Position of a sensitivity level; raises ValueError for an unknown one."""
    return SENSITIVITY.index(level)


class ChannelError(Exception):
    """A send that did not go through.

    permanent: retrying cannot help (blocked bot, unsubscribed or invalid number).
    retry_after: seconds the provider asked us to wait (rate limit), if it said.
    ambiguous: the request may have reached the provider (timeout after sending, Twilio 5xx):
        the message may have gone out, so it must be looked up, never blindly resent.
    opt_out: the provider says the recipient withdrew consent (Twilio 21610, blocked bot).
    account: the provider refuses the hospital's account, not this recipient (an X app with no
        DM access): the next consented channel is tried, and the contact stays usable.
    code: the provider's own error code, for the delivery log. Never personal data.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        ambiguous: bool = False,
        opt_out: bool = False,
        account: bool = False,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after
        self.ambiguous = ambiguous
        self.opt_out = opt_out
        self.account = account
        self.code = code


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


@dataclass(frozen=True)
class InboundMessage:
    """A patient's message as a channel received it, before it is matched or stored."""

    channel: str
    address: str
    text: str
    received_at: datetime
    provider_message_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


class Channel(Protocol):
    """What dispatch needs from a channel."""

    name: ClassVar[str]
    ceiling: ClassVar[str]
    needs_address: ClassVar[bool]

    async def send(self, message: OutboundMessage) -> str:
        """Send one message; return the provider's id or raise ChannelError."""
        ...

    async def lookup(self, message: OutboundMessage) -> str | None:
        """After an ambiguous outcome: the provider id if the message went out, else None.

        Raise NotImplementedError where the provider offers no look-up; the reminder then
        becomes `unconfirmed` for an admin.
        """
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
        return ChannelError("no answer after sending", ambiguous=True)
    return None
