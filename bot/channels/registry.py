"""Which channels this install can send on: console always, the others once configured."""

from __future__ import annotations

from collections.abc import Callable

from bot.channels.base import Channel
from bot.channels.console import ConsoleChannel
from bot.channels.sms import SmsChannel
from bot.store.keyring import Store


def configured(store: Store, *, echo: Callable[[str, str], None] | None = None
               ) -> dict[str, Channel]:
    """The channels with their settings present, by name."""
    settings = store.settings
    channels: dict[str, Channel] = {"console": ConsoleChannel(store, echo)}
    if SmsChannel.configured(settings):
        channels["sms"] = SmsChannel(settings)
    return channels
