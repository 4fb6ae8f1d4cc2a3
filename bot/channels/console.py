"""The console channel: no provider, no address. What it 'sends' is kept in its own log
(`console_message`, encrypted like every message body) and, when asked, printed.

It behaves like a real provider in one way that matters: its log is written in its own
transaction, so after a crash between the send and carebot's own commit, `lookup` finds
the message and the reminder is reconciled as sent instead of being sent again. The sends
asked for while it writes are written together, in the next transaction, off the event
loop (a provider answering many requests at once).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import ClassVar

from sqlalchemy import bindparam, insert, update
from sqlmodel import select

from bot.channels.addresses import no_address
from bot.channels.base import AddressKind, ChannelContext, ChannelDefaults, OutboundMessage
from bot.channels.ratelimit import Limits
from bot.config import Settings
from bot.store.faults import StoreFault
from bot.store.models import ConsoleMessage
from bot.store.store import Store

_LOG = ConsoleMessage.__table__  # type: ignore[attr-defined]


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
        self.concurrency = 128  # the sends of a lane are written together: many at once
        self._asked: list[tuple[OutboundMessage, asyncio.Future[str]]] = []
        self._writing: asyncio.Task[None] | None = None  # held: the loop keeps tasks weakly
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="console")

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
        answer: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._asked.append((message, answer))
        if self._writing is None:
            self._writing = asyncio.get_running_loop().create_task(self._write_all())
        return await answer

    async def _write_all(self) -> None:
        """Write what was asked for, a group at a time, until nothing is left."""
        loop = asyncio.get_running_loop()
        try:
            while self._asked:
                await asyncio.sleep(0)  # the sends asked for in the same moment join in
                group, self._asked = self._asked, []
                await self._write_group(loop, group)
        finally:
            self._writing = None

    async def _write_group(
        self,
        loop: asyncio.AbstractEventLoop,
        group: list[tuple[OutboundMessage, asyncio.Future[str]]],
    ) -> None:
        """Write a group and answer each send; a group that fails is written again one
        message at a time, so that one bad message fails only its own send."""
        try:
            ids = await loop.run_in_executor(self._thread, self._write, [m for m, _ in group])
        except Exception as exc:  # noqa: BLE001  each send's caller is told
            if len(group) > 1 and not isinstance(exc, StoreFault):
                for one in group:
                    await self._write_group(loop, [one])
                return
            for _, answer in group:
                answer.set_exception(exc)
            return
        for (message, answer), provider_id in zip(group, ids, strict=True):
            if self.echo is not None:
                self.echo(message.pseudonym, message.body)
            answer.set_result(provider_id)

    def _write(self, messages: list[OutboundMessage]) -> list[str]:
        """One transaction for the group: its rows, then their bodies (which name them)."""
        with self.store.session() as session:
            now = datetime.now(UTC)
            # one statement for them all; matched by attempt (unique), not by order
            rows = session.execute(
                insert(_LOG).returning(_LOG.c.id, _LOG.c.attempt_id),
                [
                    {
                        "attempt_id": m.attempt_id,
                        "pseudonym": m.pseudonym,
                        "body_enc": b"",
                        "sent_at": now,
                    }
                    for m in messages
                ],
            )
            by_attempt = {attempt_id: row for row, attempt_id in rows}
            ids = [by_attempt[m.attempt_id] for m in messages]
            session.execute(
                update(_LOG).where(_LOG.c.id == bindparam("row")),
                [
                    {
                        "row": row,
                        "body_enc": self.store.encrypt(
                            session,
                            m.pseudonym,
                            m.body,
                            table="console_message",
                            column="body",
                            row=row,
                        ),
                    }
                    for row, m in zip(ids, messages, strict=True)
                ],
            )
        return [f"console-{row}" for row in ids]

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
        """The writer thread let go (made again if the channel is used again); the store
        outlives the channel."""
        self._thread.shutdown(wait=True)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="console")
