"""Send: one claimed reminder, checked, saved and sent once its channel has a free place.

Consent, grace and quiet hours are judged just before the send, not when the reminder was
claimed (it may have waited in its lane). The attempt row is committed before the provider
is called, and only shortly before the send's rate-limit slot: the slot is booked first,
and the attempt saved when it is near (with the sends whose slots are near too), so a crash
while a send waits for its slot leaves no attempt in flight (the reminder is simply planned
again), and the window in which an outcome can be unknown is the request and the fraction of
a second before it. The answer goes to `Outcomes`, an ambiguous failure to `Reconcile`.

Store work is grouped: a claim is routed in its own transaction, the sends of a lane whose
places came free together are checked and saved in one transaction, and the answers that
came back together are recorded in one (see `Grouped`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from bot.channels.base import Channel, ChannelError, ErrorKind
from bot.outbound import batch
from bot.outbound.batch import Wanted
from bot.outbound.claims import Claims
from bot.outbound.delivery import Delivery, Withheld, likely_address, likely_channel
from bot.outbound.lease import Grouped, Lease
from bot.outbound.outcomes import Outcomes
from bot.outbound.reconcile import Reconcile, rebuilt
from bot.store.models import DeliveryAttempt, Reminder
from bot.store.statuses import AttemptOutcome

log = logging.getLogger("carebot.dispatch")
# Before its request a send saves its attempt, which takes the store a few milliseconds, or
# tens (hundreds, rarely) when it is busy or the machine loaded. Sends spread evenly with a 5%
# margin (bot/channels/ratelimit.py) never bunch if each leaves the same time after its slot,
# give or take much less than that margin: so each leaves DEPART after its slot, and one that
# the store or the event loop held up past DEPART + LATE (judged as it would leave) takes a new
# slot instead. A paced send books its slot ahead and starts saving AHEAD before it, at a
# multiple of GROUP (the sends whose slots fall in the same GROUP are saved in one
# transaction): the store has AHEAD + DEPART at least to save it, and an attempt saved in time
# is in flight at most AHEAD + GROUP + DEPART + LATE before its request (0.285 s).
DEPART = 0.08  # seconds
LATE = 0.005  # seconds
AHEAD = 0.1  # seconds
GROUP = 0.1  # seconds


@dataclass(frozen=True)
class Earlier:
    """A claimed reminder whose last attempt its provider did not have when looked up just
    after an ambiguous failure: looked up once more before anything is sent again."""

    delivery: Delivery


Prepared = Delivery | Earlier | None


@dataclass
class Sender:
    """The steps the lanes are handed: claim and route reminders, send them, give them up."""

    lease: Lease
    channels: dict[str, Channel]
    claims: Claims
    record: Outcomes
    reconcile: Reconcile
    # claimed and routed, not sent yet: reminder id -> (channel, address)
    routes: dict[int, tuple[str, str | None]] = field(default_factory=dict)
    preparing: Grouped[Wanted, Prepared] = field(init=False)
    recording: Grouped[tuple[Delivery, str], None] = field(init=False)

    def __post_init__(self) -> None:
        self.preparing = Grouped(self.lease, self.prepare_group)
        self.recording = Grouped(self.lease, self.record.sent_group)

    def claim(self, size: int | None = None) -> list[int]:
        """Claim the next batch (of `size`, else the claims' own) and route it, in one
        transaction."""
        return self.claims.claim(self._route_claimed, size=size)

    def _route_claimed(self, session: Session, ids: list[int]) -> None:
        reminders = batch.claimed(session, ids, lock=False)
        known = batch.read(session, list(reminders.values()), self.lease.store)
        for rid in ids:
            likely = likely_channel(
                self.lease.store,
                session,
                reminder_id=rid,
                channels=self.channels,
                excluded=set(),
                known=known,
            )
            if likely is not None:
                self.routes[rid] = likely

    async def route(
        self, reminder_id: int, excluded: frozenset[str]
    ) -> tuple[str, Delivery | None] | None:
        """The channel a reminder would go by now; None when nothing is to be sent (and
        `prepare` recorded why), unless consent came back in between: then it is prepared
        here, its attempt saved, and handed on with it."""
        routed = self.routes.get(reminder_id)
        if routed is not None and not excluded:
            return routed[0], None
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
        self.routes.pop(reminder_id, None)
        await self.lease.in_store(self.record.unexpected, reminder_id, type(exc).__name__)

    def peek(self, reminder_id: int, excluded: set[str]) -> str | None:
        """The channel a send would use now, without checking or saving anything else."""
        with self.lease.store.session() as session:
            likely = likely_channel(
                self.lease.store,
                session,
                reminder_id=reminder_id,
                channels=self.channels,
                excluded=excluded,
            )
            return likely[0] if likely is not None else None

    def prepare(self, reminder_id: int, excluded: set[str]) -> Delivery | None:
        """Renew the claim, check, render and save the attempt; or record why not."""
        prepared = self.prepare_group([Wanted(reminder_id, frozenset(excluded))])[0]
        return prepared if isinstance(prepared, Delivery) else None

    def prepare_group(self, wanted: list[Wanted]) -> list[Prepared]:
        """`prepare` for a group of claimed reminders, in one transaction; a reminder with
        an earlier send to look up again first is answered with it (`Earlier`)."""
        with self.lease.store.session() as session:
            ids = [w.reminder_id for w in wanted]
            reminders = batch.claimed(session, ids, lock=True)
            ours = {rid: r for rid, r in reminders.items() if batch.still_ours(r, self.lease.token)}
            if not ours:
                return [None] * len(wanted)
            self.claims.renew(session)
            earlier = self._unsettled(session, [rid for rid, r in ours.items() if r.attempts])
            now = self.lease.clock()  # judged now: a reminder may have waited in its lane
            results = batch.prepare(
                self.lease.store,
                session,
                wanted=wanted,
                reminders={rid: r for rid, r in ours.items() if rid not in earlier},
                now=now,
                channels=self.channels,
            )
            answers: list[Prepared] = []
            for w, result in zip(wanted, results, strict=True):
                if w.reminder_id in earlier:
                    answers.append(Earlier(earlier[w.reminder_id]))
                elif result is None or isinstance(result, Delivery):
                    answers.append(result)
                else:
                    self._withheld(session, ours[w.reminder_id], result)
                    answers.append(None)
            return answers

    def _withheld(self, session: Session, reminder: Reminder, result: Withheld) -> None:
        status, reason, retry_at = result
        if retry_at is not None:
            self.record.retry_at(session, reminder, retry_at, reason)
        else:
            self.record.finish(session, reminder, status, reason)

    def _unsettled(self, session: Session, ids: list[int]) -> dict[int, Delivery]:
        """The reminders' last attempts that their provider did not have when looked up just
        after an ambiguous failure (on any channel); `ids`: those with an attempt at all."""
        if not ids:
            return {}
        attempts = session.exec(
            select(DeliveryAttempt).where(
                col(DeliveryAttempt.reminder_id).in_(ids),
                DeliveryAttempt.outcome == AttemptOutcome.NOT_FOUND,
            )
        ).all()
        return {a.reminder_id: rebuilt(self.lease.store, session, a) for a in attempts}

    async def send_on(self, reminder_id: int, likely: str, excluded: set[str]) -> str | None:
        """Check, save and send one claimed reminder, now that its channel has a free place.
        Returns the channel that refused it for good (to fall back from), else None."""
        routed = self.routes.pop(reminder_id, None)
        # The slot booked first, the attempt saved when it is near: nothing is in flight
        # while the send waits its turn.
        limits = self.channels[likely].limits
        address = slot = None
        if limits is not None:
            if routed is not None and routed[0] == likely and not excluded:
                address = routed[1]
            else:
                address = await self.lease.in_store(self.address_of, reminder_id, likely)
            slot = await limits.reserve(address)
            await _until(math.floor((slot - AHEAD) / GROUP) * GROUP)
        prepared = await self.preparing(Wanted(reminder_id, frozenset(excluded)))
        if isinstance(prepared, Earlier):
            if await self.reconcile.settle(prepared.delivery):
                return None
            slot = None  # the slot went by during the look-up: the send takes a new one
            prepared = await self.preparing(Wanted(reminder_id, frozenset(excluded)))
        if not isinstance(prepared, Delivery):
            return None
        delivery, paced = prepared, None  # no slot, or one for another channel or address
        if slot is not None and (delivery.channel, delivery.message.address) == (
            likely,
            address,
        ):
            paced = await _leave_at(slot + DEPART)
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
        if limits is not None and paced is not True:
            slot = await limits.reserve(delivery.message.address) if paced is None else None
            # a slot that went by (the attempt saved too late, the loop held up): a new one
            while slot is None or not await _leave_at(slot + DEPART):
                if limits.overall is None:
                    break
                slot = await limits.overall.reserve()
        try:
            provider_id = await channel.send(delivery.message)
        except ChannelError as failure:
            if failure.kind is ErrorKind.AMBIGUOUS:
                await self.reconcile.ambiguous(delivery, failure)
                return None
            permanent = await self.lease.in_store(self.record.failed, delivery, failure)
            return delivery.channel if permanent else None
        await self.recording((delivery, provider_id))
        return None


async def _leave_at(moment: float) -> bool:
    """Wait until `moment`; whether the send may leave now, no later than LATE after it (a
    sleep that ended late, the event loop held up, and it takes a new slot instead)."""
    await _until(moment)
    return time.monotonic() - moment <= LATE


async def _until(moment: float) -> None:
    """Sleep until `moment` on the monotonic clock (the pacers' own), if it is ahead."""
    wait = moment - time.monotonic()
    if wait > 0:
        await asyncio.sleep(wait)
