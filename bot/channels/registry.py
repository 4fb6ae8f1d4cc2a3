"""Which channels this install can send on: console always, the others once configured."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from bot import audit, patients
from bot.channels.base import Channel
from bot.channels.console import ConsoleChannel
from bot.channels.sms import SmsChannel
from bot.channels.telegram import TelegramChannel
from bot.channels.x import XChannel
from bot.store.keyring import Store


def configured(
    store: Store, *, echo: Callable[[str, str], None] | None = None
) -> dict[str, Channel]:
    """The channels with their settings present, by name."""
    settings = store.settings
    channels: dict[str, Channel] = {"console": ConsoleChannel(store, echo)}
    if SmsChannel.configured(settings):
        channels["sms"] = SmsChannel(settings)
    if XChannel.configured(settings):
        channels["x"] = XChannel(settings)
    if TelegramChannel.configured(settings):
        channels["telegram"] = TelegramChannel(settings, on_migrate=_follow_migration(store))
    return channels


def _follow_migration(store: Store) -> Callable[[str, str], None]:
    def follow(pseudonym: str, new_chat_id: str) -> None:
        with store.session() as session:
            patients.set_contact(
                store,
                session,
                pseudonym=pseudonym,
                channel="telegram",
                address=new_chat_id,
                now=datetime.now(UTC),
            )
            audit.record(
                session, action="telegram.chat.migrated", actor="telegram", subject=pseudonym
            )

    return follow
