"""Dispatch: claim due reminders, check consent at the moment of sending, render, send, record.

Each attempt is a row saved before the provider is called, and completed after it. A
reminder whose outcome is unknown (a crash mid-send, a timeout after the request left) is
looked up at its provider and otherwise marked `unconfirmed`: never blindly sent again.

A cycle is a few named steps over one `Lease` (the cycle's token, clock and store thread):
`Reconcile` the stale claims, let the late ones expire (`Claims`), then `Lanes` that claim,
route and send by `Sender`, whose answers `Outcomes` records.
"""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import col, func, or_, select

from bot.channels import registry
from bot.channels.base import Channel
from bot.outbound.claims import CLAIM_BATCH, Claims
from bot.outbound.delivery import Delivery
from bot.outbound.lanes import Lanes, Steps, Stopped, claim_size, lane_cap
from bot.outbound.lease import Lease
from bot.outbound.outcomes import Outcomes
from bot.outbound.reconcile import Reconcile
from bot.outbound.send import Sender
from bot.store import db, health
from bot.store.faults import StoreFault
from bot.store.models import Reminder
from bot.store.statuses import ReminderStatus
from bot.store.store import Store

SWITCH_INTERVAL = 0.001  # seconds between the threads' turns during a cycle (Python's: 0.005)


@dataclass
class Dispatcher:
    """One dispatch cycle at `now` over the configured channels; `outcomes` counts each
    final status. `concurrency` overrides a channel's places; `batch` is the most a claim
    takes (it takes what its lanes send in a small share of the lease, see `claim_size`)."""

    store: Store
    channels: dict[str, Channel]
    now: datetime
    concurrency: dict[str, int] = field(default_factory=dict)
    outcomes: Counter[str] = field(default_factory=Counter)
    batch: int = CLAIM_BATCH
    lease: Lease = field(init=False)
    record: Outcomes = field(init=False)
    claims: Claims = field(init=False)
    reconcile: Reconcile = field(init=False)
    sender: Sender = field(init=False)

    def __post_init__(self) -> None:
        self.lease = Lease(self.store, self.now)
        self.record = Outcomes(self.lease, self.channels, self.outcomes)
        self.claims = Claims(self.lease, self.record, self.batch)
        self.reconcile = Reconcile(self.lease, self.channels, self.record, self.claims)
        self.sender = Sender(self.lease, self.channels, self.claims, self.record, self.reconcile)

    def run(self) -> Counter[str]:
        """Reconcile, expire, claim and send; returns the count of each final status."""
        previous = sys.getswitchinterval()
        # The store thread hands the interpreter back every millisecond, not every five: a
        # paced send's timer is then late by a millisecond or two, not by up to six, which
        # would make it miss its 5 ms to leave (send.LATE) and waste its slot.
        sys.setswitchinterval(SWITCH_INTERVAL)
        try:
            asyncio.run(self.run_async())
        finally:
            sys.setswitchinterval(previous)
        return self.outcomes

    async def run_async(self) -> None:
        """The cycle; a store that cannot be written stops it at the first failure, in one
        StoreFault for the cycle: what it could not record stays claimed, for the next
        cycle's stale-claim look-up (never sent again blindly)."""
        try:
            await self.lease.in_store(self._read_health)
            await self.reconcile.stale()
            self.claims.expire_late()
            await self.lanes().run()
        except Stopped as stop:
            assert isinstance(stop.cause, StoreFault)
            raise stop.cause.stopped(self._left(stop.left)) from None
        except StoreFault as fault:
            raise fault.stopped(self._left(None)) from None
        finally:
            for channel in self.channels.values():
                await channel.close()
            try:
                await self.lease.in_store(self._write_health)
            except StoreFault:
                pass  # the cycle's fault is said already; health is kept again next cycle
            finally:
                self.lease.close()
                db.checkpoint(self.store.engine)  # the WAL kept small, cycle after cycle

    async def _give_back(self, reminder_id: int) -> None:
        self.sender.routes.pop(reminder_id, None)
        await self.lease.in_store(self.claims.give_back, reminder_id)

    def _read_health(self) -> None:
        """Each channel's stored health (an outage's start), and when the last cycle ran."""
        with self.store.session() as session:
            self.record.health.read(session, list(registry.NAMES))
            last = health.last_tick(session)
        self.claims.previous = datetime.fromisoformat(last["at"]) if last else None

    def _write_health(self) -> None:
        with self.store.session() as session:
            self.record.health.write(session)

    def _left(self, claimed: int | None) -> int | None:
        """How many reminders are due and not done (planned, or claimed and unsent), as the
        store has them (read outside any write transaction: reading still works when
        writing does not); else what the lanes had claimed."""
        query = (
            select(func.count())
            .select_from(Reminder)
            .where(
                or_(  # not IN: a plain statement for the raw read below
                    col(Reminder.status) == ReminderStatus.PLANNED,
                    col(Reminder.status) == ReminderStatus.SENDING,
                ),
                col(Reminder.due_at) <= self.lease.clock(),
            )
        )
        try:
            if db.is_sqlite(self.store.engine):
                return _read_only_count(self.store, query)
            with self.store.session() as session:
                return int(session.exec(query).one())
        except Exception:  # noqa: BLE001  the store unreadable too: the claims in hand
            return claimed

    def lanes(self) -> Lanes[Delivery]:
        """The cycle's lanes, one per channel, handed the sender's steps."""
        cap = self.store.settings.carebot_max_in_flight or None
        places = {
            name: max(min(self.concurrency.get(name, channel.concurrency), cap or 1 << 30), 1)
            for name, channel in self.channels.items()
        }
        lease_seconds = self.store.settings.carebot_send_lease_seconds
        caps, sizes = {}, {}
        for name, n in places.items():
            limits = self.channels[name].limits
            pacer = limits.overall if limits is not None else None
            interval = pacer.interval if pacer is not None else None
            caps[name] = lane_cap(
                places=n, interval=interval, lease_seconds=lease_seconds, batch=self.batch
            )
            sizes[name] = claim_size(places=n, interval=interval, lease_seconds=lease_seconds)
        self.claims.batch = max(min(self.batch, sum(sizes.values())), 1)

        def claim(wanted: frozenset[str]) -> Awaitable[list[int]]:
            """A claim sized for the lanes with work (a lane with nothing due takes no share
            of it, so that several dispatchers end the slot together)."""
            size = sum(sizes[name] for name in wanted) if wanted else None
            return self.lease.in_store(self.sender.claim, size)

        steps = Steps(
            claim=claim,
            route=self.sender.route,
            send=self.sender.send,
            give_back=self._give_back,
            failed=self.sender.failed,
            stops=lambda exc: isinstance(exc, StoreFault),
        )
        return Lanes(steps, places=places, caps=caps)


def _read_only_count(store: Store, query: Any) -> int:
    """A count read on SQLite with no transaction begun (a write transaction, BEGIN
    IMMEDIATE, is refused by a read-only disk)."""
    compiled = query.compile(dialect=store.engine.dialect)
    params = compiled.construct_params()
    processors = compiled._bind_processors  # noqa: SLF001  the stored form of a time
    values = [
        processors[name](params[name]) if name in processors else params[name]
        for name in compiled.positiontup or ()
    ]
    raw = store.engine.raw_connection()
    try:
        return int(raw.cursor().execute(str(compiled), values).fetchone()[0])
    finally:
        raw.close()
