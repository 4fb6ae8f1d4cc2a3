"""Which channels this install can send on: console always, the others once configured."""

from __future__ import annotations

from collections.abc import Callable

from bot.channels.base import Channel
from bot.channels.console import ConsoleChannel
from bot.store.keyring import Store


def configured(store: Store, *, echo: Callable[[str, str], None] | None = None
               ) -> dict[str, Channel]:
    """The channels with their settings present, by name."""
    channels: dict[str, Channel] = {"console": ConsoleChannel(store, echo)}
    return channels
