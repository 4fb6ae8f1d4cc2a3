"""X (Twitter) direct messages through tweepy's v2 client.

Off unless the four user-context tokens are set: each DM costs money and the patient must
accept DMs from the hospital's account. Only `public` templates may go out here (the program
loader enforces the channel's ceiling). tweepy hard-codes https://api.twitter.com, so a
requests adapter redirects its session to `CAREBOT_X_API_URL`.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from bot.channels import webhook
from bot.channels.addresses import numeric_id
from bot.channels.base import (
    AddressKind,
    ChannelContext,
    ChannelDefaults,
    InboundMessage,
    Inbox,
    OutboundMessage,
)
from bot.channels.lazy import LazyModule
from bot.channels.ratelimit import Limits
from bot.config import Settings

if TYPE_CHECKING:
    from bot.channels import x_client as xsdk
else:  # the SDK is imported by the first send, not by the class (see lazy.py)
    xsdk = LazyModule("bot.channels.x_client")

TEXT_LIMIT = 10_000  # characters: X's limit for a direct message


class XChannel(ChannelDefaults):
    """Sends one direct message per reminder; finds it again among recent DM events."""

    name: ClassVar[str] = "x"
    ceiling: ClassVar[str] = "public"
    address: ClassVar[AddressKind] = AddressKind.TYPED
    title: ClassVar[str] = "X"
    participation_mode: ClassVar[tuple[str, str]] = ("ONLINEWRIT", "online written")
    address_help: ClassVar[str] = "X user id for direct messages"
    # An urgent notice holds health data; X DMs carry `public` templates only.
    notices: ClassVar[bool] = False
    needs: ClassVar[tuple[str, ...]] = (
        "x_consumer_key",
        "x_consumer_secret",
        "x_access_token",
        "x_access_token_secret",
        "carebot_x_api_url",
    )

    def __init__(self, settings: Settings) -> None:
        secrets = [
            settings.x_consumer_key,
            settings.x_consumer_secret,
            settings.x_access_token,
            settings.x_access_token_secret,
        ]
        values = [s.get_secret_value() for s in secrets if s is not None]
        self.client = xsdk.Client(
            consumer_key=values[0],
            consumer_secret=values[1],
            access_token=values[2],
            access_token_secret=values[3],
        )
        # X allows the account 200 DMs per 15 minutes (and 1,000 a day, which it enforces
        # with a 429 and a reset time): one DM every 4.6 s.
        self.limits = Limits(200, window=15 * 60)
        self._me: str | None = None
        self.concurrency = 2
        if settings.carebot_x_api_url.rstrip("/") != xsdk.TWITTER:
            self.client.session.mount(
                xsdk.TWITTER, xsdk.RedirectAdapter(settings.carebot_x_api_url)
            )

    @classmethod
    def open(cls, context: ChannelContext) -> XChannel:
        return cls(context.settings)

    @staticmethod
    def normalise(address: str, *, region: str) -> str:
        return numeric_id("x", address)

    requires: ClassVar[str] = (
        "X_CONSUMER_KEY, X_CONSUMER_SECRET, X_ACCESS_TOKEN and X_ACCESS_TOKEN_SECRET"
    )

    @staticmethod
    def configured(settings: Settings) -> bool:
        return all(
            [
                settings.x_consumer_key,
                settings.x_consumer_secret,
                settings.x_access_token,
                settings.x_access_token_secret,
            ]
        )

    def _call(self, method: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, method)(user_auth=True, **kwargs)
        except Exception as exc:  # noqa: BLE001  (mapped, or re-raised when not tweepy's)
            raise xsdk.map_error(exc) from None

    async def send(self, message: OutboundMessage) -> str:
        assert message.address is not None
        return await self._dm(message.address, message.body)

    async def send_text(self, address: str, text: str) -> None:
        """An immediate answer to a patient (not a reminder), such as "call 112"."""
        await self.limits.acquire(address)
        await self._dm(address, text)

    async def _dm(self, participant_id: str, text: str) -> str:
        response = await asyncio.to_thread(
            self._call, "create_direct_message", participant_id=participant_id, text=text
        )
        return str(response.data["dm_event_id"])

    async def poll(self, inbox: Inbox) -> int:
        """Hand the inbox the recent DMs written to us; returns how many."""
        return await _poll(self, inbox)

    async def close(self) -> None:
        """Close tweepy's HTTP session (a new channel is made for each cycle)."""
        self.client.session.close()

    async def lookup(self, message: OutboundMessage) -> str | None:
        if not message.address or not message.body:
            raise NotImplementedError("nothing to look the message up by")
        response = await asyncio.to_thread(
            self._call,
            "get_direct_message_events",
            participant_id=message.address,
            dm_event_fields=["created_at", "text"],
            max_results=50,
        )
        since = message.created_at - timedelta(minutes=2)
        for event in response.data or []:
            if event.text == message.body and (
                event.created_at is None or event.created_at >= since
            ):
                return str(event.id)
        return None


# --- inbound: DMs collected by polling `GET /2/dm_events` -----------------------------------


def _read_dms(channel: XChannel) -> list[InboundMessage]:
    """The newest 100 DM events written to us (not by us)."""
    if channel._me is None:
        channel._me = str(channel._call("get_me").data["id"])
    events = channel._call(
        "get_direct_message_events",
        event_types="MessageCreate",
        dm_event_fields=["id", "text", "sender_id", "created_at"],
        max_results=100,
    )
    return [
        InboundMessage(
            channel=channel.name,
            address=str(e.sender_id),
            text=webhook.usable_text(e.text or "", limit=TEXT_LIMIT),
            received_at=e.created_at or datetime.now(UTC),
            provider_message_id=f"x:{e.id}",
        )
        for e in events.data or []
        if str(e.sender_id) != channel._me
    ]


async def _poll(channel: XChannel, inbox: Inbox) -> int:
    """The newest DMs come back at every poll: the inbox drops the replays (same event id)
    and answers none of them twice."""
    messages = await asyncio.to_thread(_read_dms, channel)
    for message in messages:
        await inbox.receive(message, send=channel.send_text)
    return len(messages)
