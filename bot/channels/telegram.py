"""Telegram through python-telegram-bot, its base URL from `CAREBOT_TELEGRAM_API_URL`.

Bots cannot write first: a patient binds their chat with `/start CODE` from the deep link
printed at enrolment (see bot/inbound/telegram_link.py). Telegram offers no way to look a
message up, so a send whose outcome is unknown (a timeout after the request left) becomes
`unconfirmed` for an admin instead of being sent twice.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import ClassVar

# RetryAfter.retry_after as a timedelta, PTB's coming default, without its warning.
os.environ.setdefault("PTB_TIMEDELTA", "true")

from telegram import Bot  # noqa: E402
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest

from bot.channels.addresses import numeric_id
from bot.channels.base import (
    AddressKind,
    ChannelContext,
    ChannelDefaults,
    ChannelError,
    ErrorKind,
    OutboundMessage,
)
from bot.channels.ratelimit import Limits
from bot.config import Settings

GONE = ("chat not found", "user is deactivated", "peer_id_invalid")


def map_error(exc: TelegramError) -> ChannelError:
    """One ChannelError for every way a Bot API call can fail. Never echoes the chat id."""
    if isinstance(exc, Forbidden):  # the patient blocked the bot: as good as /stop
        return ChannelError("bot blocked by the user", ErrorKind.RECIPIENT_REFUSED, code="403")
    if isinstance(exc, RetryAfter):
        wait = exc.retry_after
        seconds = wait if isinstance(wait, int | float) else wait.total_seconds()
        return ChannelError("rate limited", retry_after=float(seconds), code="429")
    if isinstance(exc, TimedOut):
        return ChannelError("no answer after sending", ErrorKind.AMBIGUOUS)
    if isinstance(exc, BadRequest):
        if any(reason in exc.message.lower() for reason in GONE):
            return ChannelError("chat cannot be reached", ErrorKind.UNREACHABLE, code="400")
        return ChannelError("bad request", code="400")
    if isinstance(exc, NetworkError) and "httpx." in exc.message:
        # A transport failure: before the request left (connect) it is safe to retry;
        # after, the message may have been delivered.
        if "ConnectError" in exc.message or "ConnectTimeout" in exc.message:
            return ChannelError("could not connect")
        return ChannelError("connection lost while sending", ErrorKind.AMBIGUOUS)
    return ChannelError("provider error")  # an explicit error answer: nothing was sent


@dataclass(frozen=True)
class Incoming:
    """One Telegram message, from polling or the webhook; `chat_type` as Telegram gives it
    ("private", "group", "supergroup", "channel")."""

    update_id: int
    chat_id: str
    text: str
    received_at: datetime
    chat_type: str


class TelegramChannel(ChannelDefaults):
    """Sends one message per reminder to the chat bound to the patient."""

    name: ClassVar[str] = "telegram"
    ceiling: ClassVar[str] = "personal"
    address: ClassVar[AddressKind] = AddressKind.LINKED
    title: ClassVar[str] = "Telegram"
    address_help: ClassVar[str] = "Telegram chat id, if known"
    notices: ClassVar[bool] = True
    needs: ClassVar[tuple[str, ...]] = (
        "telegram_bot_token",
        "telegram_bot_username",
        "carebot_telegram_api_url",
        "carebot_telegram_link_ttl_hours",
        "carebot_telegram_rate",
        "carebot_telegram_webhook_secret",
    )

    def __init__(
        self, settings: Settings, on_migrate: Callable[[str, str], None] | None = None
    ) -> None:
        assert settings.telegram_bot_token is not None
        self.bot = Bot(
            settings.telegram_bot_token.get_secret_value(),
            base_url=settings.carebot_telegram_api_url,
            request=HTTPXRequest(connection_pool_size=32, read_timeout=15),
        )
        self.on_migrate = on_migrate
        # Telegram allows about 30 messages a second overall and one a second per chat.
        self.limits = Limits(settings.carebot_telegram_rate, per_recipient=1)
        self.concurrency = 16
        self._ready = asyncio.Lock()
        self._initialised = False

    @classmethod
    def open(cls, context: ChannelContext) -> TelegramChannel:
        return cls(context.settings, on_migrate=context.on_migrate)

    @staticmethod
    def normalise(address: str, *, region: str) -> str:
        return numeric_id("telegram", address)

    @staticmethod
    def configured(settings: Settings) -> bool:
        return settings.telegram_bot_token is not None

    @staticmethod
    def link(settings: Settings, code: str) -> str:
        """`https://t.me/<bot>?start=<code>`: Telegram opens the bot and sends `/start <code>`."""
        return f"https://t.me/{settings.telegram_bot_username}?start={code}"

    @staticmethod
    def link_lifetime(settings: Settings) -> timedelta:
        return timedelta(hours=settings.carebot_telegram_link_ttl_hours)

    async def _bot(self) -> Bot:
        async with self._ready:
            if not self._initialised:
                try:
                    await self.bot.initialize()  # getMe: nothing is sent yet
                except TelegramError as exc:
                    mapped = map_error(exc)
                    raise ChannelError(
                        f"cannot reach Telegram: {mapped}",
                        code=mapped.code,
                    ) from None
                self._initialised = True
        return self.bot

    async def send(self, message: OutboundMessage) -> str:
        assert message.address is not None
        bot = await self._bot()
        try:
            sent = await bot.send_message(chat_id=int(message.address), text=message.body)
        except ChatMigrated as exc:  # a group became a supergroup: follow it, once
            new_chat = str(exc.new_chat_id)
            if self.on_migrate is not None:
                self.on_migrate(message.pseudonym, new_chat)
            try:
                sent = await bot.send_message(chat_id=exc.new_chat_id, text=message.body)
            except TelegramError as again:
                raise map_error(again) from None
        except TelegramError as exc:
            raise map_error(exc) from None
        return f"tg-{sent.message_id}"  # the chat id stays out of the delivery log

    async def send_text(self, address: str, text: str) -> None:
        """An immediate answer to a patient (not a reminder), within the same limits."""
        bot = await self._bot()
        await self.limits.acquire(address)
        try:
            await bot.send_message(chat_id=int(address), text=text)
        except TelegramError as exc:
            raise map_error(exc) from None

    async def fetch(self, offset: int | None) -> list[Incoming]:
        """New text messages since `offset` (long polling with no wait: one round trip)."""
        bot = await self._bot()
        try:
            updates = await bot.get_updates(offset=offset, timeout=0, allowed_updates=["message"])
        except TelegramError as exc:
            raise map_error(exc) from None
        incoming = []
        for update in updates:
            msg = update.message
            if msg is not None and msg.text is not None:
                incoming.append(
                    Incoming(
                        update.update_id,
                        str(msg.chat.id),
                        msg.text,
                        msg.date,
                        chat_type=msg.chat.type,
                    )
                )
            else:  # stickers, photos, edits: acknowledged, not stored
                incoming.append(Incoming(update.update_id, "", "", datetime.now(UTC), chat_type=""))
        return incoming

    async def lookup(self, message: OutboundMessage) -> str | None:
        raise NotImplementedError("the Bot API cannot look a sent message up")

    async def close(self) -> None:
        if self._initialised:
            await self.bot.shutdown()
            self._initialised = False
