"""Telegram through python-telegram-bot, its base URL from `CAREBOT_TELEGRAM_API_URL`.

Bots cannot write first: a patient binds their chat with `/start CODE` from the deep link
printed at enrolment (bot/inbound/link.py binds it). Telegram offers no way to look a
message up, so a send whose outcome is unknown (a read timeout or a dropped connection after
the request left, a 5xx) becomes `unconfirmed` for an admin (or is sent once more, where the
program says `on_unconfirmed = "resend"`) instead of being sent twice blindly.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, TypeGuard

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels import webhook
from bot.channels.addresses import numeric_id
from bot.channels.base import (
    AddressKind,
    ChannelContext,
    ChannelDefaults,
    ChannelError,
    InboundMessage,
    Inbox,
    OutboundMessage,
)
from bot.channels.lazy import LazyModule
from bot.channels.ratelimit import Limits
from bot.config import Settings

if TYPE_CHECKING:
    from telegram import Bot

    from bot.channels import telegram_client as ptb
else:  # the SDK is imported by the first send, poll or webhook, not by the class (lazy.py)
    ptb = LazyModule("bot.channels.telegram_client")


class TelegramChannel(ChannelDefaults):
    """Sends one message per reminder to the chat bound to the patient."""

    name: ClassVar[str] = "telegram"
    ceiling: ClassVar[str] = "personal"
    address: ClassVar[AddressKind] = AddressKind.LINKED
    title: ClassVar[str] = "Telegram"
    participation_mode: ClassVar[tuple[str, str]] = ("ONLINEWRIT", "online written")
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
        self, settings: Settings, on_migrate: Callable[[str, str, str], None] | None = None
    ) -> None:
        assert settings.telegram_bot_token is not None
        self.bot = ptb.Bot(
            settings.telegram_bot_token.get_secret_value(),
            base_url=settings.carebot_telegram_api_url,
            request=ptb.StatusRequest(connection_pool_size=32, read_timeout=15),
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

    requires: ClassVar[str] = (
        "TELEGRAM_BOT_TOKEN and TELEGRAM_BOT_USERNAME (the bot's own @name, which the "
        "patient's link opens: there is no default bot)"
    )

    @staticmethod
    def configured(settings: Settings) -> bool:
        """The token and the bot's name: without its name no link can be given, and a
        default name could be a bot the hospital does not own."""
        return bool(settings.telegram_bot_token is not None and settings.telegram_bot_username)

    @staticmethod
    def link(settings: Settings, code: str) -> str:
        """`https://t.me/<bot>?start=<code>`: Telegram opens the bot and sends `/start <code>`."""
        if not settings.telegram_bot_username:
            raise ValueError("TELEGRAM_BOT_USERNAME is not set: no Telegram link can be made")
        return f"https://t.me/{settings.telegram_bot_username.lstrip('@')}?start={code}"

    @staticmethod
    def link_lifetime(settings: Settings) -> timedelta:
        return timedelta(hours=settings.carebot_telegram_link_ttl_hours)

    async def _bot(self) -> Bot:
        async with self._ready:
            if not self._initialised:
                try:
                    await self.bot.initialize()  # getMe: nothing is sent yet
                except ptb.TelegramError as exc:
                    mapped = ptb.map_error(exc)
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
        except ptb.ChatMigrated as exc:  # a group became a supergroup: follow it, once
            new_chat = str(exc.new_chat_id)
            if self.on_migrate is not None:
                self.on_migrate(self.name, message.pseudonym, new_chat)
            try:
                sent = await bot.send_message(chat_id=exc.new_chat_id, text=message.body)
            except ptb.TelegramError as again:
                raise ptb.map_error(again) from None
        except ptb.TelegramError as exc:
            raise ptb.map_error(exc) from None
        return f"tg-{sent.message_id}"  # the chat id stays out of the delivery log

    async def send_text(self, address: str, text: str) -> None:
        """An immediate answer to a patient (not a reminder), within the same limits."""
        bot = await self._bot()
        await self.limits.acquire(address)
        try:
            await bot.send_message(chat_id=int(address), text=text)
        except ptb.TelegramError as exc:
            raise ptb.map_error(exc) from None

    async def poll(self, inbox: Inbox) -> int:
        """Hand the inbox what Telegram holds for us; returns how many updates there were."""
        return await _poll(self, inbox)

    async def lookup(self, message: OutboundMessage) -> str | None:
        raise NotImplementedError("the Bot API cannot look a sent message up")

    async def close(self) -> None:
        if self._initialised:
            await self.bot.shutdown()
            self._initialised = False

    @classmethod
    def routes(cls, inbox: Inbox) -> list[BaseRoute]:
        return webhook_routes(cls.name, inbox)


# --- inbound: one parser for an update, whether it came by polling or by webhook ----------

log = logging.getLogger("carebot.telegram")
START = re.compile(r"^/start(?:@\w+)?\s+([A-Za-z0-9_-]{8,64})\s*$")  # a deep link's code
TEXT_LIMIT = 4096  # characters: the Bot API's limit for a message's text
MAX_ID = 2**53  # Telegram's ids fit in 52 bits (its own promise for chat ids)
MAX_DATE = 4_102_444_800  # 2100-01-01: later than any real message
SECRET_LENGTH = 16
OFFSET = "telegram.offset"  # the polling offset, kept in the store


def _is_id(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) < MAX_ID


def parse_update(update: object) -> InboundMessage | str:
    """An update (decoded JSON) as the message it carries, or the reason it is ignored, in
    carebot's own words (no personal data). Checked field by field, never trusted."""
    if not isinstance(update, dict) or not _is_id(update.get("update_id")):
        return "not an update"
    message = update.get("message")
    if not isinstance(message, dict):
        return "not a message"
    chat, text, date = message.get("chat"), message.get("text"), message.get("date")
    if (
        not isinstance(chat, dict)
        or not _is_id(chat.get("id"))
        or not isinstance(chat.get("type"), str)
    ):
        return "no chat"
    if not isinstance(text, str):
        return "not a text message"  # stickers, photos, edits: acknowledged, not stored
    if not _is_id(date) or not 0 <= date < MAX_DATE:
        return "bad date"
    text = webhook.usable_text(text, limit=TEXT_LIMIT)
    start = START.match(text.strip())
    return InboundMessage(
        channel=TelegramChannel.name,
        address=str(chat["id"]),
        text=text,
        received_at=datetime.fromtimestamp(date, UTC),
        provider_message_id=f"telegram:{update['update_id']}",
        link_code=start.group(1) if start else None,
        group=chat["type"] != "private",
    )


