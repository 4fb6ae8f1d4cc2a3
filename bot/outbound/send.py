"""Send: one claimed reminder, checked, saved and sent once its channel has a free place.

Consent, grace and quiet hours are judged just before the send, not when the reminder was
claimed (it may have waited in its lane). The attempt row is committed before the provider
is called, and only once the send has its rate-limit slot: a crash while a send waits for
its slot leaves no attempt in flight (the reminder is simply planned again), so the window
in which an outcome can be unknown is the request itself. The answer goes to `Outcomes`, an
ambiguous failure to `Reconcile`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlmodel import Session

from bot.channels.base import Channel, ChannelError, ErrorKind
from bot.outbound.claims import Claims
from bot.outbound.delivery import Delivery, likely_address, likely_channel, prepare
from bot.outbound.lease import Lease
from bot.outbound.outcomes import Outcomes
from bot.outbound.reconcile import Reconcile
from bot.store.models import DeliveryAttempt, Reminder

log = logging.getLogger("carebot.dispatch")
# Between its rate-limit slot and its request a send saves its attempt, which takes the store
# a few milliseconds, or tens when it is busy. Sends spread evenly with a 2% margin
# (bot/channels/ratelimit.py) never bunch if each leaves the same time after its slot, give or
# take less than that margin (20 ms a second, less the event loop's own jitter): so each
# leaves DEPART after its slot, and one that the store held up past DEPART + LATE waits for a
# new slot instead. The attempt is then in flight at most DEPART + LATE before the request.
DEPART = 0.08  # seconds
LATE = 0.005  # seconds


@dataclass
class Sender:
    """The steps the lanes are handed: route a reminder, send it, or give it up."""

    lease: Lease
    channels: dict[str, Channel]
    claims: Claims
    record: Outcomes
    reconcile: Reconcile

    async def route(
        self, reminder_id: int, excluded: frozenset[str]
    ) -> tuple[str, Delivery | None] | None:
        """The channel a reminder would go by now; None when nothing is to be sent (and
        `prepare` recorded why), unless consent came back in between: then it is prepared
        here, its attempt saved, and handed on with it."""
        likely = await self.lease.in_store(self.peek, reminder_id, set(excluded))
        if likely is not None:
            return likely, None
        prepared = await self.lease.in_store(self.prepare, reminder_id, set(excluded))
        return (prepared.channel, prepared) if prepared is not None else None

    async def send(
        self, reminder_id: int, channel: str, excluded: frozenset[str], prepared: Delivery | None
    ) -> str | None:
        """Send on `channel` (or the delivery already prepared); returns the channel that
        refused it for good, to fall back from, else None."""
        if prepared is not None:
            return await self.send_delivery(prepared)
        return await self.send_on(reminder_id, channel, set(excluded))

    async def failed(self, reminder_id: int, exc: Exception) -> None:
        """An unexpected error ends that reminder (`unconfirmed` or retried), not the cycle."""
        # Logged by type only: an exception's text may carry personal data.
        log.error("reminder %s: unexpected %s", reminder_id, type(exc).__name__)
        await self.lease.in_store(self.record.unexpected, reminder_id, type(exc).__name__)

    def peek(self, reminder_id: int, excluded: set[str]) -> str | None:
        """The channel a send would use now, without checking or saving anything else."""
        with self.lease.store.session() as session:
            return likely_channel(
                self.lease.store,
                session,
                reminder_id=reminder_id,
                channels=self.channels,
                excluded=excluded,
            )

    def prepare(self, reminder_id: int, excluded: set[str]) -> Delivery | None:
        """Renew the claim, check, render and save the attempt; or record why not."""
        with self.lease.store.session() as session:
            if not self.claims.renew(session, reminder_id):
                return None
            # judged now, not at the cycle's start: a reminder may have waited in its lane
            result = prepare(
                self.lease.store,
                session,
                reminder_id=reminder_id,
                now=self.lease.clock(),
                channels=self.channels,
                excluded=excluded,
            )
            if isinstance(result, Delivery):
                return _leaving(session, result)
            if result is not None:
                reminder = session.get(Reminder, reminder_id)
                assert reminder is not None
                status, reason, retry_at = result
                if retry_at is not None:
                    self.record.retry_at(session, reminder, retry_at, reason)
                else:
                    self.record.finish(session, reminder, status, reason)
            return None

    async def send_on(self, reminder_id: int, likely: str, excluded: set[str]) -> str | None:
        """Check, save and send one claimed reminder, now that its channel has a free place.
        Returns the channel that refused it for good (to fall back from), else None."""
        earlier = await self.lease.in_store(self.reconcile.unsettled, reminder_id, likely)
        if earlier is not None and await self.reconcile.settle(earlier):
            return None
        # The slot first, the attempt after: nothing is in flight while the send waits.
        limits = self.channels[likely].limits
        address = granted = None
        if limits is not None:
            address = await self.lease.in_store(self.address_of, reminder_id, likely)
            await limits.acquire(address)
            granted = time.monotonic()
        delivery = await self.lease.in_store(self.prepare, reminder_id, excluded)
        if delivery is None:
            return None
        paced = None  # no slot waited for, or one for another channel or address
        if granted is not None and (delivery.channel, delivery.message.address) == (
            likely,
            address,
        ):
            late = time.monotonic() - granted - DEPART
            if late < 0:
                await asyncio.sleep(-late)
            paced = late <= LATE
        return await self.send_delivery(delivery, paced=paced)

    def address_of(self, reminder_id: int, channel: str) -> str | None:
        """The address a send on `channel` would go to, to wait for its slot."""
        with self.lease.store.session() as session:
            return likely_address(
                self.lease.store, session, reminder_id=reminder_id, channel=channel
            )

    async def send_delivery(self, delivery: Delivery, *, paced: bool | None = None) -> str | None:
        """Send and record a prepared delivery: `paced` True when it has its slot, False when
        the slot went by while its attempt was saved (it waits for the next overall one),
        None when it has none yet (consent that changed in between, a delivery prepared
        while routing: it waits here with its attempt saved). Returns the channel that
        refused it for good, else None."""
        channel = self.channels[delivery.channel]
        limits = channel.limits
        if limits is not None and paced is None:
            await limits.acquire(delivery.message.address)
        elif limits is not None and paced is False and limits.overall is not None:
            await limits.overall.acquire()  # its slot went by while the attempt was saved
        try:
            provider_id = await channel.send(delivery.message)
        except ChannelError as failure:
            if failure.kind is ErrorKind.AMBIGUOUS:
                await self.reconcile.ambiguous(delivery, failure)
                return None
            permanent = await self.lease.in_store(self.record.failed, delivery, failure)
            return delivery.channel if permanent else None
        await self.lease.in_store(self.record.sent, delivery, provider_id)
        return None


def _leaving(session: Session, delivery: Delivery) -> Delivery:
    """Stamp the attempt with the real time its request leaves (committed with it): the
    provider's clock is the real one, whatever `tick --at` makes carebot's."""
    wall = datetime.now(UTC)
    attempt = session.get(DeliveryAttempt, delivery.attempt_id)
    assert attempt is not None
    attempt.sent_wall_at = wall
    session.add(attempt)
    return replace(delivery, message=replace(delivery.message, sent_wall_at=wall))
