"""Telling people at once what cannot wait: the patient's immediate answer on the channel they
wrote on, and the on-call nurse's notice of an urgent reply, which carries the pseudonym
and nothing else: never the text."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.channels.base import ChannelError
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


async def send_notice(
    store: Store,
    notice: Notice,
    *,
    subject: str | None,
    echo: Callable[[str, str], None] | None = None,
) -> bool:
    """Send a notice on its channel; the outcome is audited, a failure logged, never raised."""
    from bot.channels.registry import configured  # the channels import the inbound side

    ok = False
    channel = None
    try:
        channel = configured(store, echo=echo).get(notice.channel)
        if channel is not None:
            await channel.send_text(_address(store, notice), notice.text)
            ok = True
    except ChannelError as exc:
        log.warning("on-call notice on %s failed: %s", notice.channel, exc)
    except Exception as exc:  # noqa: BLE001  a notice must never take the answer down with it
        log.warning("on-call notice on %s failed: %s", notice.channel, type(exc).__name__)
    finally:
        if channel is not None:
            with contextlib.suppress(Exception):
                await channel.close()
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


async def respond(
    store: Store,
    channel: str,
    send_text: Callable[[str, str], Awaitable[None]],
    address: str,
    answer: str | None,
    notice: Notice | None,
    *,
    subject: str | None,
) -> None:
    """After a polled message: answer the patient on their channel (best effort, logged
    without the address), then alert the on-call nurse if the reply was urgent."""
    if answer is not None and not await _answer(send_text, address, answer, channel):
        with store.session() as session:  # the audit already holds `reply.answer`
            audit.record(
                session,
                action="reply.answer-failed",
                actor="carebot",
                subject=subject,
                channel=channel,
            )
    if notice is not None:
        await send_notice(store, notice, subject=subject)


async def _answer(
    send_text: Callable[[str, str], Awaitable[None]], address: str, text: str, channel: str
) -> bool:
    """Send an immediate answer; a short rate-limit wait is sat out once, not given up on."""
    for attempt in (1, 2):
        try:
            await send_text(address, text)
            return True
        except ChannelError as exc:
            wait = exc.retry_after
            if attempt == 1 and wait is not None and wait <= MAX_ANSWER_WAIT:
                await asyncio.sleep(wait)
                continue
            log.warning("an immediate answer on %s could not be sent: %s", channel, exc)
    return False
