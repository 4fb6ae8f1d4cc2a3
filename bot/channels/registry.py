"""The channel registry: one line per channel, the class that implements it.

A channel's module (and its provider's SDK) is imported only when that channel is first asked
for, so a command that needs no channel pays for none. Everything carebot knows of a channel
(its ceiling, how its address is given and checked, its settings, its client) comes from its
class (`base.ChannelKind`); nothing outside `bot/channels/` names a channel.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache
from typing import cast

from bot.channels.addresses import AddressError
from bot.channels.base import AddressKind, Channel, ChannelContext, ChannelKind
from bot.store.store import Store

TABLE: dict[str, str] = {
    "console": "bot.channels.console:ConsoleChannel",
    "sms": "bot.channels.sms:SmsChannel",
    "telegram": "bot.channels.telegram:TelegramChannel",
    "voice": "bot.channels.voice:VoiceChannel",
    "whatsapp": "bot.channels.whatsapp:WhatsAppChannel",
    "x": "bot.channels.x:XChannel",
}

NAMES = tuple(TABLE)
"""Every channel carebot can send on: console always, the others once configured."""


@cache
def kind(name: str) -> type[ChannelKind]:
    """The class of a channel; KeyError for a name not in the table."""
    module, _, attribute = TABLE[name].partition(":")
    return cast("type[ChannelKind]", getattr(importlib.import_module(module), attribute))


def known(name: str) -> bool:
    return name in TABLE


def ceiling(name: str) -> str:
    """The most sensitive template a channel may carry."""
    return kind(name).ceiling


def typed_address(name: str) -> bool:
    """Whether the nurse gives this channel's address at enrolment."""
    return kind(name).address is AddressKind.TYPED


def linked(name: str) -> bool:
    """Whether the patient binds this channel's address by a deep link issued at enrolment."""
    return kind(name).address is AddressKind.LINKED


def takes_address(name: str) -> bool:
    """Whether a patient has an address on this channel (typed, or linked and then known)."""
    return kind(name).address is not AddressKind.NONE


def local() -> str:
    """The channel that needs no provider and no address (the console): the one whose
    replies `carebot reply` simulates. Only the channels listed before it are imported."""
    return next(name for name in NAMES if kind(name).address is AddressKind.NONE)


def normalise(name: str, address: str, *, region: str = "BE") -> str:
    """The canonical form of an address on a channel; AddressError if it cannot be used."""
    if not known(name):
        raise AddressError(f"unknown channel; known: {', '.join(NAMES)}")
    return kind(name).normalise(address, region=region)


def configured(
    store: Store,
    *,
    echo: Callable[[str, str], None] | None = None,
    on_migrate: Callable[[str, str, str], None] | None = None,
) -> dict[str, Channel]:
    """A client for each channel whose settings are present, by name. `on_migrate(channel,
    pseudonym, address)` is called when a provider moves a patient to a new address."""
    context = ChannelContext(store=store, echo=echo, on_migrate=on_migrate)
    return {
        name: kind(name).open(context) for name in NAMES if kind(name).configured(store.settings)
    }
