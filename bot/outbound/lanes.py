"""Lanes: one sorter and a lane per channel, in plain asyncio, handed the steps they run.

The sorter takes claimed reminders one at a time and puts each in the lane of the channel it
would go by. Each lane has as many workers as its channel has places, and the send (consent
checked, attempt saved, provider called) happens only when a worker is free. So a slow
channel (X: one DM every 4.6 s) never holds up a fast one, store work comes in step with the
sends rather than in floods that would delay the paced ones, and the sorter stops while
every lane has enough waiting, so that claims do not run far ahead of the sends. Before it
claims again it waits until a lane with work (one the last two claims gave some) wants more,
or a lane without wants more than the sorter already holds beyond what the lanes with work
need: it claims on past full lanes to find work for a hungry one (a slow lane must not
throttle the others), but a lane with nothing due (the console, beside a slot of SMS) must
not keep it claiming, or one dispatcher of several would take the whole slot.

Nothing here knows of a store or a provider: the steps are callables (`Steps`), so the lanes
can be tested with plain functions.

An error that `stops` recognises (the store cannot be written: a full or read-only disk) ends
the cycle at once instead of one reminder: nothing more is claimed or sent (what waits in a
lane stays claimed, for the next cycle's stale-claim look-up), the sends in flight finish,
and `run` raises `Stopped` with how many claimed reminders were left.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Generic, TypeVar

P = TypeVar("P")  # what routing may already have prepared for the send (a saved attempt)


@dataclass(frozen=True)
class Steps(Generic[P]):
    """What the lanes do with a reminder, by its id."""

    # the next batch, sized for the lanes with work (all of them when none has had any yet);
    # empty when none is due
    claim: Callable[[frozenset[str]], Awaitable[list[int]]]
    # (lane, prepared or None), or None when nothing is to be sent
    route: Callable[[int, frozenset[str]], Awaitable[tuple[str, P | None] | None]]
    # send on the lane; returns the lane that refused it for good, to route it again without
    send: Callable[[int, str, frozenset[str], P | None], Awaitable[str | None]]
    give_back: Callable[[int], Awaitable[None]]  # a full lane: for the next cycle
    failed: Callable[[int, Exception], Awaitable[None]]  # an unexpected error on that one
    stops: Callable[[Exception], bool] = lambda _exc: False  # an error that ends the cycle


class Stopped(Exception):
    """The cycle was stopped by `cause` (see `Steps.stops`), `left` claimed reminders unsent."""

    def __init__(self, cause: Exception, left: int) -> None:
        super().__init__(f"cycle stopped: {left} reminders left")
        self.cause = cause
        self.left = left


def lane_cap(*, places: int, interval: float | None, lease_seconds: float, batch: int) -> int:
    """How many reminders may wait in a lane: what its channel can send in half a lease at
    its pace, `interval` seconds a message (claims further ahead would be taken over as
    stale); a batch when it has no pace (at least two rounds of its places)."""
    if interval is None:
        return max(batch, 2 * places)
    return max(2 * places, int(lease_seconds / 2 / interval))


CLAIM_SHARE = 30  # a claim holds what its lanes send in a thirtieth of the lease (10 s of 5 min)
UNPACED = 4  # an unpaced lane's claim: this many of its places' worth
PACED_ROUNDS = 8  # and a paced lane's claim at most this many: its pace is only a ceiling


def claim_size(*, places: int, interval: float | None, lease_seconds: float) -> int:
    """How many reminders one claim takes for a lane: what it sends, `interval` seconds a
    message, in a small share of the lease (a dispatcher that dies strands that few, and
    every dispatcher of several gets a share), but no more than a few rounds of its places:
    a provider slower to answer than its rate allows (or a cap on sends in flight) sends
    fewer, and a claim sized by the rate alone would leave the other dispatchers idle."""
    if interval is None:
        return UNPACED * places
    by_pace = int(lease_seconds / CLAIM_SHARE / interval)
    return max(2 * places, min(by_pace, PACED_ROUNDS * places))


class Lanes(Generic[P]):
    """One cycle's lanes: `places` workers and at most `caps` waiting, per lane."""

    def __init__(self, steps: Steps[P], *, places: dict[str, int], caps: dict[str, int]) -> None:
        self.steps = steps
        self.places = places
        self.caps = caps
        self.waiting: dict[str, deque[tuple[int, frozenset[str], P | None]]] = {
            name: deque() for name in places
        }
        self._ready = {name: asyncio.Event() for name in places}  # work waiting in the lane
        self._room = asyncio.Event()  # a lane took work: the sorter may go on
        self._done = asyncio.Event()  # the last routed reminder is done with
        self._busy = 0  # reminders routed to a lane and not yet done with
        self._sorted_all = False
        self._workers: list[asyncio.Task[None]] = []
        self._stop: Exception | None = None  # what stopped the cycle
        self._open: set[int] = set()  # claimed and not yet done with
        self._kept: set[int] = set()  # whose own step hit what stopped the cycle
        # the lanes the claim being sorted, and the one before it, gave work to
        self._wanted: set[str] = set()
        self._wanted_before: set[str] = set()

    def _stopping(self, exc: Exception) -> bool:
        """Whether `exc` ends the cycle; the first one is kept, the waiters woken."""
        if not self.steps.stops(exc):
            return False
        if self._stop is None:
            self._stop = exc
        self._room.set()
        self._done.set()
        return True

    async def _failed(self, reminder_id: int, exc: Exception) -> None:
        """An unexpected error ends that one reminder, unless it (or recording it) ends the
        cycle."""
        if self._stopping(exc):
            self._kept.add(reminder_id)
            return
        try:
            await self.steps.failed(reminder_id, exc)
        except Exception as again:
            if not self._stopping(again):
                raise
            self._kept.add(reminder_id)
            return
        self._open.discard(reminder_id)

    async def _claim(self) -> list[int]:
        try:
            claimed = await self.steps.claim(frozenset(self._wanted | self._wanted_before))
        except Exception as exc:
            if not self._stopping(exc):
                raise
            return []
        self._open.update(claimed)
        return claimed

    async def run(self) -> None:
        """Sort every claimed reminder into its lane and wait until each is done with; a
        worker that died ends the cycle with its error."""
        self._workers = [
            asyncio.create_task(self._lane(name))
            for name, n in self.places.items()
            for _ in range(n)
        ]
        try:
            while self._stop is None and (claimed := await self._claim()):
                self._wanted_before, self._wanted = self._wanted, set()
                for reminder_id in claimed:
                    await self._room_in(self.places)
                    if self._stop is not None:
                        break
                    await self._route(reminder_id, frozenset())
                while not self._claim_again() and self._stop is None:
                    self._room.clear()
                    await self._until(self._room)
            self._sorted_all = True
            while self._busy:
                self._done.clear()
                if self._busy:
                    await self._until(self._done)
            self._raise_if_died()  # one may have died after its last reminder
        finally:
            for task in self._workers:
                task.cancel()
            await asyncio.gather(*self._workers, return_exceptions=True)
        if self._stop is not None:
            raise Stopped(self._stop, len(self._open))

    async def _room_in(self, lanes: Collection[str]) -> None:
        """Wait while each of these lanes has two rounds of its places waiting (or the
        cycle stopped)."""
        while lanes and self._stop is None and all(not self._hungry(name) for name in lanes):
            self._room.clear()
            await self._until(self._room)

    def _hungry(self, lane: str) -> bool:
        """Whether the lane has fewer than two rounds of its places waiting."""
        return len(self.waiting[lane]) < 2 * self.places[lane]

    def _claim_again(self) -> bool:
        """Whether to claim more: a lane with work (given some by the last two claims) is
        hungry, or the lanes without work that are hungry could take more than the sorter
        holds beyond two rounds of each lane's places (the work due next may be theirs)."""
        wanted = self._wanted | self._wanted_before
        if not self.places or any(self._hungry(name) for name in wanted):
            return True
        demand = sum(
            2 * n for name, n in self.places.items() if name not in wanted and self._hungry(name)
        )
        held = sum(max(len(self.waiting[name]) - 2 * n, 0) for name, n in self.places.items())
        return held < demand

    async def _route(self, reminder_id: int, excluded: frozenset[str]) -> None:
        try:
            chosen = await self.steps.route(reminder_id, excluded)
            if chosen is None:
                self._open.discard(reminder_id)
                return
            name, prepared = chosen
            # more than it can send within the lease: the next cycle takes it (one already
            # prepared has its attempt saved, and is sent)
            if prepared is None and len(self.waiting[name]) >= self.caps[name]:
                await self.steps.give_back(reminder_id)
                self._open.discard(reminder_id)
                return
        except Exception as exc:  # noqa: BLE001  one reminder, not the cycle
            await self._failed(reminder_id, exc)
            return
        self._busy += 1
        self._wanted.add(name)
        self.waiting[name].append((reminder_id, excluded, prepared))
        self._ready[name].set()

    async def _lane(self, name: str) -> None:
        waiting, ready = self.waiting[name], self._ready[name]
        while True:
            while not waiting:
                ready.clear()
                await ready.wait()
            reminder_id, excluded, prepared = waiting.popleft()
            self._room.set()
            try:
                if self._stop is not None:
                    continue  # left claimed, for the next cycle to look up
                refused = await self._send(reminder_id, name, excluded, prepared)
                if refused is not None and self._stop is None:  # try the next channel
                    await self._route(reminder_id, excluded | {refused})
                elif refused is None and reminder_id not in self._kept:
                    self._open.discard(reminder_id)
            finally:
                self._busy -= 1
                if self._sorted_all and self._busy == 0:
                    self._done.set()

    async def _send(
        self, reminder_id: int, name: str, excluded: frozenset[str], prepared: P | None
    ) -> str | None:
        """The send; an unexpected error ends that reminder, never the whole cycle."""
        try:
            return await self.steps.send(reminder_id, name, excluded, prepared)
        except Exception as exc:  # noqa: BLE001
            await self._failed(reminder_id, exc)
            return None

    async def _until(self, event: asyncio.Event) -> None:
        """Wait for the event; a worker that died (a crash, not an Exception, or a broken
        store) ends the cycle with its error instead of leaving the sorter waiting."""
        waiter = asyncio.create_task(event.wait())
        await asyncio.wait([waiter, *self._workers], return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        self._raise_if_died()

    def _raise_if_died(self) -> None:
        for task in self._workers:
            if task.done():
                task.result()