def decode_update(body: bytes) -> InboundMessage | str:
    """A webhook's body as `parse_update` reads it."""
    try:
        update = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return "not JSON"
    return parse_update(update)


async def _poll(channel: TelegramChannel, inbox: Inbox) -> int:
    """New updates since the kept offset (long polling with no wait: one round trip), each
    answered through `send_text`; the offset moves past them once they are handled, and a
    replay after a crash changes nothing (replies are keyed by update id)."""
    kept = await inbox.state(OFFSET)
    updates = await _get_updates(channel, int(kept) if kept else None)
    for update in updates:
        parsed = parse_update(update)
        if isinstance(parsed, str):
            await inbox.ignore(channel=channel.name, reason=parsed)
        else:
            await inbox.receive(parsed, send=channel.send_text)
    ids = [u["update_id"] for u in updates if isinstance(u, dict) and _is_id(u.get("update_id"))]
    if ids:
        await inbox.keep_state(OFFSET, str(max(ids) + 1))
    return len(updates)


async def _get_updates(channel: TelegramChannel, offset: int | None) -> list[object]:
    """getUpdates' raw JSON, so that `parse_update` is the one parser of an update (PTB's own
    would raise on one it cannot read, and the offset would never move past it)."""
    bot = await channel._bot()
    kwargs: dict[str, object] = {"timeout": 0, "allowed_updates": ["message"]}
    if offset is not None:
        kwargs["offset"] = offset
    try:
        with warnings.catch_warnings():  # "use Bot.get_updates": it would parse the updates
            warnings.simplefilter("ignore", ptb.PTBUserWarning)
            result = await bot.do_api_request("getUpdates", api_kwargs=kwargs)
    except ptb.TelegramError as exc:
        raise ptb.map_error(exc) from None
    return list(result) if isinstance(result, list) else []


def webhook_routes(channel: str, inbox: Inbox) -> list[BaseRoute]:
    """`POST /webhooks/telegram`: the secret token compared in constant time before anything
    else; an update carebot cannot use is logged, audited and answered 200 (an error status
    would only make Telegram send it again and hold back every update behind it)."""

    async def update(request: Request) -> Response:
        secret = webhook.secret(
            inbox.settings, "carebot_telegram_webhook_secret", minimum=SECRET_LENGTH
        )
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if secret is None or not hmac.compare_digest(given.encode(), secret.encode()):
            return webhook.forbidden()
        try:
            parsed = decode_update(await webhook.read_body(request))
        except webhook.BodyError as exc:
            parsed = f"body refused ({exc})"
        if isinstance(parsed, str):
            log.warning("a telegram update was ignored: %s", parsed)
            await inbox.ignore(channel=channel, reason=parsed)
            return JSONResponse({})
        outcome = await inbox.receive(parsed)
        # Answer inside the webhook response: one round trip, no extra API call.
        answer = (
            {"method": "sendMessage", "chat_id": int(parsed.address), "text": outcome.answer}
            if outcome.answer is not None
            else {}
        )
        return JSONResponse(answer, background=webhook.after(outcome))

    return [Route("/webhooks/telegram", update, methods=["POST"])]
