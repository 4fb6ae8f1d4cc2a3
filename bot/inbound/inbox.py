"""What every channel hands its inbound messages and status updates to (`base.Inbox`).

A channel parses its provider's requests (webhooks) or answers (polling) into carebot's own
`InboundMessage` and `StatusUpdate`; from there on nothing depends on the channel: the
message is stored and triaged (bot/inbound/receive.py), or binds its address when it carries
a deep link's code on a LINKED channel (bot/inbound/link.py); the answer goes back at once,
and the on-call nurse's notice of an urgent reply follows it on a channel already open.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TypeVar

import anyio
import anyio.to_thread
from sqlmodel import select

from bot.channels import registry
from bot.channels.base import AddressKind, InboundMessage, Outcome, Sender, StatusUpdate
from bot.config import Settings
from bot.inbound import status
from bot.inbound.alerts import ChannelSource, Notice, answer_at_once, send_notice
from bot.inbound.link import take_link
from bot.inbound.receive import receive
from bot.store import audit
from bot.store.models import ChannelState
from bot.store.store import Store

T = TypeVar("T")


@dataclass(frozen=True)
class _Taken:
    """What the store work on one message decided."""

    answer: str | None
    pseudonym: str | None
    notice: Notice | None = None
    keyword: str | None = None
    urgent: bool = False
    duplicate: bool = False


def _take(store: Store, message: InboundMessage) -> _Taken:
    code = message.link_code
    if code is not None and registry.kind(message.channel).address is AddressKind.LINKED:
        linked = take_link(store, message, code)
        return _Taken(linked.answer, linked.pseudonym)
    result = receive(
        store,
        channel=message.channel,
        text=message.text,
        address=message.address,
        received_at=message.received_at,
        provider_message_id=message.provider_message_id,
        flags=message.flags,
    )
    return _Taken(
        result.answer,
        result.pseudonym,
        result.notice,
        result.keyword,
        "urgent" in result.flags,
        result.duplicate,
    )


def _answer_failed(store: Store, *, channel: str, subject: str | None) -> None:
    with store.session() as session:  # the audit already holds `reply.answer`
        audit.record(
            session, action="reply.answer-failed", actor="carebot", subject=subject, channel=channel
        )


def _ignored(store: Store, *, channel: str, reason: str) -> None:
    with store.session() as session:
        audit.record(session, action=f"{channel}.ignored", actor=channel, reason=reason)


def _state(store: Store, name: str) -> str | None:
    with store.session() as session:
        state = session.get(ChannelState, name)
        return state.value if state else None


def _keep_state(store: Store, name: str, value: str) -> None:
    with store.session() as session:
        state = session.exec(select(ChannelState).where(ChannelState.name == name)).first()
        state = state or ChannelState(name=name, value=value)
        state.value = value
        session.add(state)


class StoreInbox:
    """`base.Inbox` over the store. Store work runs on a worker thread, at most `limiter`'s
    count at once (SQLite takes one writer at a time: more threads would only queue on its
    lock), so that an event loop never waits for the store."""

    def __init__(
        self,
        store: Store,
        *,
        channels: ChannelSource,
        limiter: anyio.CapacityLimiter | None = None,
    ) -> None:
        self.store = store
        self.channels = channels
        self.limiter = limiter

    @property
    def settings(self) -> Settings:
        return self.store.settings

    async def _in_store(self, work: partial[T]) -> T:
        return await anyio.to_thread.run_sync(work, limiter=self.limiter)

    async def receive(self, message: InboundMessage, *, send: Sender | None = None) -> Outcome:
        taken = await self._in_store(partial(_take, self.store, message))
        after = self._notify(taken.notice, taken.pseudonym)
        if send is not None:  # polled: no response carries the answer, so it is sent here
            if taken.answer is not None and not await answer_at_once(
                send, message.address, taken.answer, channel=message.channel
            ):
                await self._in_store(
                    partial(
                        _answer_failed, self.store, channel=message.channel, subject=taken.pseudonym
                    )
                )
            if after is not None:
                await after()
            after = None
        return Outcome(
            answer=taken.answer,
            keyword=taken.keyword,
            urgent=taken.urgent,
            duplicate=taken.duplicate,
            after=after,
        )

    def _notify(
        self, notice: Notice | None, pseudonym: str | None
    ) -> Callable[[], Awaitable[object]] | None:
        """The on-call notice, sent after the patient's answer has gone back: a slow or
        failing notice channel must never hold up or lose the "call 112" answer."""
        if notice is None:
            return None
        return partial(send_notice, self.store, notice, subject=pseudonym, channels=self.channels)

    async def status(self, update: StatusUpdate) -> bool:
        return await self._in_store(
            partial(status.apply, self.store, update, now=datetime.now(UTC))
        )

    async def ignore(self, *, channel: str, reason: str) -> None:
        await self._in_store(partial(_ignored, self.store, channel=channel, reason=reason))

    async def state(self, name: str) -> str | None:
        return await self._in_store(partial(_state, self.store, name))

    async def keep_state(self, name: str, value: str) -> None:
        await self._in_store(partial(_keep_state, self.store, name, value))
