"""Dispatch: claim due reminders, check consent at the moment of sending, render, send, record.

Each attempt is a row saved before the provider is called, and completed after it. A
reminder whose outcome is unknown (a crash mid-send, a timeout after the request left) is
looked up at its provider and otherwise marked `unconfirmed`: never blindly sent again.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlmodel import Session, col, or_, select, update

from bot.channels.base import Channel, ChannelError, ErrorKind
from bot.outbound.delivery import Delivery, likely_channel, prepare
from bot.programs import catalog
from bot.store import audit
from bot.store.models import DeliveryAttempt, Reminder
from bot.store.store import Store

CLAIM_BATCH = 500
CALLBACK_STATUSES = ("delivered", "read", "failed")  # set by a provider's status callback
log = logging.getLogger("carebot.dispatch")
T = TypeVar("T")
MAX_BACKOFF = timedelta(minutes=30)


def backoff(attempts: int, retry_after: float | None) -> timedelta:
    """Exponential backoff with full jitter; a provider's own retry_after is a floor."""
    ceiling = min(30.0 * 2 ** max(attempts - 1, 0), MAX_BACKOFF.total_seconds())
    delay = random.uniform(ceiling / 2, ceiling)
    return timedelta(seconds=max(delay, retry_after or 0.0))


@dataclass
class Dispatcher:
    """One dispatch cycle at `now` over the configured channels."""

    store: Store
    channels: dict[str, Channel]
    now: datetime
    concurrency: dict[str, int] = field(default_factory=dict)
    outcomes: Counter[str] = field(default_factory=Counter)
    token: str = field(default_factory=lambda: uuid.uuid4().hex)  # this cycle's claims
    _started: float = field(default_factory=time.monotonic)
    _store_thread: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="store")
    )

    def clock(self) -> datetime:
        """The cycle's `now`, moved on by the time the cycle has taken so far (a long cycle
        renews its claims with the real time, so another cycle does not think them stale)."""
        return self.now + timedelta(seconds=time.monotonic() - self._started)

    def run(self) -> Counter[str]:
        """Reconcile, expire, claim and send; returns the count of each final status."""
        asyncio.run(self.run_async())
        return self.outcomes

    async def run_async(self) -> None:
        await self.reconcile_stale()
        self.expire_late()
        places = {
            name: max(self.concurrency.get(name, channel.concurrency), 1)
            for name, channel in self.channels.items()
        }
        try:
            await self._deliver_all(places)
        finally:
            for channel in self.channels.values():
                await channel.close()
            self._store_thread.shutdown(wait=True)

    async def _deliver_all(self, places: dict[str, int]) -> None:
        """One sorter and a lane per channel.

        The sorter takes the claimed reminders one at a time and puts each in the lane of the
        channel it would go by. Each lane has as many workers as its channel has places, and
        checks consent, saves the attempt and sends just before the send. So a slow channel
        (X: one DM every 4.6 s) never holds up a fast one, store work comes in step with the
        sends rather than in floods that would delay the paced ones, and the sorter stops
        while every lane has enough waiting (or a batch is waiting in all), so that claims do
        not run far ahead of the sends.
        """
        lanes: dict[str, deque[tuple[int, frozenset[str], Delivery | None]]] = {
            name: deque() for name in places
        }
        caps = {name: self._lane_cap(name, n) for name, n in places.items()}
        ready = {name: asyncio.Event() for name in places}  # work waiting in the lane
        room = asyncio.Event()  # a lane took work: the sorter may go on
        busy = 0  # reminders routed to a lane and not yet done with
        done = asyncio.Event()
        sorted_all = False

        def enough_waiting() -> bool:
            return bool(places) and all(len(lanes[name]) >= 2 * n for name, n in places.items())

        async def route(reminder_id: int, excluded: frozenset[str]) -> None:
            nonlocal busy
            prepared = None
            try:
                likely = await self._in_store(self._peek, reminder_id, set(excluded))
                if likely is None:  # nothing to send, and prepare records why; unless consent
                    prepared = await self._in_store(  # came back in between: then send it
                        self._prepare, reminder_id, set(excluded)
                    )
                    if prepared is None:
                        return
                    likely = prepared.channel
                elif len(lanes[likely]) >= caps[likely]:  # more than it can send within the
                    await self._in_store(self._give_back, reminder_id)  # lease: next cycle
                    return
            except Exception as exc:  # noqa: BLE001  one reminder, not the cycle
                await self._failed_unexpectedly(reminder_id, exc)
                return
            busy += 1
            lanes[likely].append((reminder_id, excluded, prepared))
            ready[likely].set()

        async def lane(name: str) -> None:
            nonlocal busy
            while True:
                while not lanes[name]:
                    ready[name].clear()
                    await ready[name].wait()
                reminder_id, excluded, prepared = lanes[name].popleft()
                room.set()
                try:
                    refused = await self._send_guarded(reminder_id, name, set(excluded), prepared)
                    if refused is not None:  # a permanent refusal: try the next channel
                        await route(reminder_id, excluded | {refused})
                finally:
                    busy -= 1
                    if sorted_all and busy == 0:
                        done.set()

        workers = [asyncio.create_task(lane(name)) for name, n in places.items() for _ in range(n)]

        async def until(event: asyncio.Event) -> None:
            """Wait for the event; a worker that died (a crash, not an Exception, or a broken
            store) ends the cycle with its error instead of leaving the sorter waiting."""
            waiter = asyncio.create_task(event.wait())
            await asyncio.wait([waiter, *workers], return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            for task in workers:
                if task.done():
                    task.result()

        try:
            while claimed := await self._in_store(self.claim):
                for reminder_id in claimed:
                    while enough_waiting():
                        room.clear()
                        await until(room)
                    await route(reminder_id, frozenset())
            sorted_all = True
            while busy:
                await until(done)
            for task in workers:  # one may have died after its last reminder
                if task.done():
                    task.result()
        finally:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    def _lane_cap(self, name: str, places: int) -> int:
        """How many reminders may wait in a channel's lane: what it can send in half a lease
        at its pace (claims further ahead would be taken over as stale)."""
        limits = self.channels[name].limits
        pacer = limits.overall if limits is not None else None
        if pacer is None:
            return CLAIM_BATCH
        lease = self.store.settings.carebot_send_lease_seconds
        return max(2 * places, int(lease / 2 / pacer.interval))

    def _give_back(self, reminder_id: int) -> None:
        """Release a claim this cycle cannot send in time; the next cycle takes it."""
        with self.store.session() as session:
            session.exec(
                update(Reminder)
                .where(
                    col(Reminder.id) == reminder_id,
                    col(Reminder.status) == "sending",
                    col(Reminder.claim_token) == self.token,
                )
                .values(
                    status="planned",
                    claim_token=None,
                    updated_at=self.now,
                    next_attempt_at=self.now + timedelta(seconds=1),
                )
            )

    async def _send_guarded(
        self, reminder_id: int, channel: str, excluded: set[str], prepared: Delivery | None = None
    ) -> str | None:
        """`_send_on`; an unexpected error ends that reminder, never the whole cycle."""
        try:
            if prepared is not None:
                return await self._send_delivery(prepared)
            return await self._send_on(reminder_id, channel, excluded)
        except Exception as exc:  # noqa: BLE001
            await self._failed_unexpectedly(reminder_id, exc)
            return None

    async def _failed_unexpectedly(self, reminder_id: int, exc: Exception) -> None:
        # Logged by type only: an exception's text may carry personal data.
        log.error("reminder %s: unexpected %s", reminder_id, type(exc).__name__)
        await self._in_store(self._unexpected, reminder_id, type(exc).__name__)

    def _unexpected(self, reminder_id: int, kind: str) -> None:
        """After an unexpected error: `unconfirmed` if a send may have left, else retried."""
        with self.store.session() as session:
            reminder = session.get(Reminder, reminder_id)
            if reminder is None or reminder.status != "sending":
                return
            attempt = session.exec(
                select(DeliveryAttempt).where(
                    DeliveryAttempt.reminder_id == reminder_id, DeliveryAttempt.outcome == "pending"
                )
            ).first()
            if attempt is not None:
                attempt.outcome, attempt.error = "unknown", f"internal error: {kind}"
                attempt.finished_at = self.clock()
                session.add(attempt)
                self._finish(
                    session,
                    reminder,
                    "unconfirmed",
                    f"internal error: {kind}; check with the provider before sending again",
                )
            else:  # nothing left: tried again later, within the grace
                self._retry_at(
                    session,
                    reminder,
                    self.clock() + backoff(reminder.attempts, None),
                    f"internal error: {kind}",
                )

    def claim(self) -> list[int]:
        """Move a batch of due reminders to `sending`, atomically (BEGIN IMMEDIATE or
        FOR UPDATE SKIP LOCKED), so that two dispatchers never take the same one."""
        with self.store.session() as session:
            query = (
                select(Reminder.id)
                .where(
                    Reminder.status == "planned",
                    col(Reminder.due_at) <= self.now,
                    or_(
                        col(Reminder.next_attempt_at).is_(None),
                        col(Reminder.next_attempt_at) <= self.now,
                    ),
                )
                .order_by(col(Reminder.due_at))
                .limit(CLAIM_BATCH)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = [rid for rid in session.exec(query).all() if rid is not None]
            if ids:
                session.exec(
                    update(Reminder)
                    .where(col(Reminder.id).in_(ids))
                    .values(
                        status="sending",
                        claimed_at=self.clock(),
                        claim_token=self.token,
                        updated_at=self.now,
                    )
                )
            return ids

    def expire_late(self) -> None:
        """Planned reminders past their catch-up grace become `missed`."""
        with self.store.session() as session:
            for row in catalog.rows(session):
                grace = timedelta(hours=catalog.from_row(row).catch_up_grace_hours)
                late = session.exec(
                    select(Reminder).where(
                        Reminder.program == row.name,
                        Reminder.status == "planned",
                        col(Reminder.due_at) < self.now - grace,
                    )
                ).all()
                for reminder in late:
                    self._finish(session, reminder, "missed", "past the catch-up grace")

    async def _send_on(self, reminder_id: int, likely: str, excluded: set[str]) -> str | None:
        """Check, save and send one claimed reminder, now that its channel has a free place.
        Returns the channel that refused it for good (to fall back from), else None."""
        earlier = await self._in_store(self._unsettled, reminder_id, likely)
        if earlier is not None and await self._settle(earlier):
            return None
        delivery = await self._in_store(self._prepare, reminder_id, excluded)
        if delivery is None:
            return None
        return await self._send_delivery(delivery)

    async def _send_delivery(self, delivery: Delivery) -> str | None:
        """Pace, send and record a prepared delivery; the channel that refused it for good,
        else None."""
        channel = self.channels[delivery.channel]
        limits = channel.limits
        if limits is not None:
            await limits.acquire(delivery.message.address)
        try:
            provider_id = await channel.send(delivery.message)
        except ChannelError as failure:
            if failure.kind is ErrorKind.AMBIGUOUS:
                await self._resolve_ambiguous(delivery, failure)
                return None
            permanent = await self._in_store(self._failed, delivery, failure)
            return delivery.channel if permanent else None
        await self._in_store(self._succeeded, delivery, provider_id)
        return None

    async def _in_store(self, work: Callable[..., T], *args: Any) -> T:
        """Run store work on the one store thread: writes are serialised by SQLite anyway,
        and a single worker keeps the event loop's sends on time (no GIL crowd)."""
        return await asyncio.get_running_loop().run_in_executor(self._store_thread, work, *args)

    def _peek(self, reminder_id: int, excluded: set[str]) -> str | None:
        with self.store.session() as session:
            return likely_channel(
                self.store,
                session,
                reminder_id=reminder_id,
                channels=self.channels,
                excluded=excluded,
            )

    def _prepare(self, reminder_id: int, excluded: set[str]) -> Delivery | None:
        with self.store.session() as session:
            # Still ours? Another cycle may have taken it over as stale. The same statement
            # renews the lease and, on PostgreSQL, locks the row until the attempt is saved.
            renewed = session.exec(
                update(Reminder)
                .where(
                    col(Reminder.id) == reminder_id,
                    col(Reminder.status) == "sending",
                    col(Reminder.claim_token) == self.token,
                )
                .values(claimed_at=self.clock())
            )
            if not renewed.rowcount:
                return None
            # judged now, not at the cycle's start: a reminder may have waited in its lane
            result = prepare(
                self.store,
                session,
                reminder_id=reminder_id,
                now=self.clock(),
                channels=self.channels,
                excluded=excluded,
            )
            if isinstance(result, Delivery):
                return result
            if result is not None:
                reminder = session.get(Reminder, reminder_id)
                assert reminder is not None
                status, reason, retry_at = result
                if retry_at is not None:
                    self._retry_at(session, reminder, retry_at, reason)
                else:
                    self._finish(session, reminder, status, reason)
            return None

    def _attempt_done(
        self,
        session: Session,
        delivery: Delivery,
        outcome: str,
        provider_id: str | None = None,
        error: str | None = None,
    ) -> Reminder:
        # FOR UPDATE (PostgreSQL): a status callback writing the same row waits for us, and
        # we see its write, instead of the later commit silently winning.
        reminder = session.get(Reminder, delivery.reminder_id, with_for_update=True)
        attempt = session.get(DeliveryAttempt, delivery.attempt_id, with_for_update=True)
        assert attempt is not None and reminder is not None
        attempt.outcome, attempt.error = outcome, error
        attempt.provider_id = provider_id or attempt.provider_id  # a callback may have set it
        attempt.finished_at = self.clock()
        session.add(attempt)
        return reminder

    def _succeeded(self, delivery: Delivery, provider_id: str) -> None:
        with self.store.session() as session:
            reminder = self._attempt_done(session, delivery, "sent", provider_id)
            reminder.provider_id, reminder.error = provider_id, None
            if reminder.status in CALLBACK_STATUSES:  # its status callback got here first
                session.add(reminder)
                self.outcomes["sent"] += 1
            else:  # `sending`, or taken over meanwhile and planned again: it did go out
                reminder.next_attempt_at = None
                self._finish(session, reminder, "sent", None)

    def _failed(self, delivery: Delivery, error: ChannelError) -> bool:
        """Record a refused send; True when the next channel should be tried."""
        reason = f"{error.code}: {error}" if error.code else str(error)
        with self.store.session() as session:
            reminder = self._attempt_done(session, delivery, "failed", error=reason[:200])
            now = self.clock()
            if (
                error.kind is ErrorKind.ACCOUNT_REFUSED
            ):  # the provider refuses us, not this patient: keep the contact
                audit.record(
                    session,
                    action="send.refused",
                    actor="dispatcher",
                    subject=reminder.pseudonym,
                    reminder=reminder.id,
                    channel=delivery.channel,
                    code=error.code,
                    scope="account",
                    at=now,
                )
                if likely_channel(
                    self.store,
                    session,
                    reminder_id=reminder.id or 0,
                    channels=self.channels,
                    excluded={delivery.channel},
                ):
                    return True  # another consented channel can take it now
            elif error.recipient_cannot_receive:
                delivery.mark_unusable(self.store, session, error, now=now)
                audit.record(
                    session,
                    action="send.refused",
                    actor="dispatcher",
                    subject=reminder.pseudonym,
                    reminder=reminder.id,
                    channel=delivery.channel,
                    code=error.code,
                    at=now,
                )
                return True
            retry_at = now + backoff(reminder.attempts, error.retry_after)
            self._retry_at(session, reminder, retry_at, reason[:200])
            return False

    async def _resolve_ambiguous(self, delivery: Delivery, error: ChannelError) -> None:
        channel = self.channels[delivery.channel]
        try:
            provider_id = await channel.lookup(delivery.message)
        except (NotImplementedError, ChannelError):
            provider_id, unknown = None, True
        else:
            unknown = False
        if provider_id is not None:
            await self._in_store(self._succeeded, delivery, provider_id)
            return
        await self._in_store(self._unresolved, delivery, str(error)[:200], unknown)

    def _unresolved(self, delivery: Delivery, error: str, unknown: bool) -> None:
        with self.store.session() as session:
            if unknown:
                reminder = self._attempt_done(session, delivery, "unknown", error=error)
                self._finish(
                    session,
                    reminder,
                    "unconfirmed",
                    "outcome unknown: check with the provider before sending again",
                )
            else:  # not there yet: it may still appear (a slow create), so it is looked up
                # again before the retry sends anything (see _settle)
                reminder = self._attempt_done(session, delivery, "not-found", error=error)
                self._retry_at(
                    session,
                    reminder,
                    self.clock() + backoff(reminder.attempts, None),
                    "not received by the provider",
                )

    def _unsettled(self, reminder_id: int, channel: str) -> Delivery | None:
        """This cycle's reminder's last attempt on `channel` that its provider did not have
        when looked up just after an ambiguous failure, if any."""
        with self.store.session() as session:
            reminder = session.get(Reminder, reminder_id)
            if (
                reminder is None
                or reminder.status != "sending"
                or reminder.claim_token != self.token
            ):
                return None
            attempt = session.exec(
                select(DeliveryAttempt).where(
                    DeliveryAttempt.reminder_id == reminder_id,
                    DeliveryAttempt.outcome == "not-found",
                )
            ).first()  # on any channel
            return Delivery.from_attempt(self.store, session, attempt) if attempt else None

    async def _settle(self, earlier: Delivery) -> bool:
        """Look an earlier, unfound send up once more before sending again; True when the
        reminder needs nothing more now (found after all, or the look-up itself failed)."""
        if earlier.provider_id is not None:  # a status callback named it meanwhile: it went
            await self._in_store(self._succeeded, earlier, earlier.provider_id)
            return True
        try:
            channel = self.channels.get(earlier.channel)
            if channel is None:
                raise NotImplementedError("that channel is no longer configured")
            provider_id = await channel.lookup(earlier.message)
        except (NotImplementedError, ChannelError):
            await self._in_store(self._lookup_failed, earlier)
            return True
        if provider_id is not None:
            await self._in_store(self._succeeded, earlier, provider_id)
            return True
        await self._in_store(self._absent, earlier)
        return False

    def _lookup_failed(self, earlier: Delivery) -> None:
        with self.store.session() as session:
            reminder = session.get(Reminder, earlier.reminder_id, with_for_update=True)
            assert reminder is not None
            if reminder.status != "sending" or reminder.claim_token != self.token:
                return  # taken over during the look-up: the other cycle decides now
            self._retry_at(
                session,
                reminder,
                self.clock() + backoff(reminder.attempts, None),
                "an earlier send could not be looked up",
            )

    def _absent(self, earlier: Delivery) -> None:
        with self.store.session() as session:  # looked up twice, not there: never received
            self._attempt_done(session, earlier, "absent")

    def _retry_at(self, session: Session, reminder: Reminder, when: datetime, reason: str) -> None:
        grace = timedelta(
            hours=catalog.get(self.store, session, reminder.program).catch_up_grace_hours
        )
        if when > reminder.due_at + grace:
            self._finish(session, reminder, "failed", reason)
            return
        reminder.status, reminder.next_attempt_at, reminder.error = "planned", when, reason
        reminder.updated_at = now = self.clock()
        session.add(reminder)
        audit.record(
            session,
            action="send.retry",
            actor="dispatcher",
            subject=reminder.pseudonym,
            reminder=reminder.id,
            retry_at=when.isoformat(),
            at=now,
        )

    def _finish(
        self, session: Session, reminder: Reminder, status: str, reason: str | None
    ) -> None:
        reminder.status, reminder.updated_at = status, self.clock()
        if reason is not None:
            reminder.error = reason
        session.add(reminder)
        audit.record(
            session,
            action=f"reminder.{status}",
            actor="dispatcher",
            subject=reminder.pseudonym,
            reminder=reminder.id,
            channel=reminder.channel,
            provider_id=reminder.provider_id,
            at=reminder.updated_at,
        )
        self.outcomes[status] += 1

    async def reconcile_stale(self) -> None:
        """Reminders left in `sending` past the lease (a crash mid-send) are looked up."""
        lease = timedelta(seconds=self.store.settings.carebot_send_lease_seconds)
        with self.store.session() as session:
            stale = session.exec(
                select(Reminder).where(
                    Reminder.status == "sending", col(Reminder.claimed_at) < self.now - lease
                )
            ).all()
            pending = [(r.id, self._last_attempt(session, r.id)) for r in stale if r.id]
        for reminder_id, delivery in pending:
            if delivery is None:  # claimed but never sent: safe to plan again, unless its
                with self.store.session() as session:  # cycle renewed the claim meanwhile
                    session.exec(
                        update(Reminder)
                        .where(
                            col(Reminder.id) == reminder_id,
                            col(Reminder.status) == "sending",
                            col(Reminder.claimed_at) < self.now - lease,
                        )
                        .values(status="planned", claim_token=None, updated_at=self.now)
                    )
                continue
            with self.store.session() as session:  # take the claim over first, so that
                taken = session.exec(
                    update(Reminder)
                    .where(  # the cycle it was stale in,
                        col(Reminder.id) == reminder_id,
                        col(Reminder.status) == "sending",
                        col(Reminder.claimed_at) < self.now - lease,
                    )
                    .values(  # should it come
                        claim_token=self.token, claimed_at=self.clock()
                    )
                )  # back, sends nothing
                if not taken.rowcount:
                    continue
            if delivery.channel not in self.channels:
                with self.store.session() as session:
                    reminder = self._attempt_done(session, delivery, "unknown")
                    self._finish(session, reminder, "unconfirmed", "channel not configured")
                continue
            await self._resolve_ambiguous(delivery, ChannelError("interrupted mid-send"))

    def _last_attempt(self, session: Session, reminder_id: int) -> Delivery | None:
        attempt = session.exec(
            select(DeliveryAttempt)
            .where(
                DeliveryAttempt.reminder_id == reminder_id,
                DeliveryAttempt.outcome == "pending",
            )
            .order_by(col(DeliveryAttempt.id).desc())
        ).first()
        if attempt is None:
            return None
        return Delivery.from_attempt(self.store, session, attempt)
