"""The console channel: no provider, no address. What it 'sends' is kept in its own log
(`console_message`, encrypted like every message body) and, when asked, printed.

It behaves like a real provider in one way that matters: its log is written in its own
transaction, so after a crash between the send and carebot's own commit, `lookup` finds
the message and the reminder is reconciled as sent instead of being sent again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import ClassVar

from sqlmodel import select

from bot.channels.addresses import no_address
from bot.channels.base import AddressKind, ChannelContext, ChannelDefaults, OutboundMessage
from bot.channels.ratelimit import Limits
from bot.config import Settings
from bot.store.models import ConsoleMessage
from bot.store.store import Store


class ConsoleChannel(ChannelDefaults):
    """Delivers to the local log (and to `echo`, e.g. the terminal running `carebot tick`)."""

    name: ClassVar[str] = "console"
    ceiling: ClassVar[str] = "health"
    address: ClassVar[AddressKind] = AddressKind.NONE
    title: ClassVar[str] = "console"
    notices: ClassVar[bool] = True  # printed at the terminal that runs carebot

    def __init__(self, store: Store, echo: Callable[[str, str], None] | None = None) -> None:
        self.store = store
        self.echo = echo
        self.limits: Limits | None = None
        self.concurrency = 4  # each send is a store transaction

    @staticmethod
    def configured(settings: Settings) -> bool:
        return True

    @staticmethod
    def normalise(address: str, *, region: str) -> str:
        return no_address("console", address)

    @classmethod
    def open(cls, context: ChannelContext) -> ConsoleChannel:
        return cls(context.store, context.echo)

    async def send(self, message: OutboundMessage) -> str:
        with self.store.session() as session:
            row = ConsoleMessage(
                attempt_id=message.attempt_id,
                pseudonym=message.pseudonym,
                body_enc=b"",
                sent_at=datetime.now(UTC),
            )
            session.add(row)
            session.flush()
            row.body_enc = self.store.encrypt(
                session,
                message.pseudonym,
                message.body,
                table="console_message",
                column="body",
                row=row.id or 0,
            )
            provider_id = f"console-{row.id}"
        if self.echo is not None:
            self.echo(message.pseudonym, message.body)
        return provider_id

    async def send_text(self, address: str, text: str) -> None:
        """An immediate notice (e.g. to the on-call nurse at this terminal)."""
        if self.echo is not None:
            self.echo("on-call", text)

    async def lookup(self, message: OutboundMessage) -> str | None:
        with self.store.session() as session:
            row = session.exec(
                select(ConsoleMessage).where(ConsoleMessage.attempt_id == message.attempt_id)
            ).first()
            return f"console-{row.id}" if row is not None else None

    async def close(self) -> None:
        """Nothing to release: the store outlives the channel."""
