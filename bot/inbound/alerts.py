"""Telling people at once what cannot wait: the patient's immediate answer on the channel they
wrote on, and the on-call nurse's notice of an urgent reply, which carries the pseudonym
and nothing else: never the text."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.channels import registry
from bot.channels.base import Channel, ChannelContext, ChannelError, Sender
from bot.programs.model import Program
from bot.store import audit, on_call
from bot.store.store import Store

log = logging.getLogger("carebot.alerts")
MAX_ANSWER_WAIT = 10.0  # seconds: longer, and the nurses' queue (urgent first) takes over


@dataclass(frozen=True)
class Notice:
    channel: str
    address: str  # as the program stores it: encrypted (see on_call), opened when sent
    text: str
    program: str | None = None


def on_call_notice(program: Program | None, pseudonym: str | None) -> Notice | None:
    """The on-call notice for an urgent reply, if the program names an on-call address."""
    if program is None or program.on_call is None:
        return None
    channel, address = program.on_call
    who = pseudonym or "an unknown sender"
    return Notice(
        channel,
        address,
        f"carebot: urgent reply waiting from {who}. Open it with `carebot replies --urgent`.",
        program.name,
    )


def _address(store: Store, notice: Notice) -> str:
    """The notice's address in clear: decrypted here, just before it is sent, and no sooner."""
    if notice.program is None or not notice.address.startswith(on_call.SEALED):
        return notice.address
    with store.session() as session:
        return on_call.unseal(store, session, notice.program, notice.address)


class ChannelSource(Protocol):
    """Where a notice finds its channel, open: the cycle's channels (a dict), or the webhook
    server's `OnDemand`."""

    def get(self, name: str, /) -> Channel | None: ...


def open_channel(
    store: Store, name: str, *, echo: Callable[[str, str], None] | None = None
) -> Channel | None:
    """A client for one channel, if it is known and configured; `close` it when done."""
    if not registry.known(name) or not registry.kind(name).configured(store.settings):
        return None
    return registry.kind(name).open(ChannelContext(store=store, echo=echo))


class OnDemand:
    """Channels opened when a notice first needs one and kept for the next, for the webhook
    server, which has no cycle whose channels it could use; `close` them once, at shutdown."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._open: dict[str, Channel | None] = {}

    def get(self, name: str, /) -> Channel | None:
        if name not in self._open:
            self._open[name] = open_channel(self.store, name)
        return self._open[name]

    async def close(self) -> None:
        for channel in self._open.values():
            if channel is not None:
                with contextlib.suppress(Exception):
                    await channel.close()
        self._open.clear()


async def send_notice(
    store: Store,
    notice: Notice,
    *,
    subject: str | None,
    channels: ChannelSource | None = None,
    echo: Callable[[str, str], None] | None = None,
) -> bool:
    """Send a notice on its channel, taken from `channels` (open already) or, when none are
    handed in (`carebot reply`), opened for this notice alone. The outcome is audited, a
    failure logged, never raised."""
    ok = False
    opened = None
    try:
        if channels is None:
            channel = opened = open_channel(store, notice.channel, echo=echo)
        else:
            channel = channels.get(notice.channel)
        if channel is not None:
            await channel.send_text(_address(store, notice), notice.text)
            ok = True
        else:
            log.warning("on-call notice on %s: the channel is not configured", notice.channel)
    except ChannelError as exc:
        log.warning("on-call notice on %s failed: %s", notice.channel, exc)
    except Exception as exc:  # noqa: BLE001  a notice must never take the answer down with it
        log.warning("on-call notice on %s failed: %s", notice.channel, type(exc).__name__)
    finally:
        if opened is not None:
            with contextlib.suppress(Exception):
                await opened.close()
    with store.session() as session:
        audit.record(
            session,
            action="alert.on-call",
            actor="carebot",
            subject=subject,
            channel=notice.channel,
            delivered=ok,
        )
    return ok


async def answer_at_once(send: Sender, address: str, text: str, *, channel: str) -> bool:
    """Send an immediate answer; a short rate-limit wait is sat out once, not given up on."""
    for attempt in (1, 2):
        try:
            await send(address, text)
            return True
        except ChannelError as exc:
            wait = exc.retry_after
            if attempt == 1 and wait is not None and wait <= MAX_ANSWER_WAIT:
                await asyncio.sleep(wait)
                continue
            log.warning("an immediate answer on %s could not be sent: %s", channel, exc)
    return False
