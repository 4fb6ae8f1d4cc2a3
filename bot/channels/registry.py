"""Which channels this install can send on: console always, the others once configured."""

from __future__ import annotations

from collections.abc import Callable

from bot.channels.base import Channel
from bot.channels.console import ConsoleChannel
from bot.channels.sms import SmsChannel
from bot.channels.telegram import TelegramChannel
from bot.channels.x import XChannel
from bot.store.store import Store


def configured(
    store: Store,
    *,
    echo: Callable[[str, str], None] | None = None,
    on_migrate: Callable[[str, str], None] | None = None,
) -> dict[str, Channel]:
    """The channels with their settings present, by name. `on_migrate(pseudonym, address)`
    is called when a provider moves a patient to a new address (a Telegram chat migrated)."""
    settings = store.settings
    channels: dict[str, Channel] = {"console": ConsoleChannel(store, echo)}
    if SmsChannel.configured(settings):
        channels["sms"] = SmsChannel(settings)
    if XChannel.configured(settings):
        channels["x"] = XChannel(settings)
    if TelegramChannel.configured(settings):
        channels["telegram"] = TelegramChannel(settings, on_migrate=on_migrate)
    return channels
