"""Lanes: one sorter and a lane per channel, in plain asyncio, handed the steps they run.

The sorter takes claimed reminders one at a time and puts each in the lane of the channel it
would go by. Each lane has as many workers as its channel has places, and the send (consent
checked, attempt saved, provider called) happens only when a worker is free. So a slow
channel (X: one DM every 4.6 s) never holds up a fast one, store work comes in step with the
sends rather than in floods that would delay the paced ones, and the sorter stops while
every lane has enough waiting, so that claims do not run far ahead of the sends.

Nothing here knows of a store or a provider: the steps are callables (`Steps`), so the lanes
can be tested with plain functions.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

P = TypeVar("P")  # what routing may already have prepared for the send (a saved attempt)


@dataclass(frozen=True)
class Steps(Generic[P]):
    """What the lanes do with a reminder, by its id."""

    claim: Callable[[], Awaitable[list[int]]]  # the next batch; empty when none is due
    # (lane, prepared or None), or None when nothing is to be sent
    route: Callable[[int, frozenset[str]], Awaitable[tuple[str, P | None] | None]]
    # send on the lane; returns the lane that refused it for good, to route it again without
    send: Callable[[int, str, frozenset[str], P | None], Awaitable[str | None]]
    give_back: Callable[[int], Awaitable[None]]  # a full lane: for the next cycle
    failed: Callable[[int, Exception], Awaitable[None]]  # an unexpected error on that one


def lane_cap(*, places: int, interval: float | None, lease_seconds: float, batch: int) -> int:
    """How many reminders may wait in a lane: what its channel can send in half a lease at
    its pace, `interval` seconds a message (claims further ahead would be taken over as
    stale); a batch when it has no pace."""
    if interval is None:
        return batch
    return max(2 * places, int(lease_seconds / 2 / interval))


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

    async def run(self) -> None:
        """Sort every claimed reminder into its lane and wait until each is done with; a
        worker that died ends the cycle with its error."""
        self._workers = [
            asyncio.create_task(self._lane(name))
            for name, n in self.places.items()
            for _ in range(n)
        ]
        try:
            while claimed := await self.steps.claim():
                for reminder_id in claimed:
                    while self._enough_waiting():
                        self._room.clear()
                        await self._until(self._room)
                    await self._route(reminder_id, frozenset())
            self._sorted_all = True
            while self._busy:
                await self._until(self._done)
            self._raise_if_died()  # one may have died after its last reminder
        finally:
            for task in self._workers:
                task.cancel()
            await asyncio.gather(*self._workers, return_exceptions=True)

    def _enough_waiting(self) -> bool:
        return bool(self.places) and all(
            len(self.waiting[name]) >= 2 * n for name, n in self.places.items()
        )

    async def _route(self, reminder_id: int, excluded: frozenset[str]) -> None:
        try:
            chosen = await self.steps.route(reminder_id, excluded)
            if chosen is None:
                return
            name, prepared = chosen
            # more than it can send within the lease: the next cycle takes it (one already
            # prepared has its attempt saved, and is sent)
            if prepared is None and len(self.waiting[name]) >= self.caps[name]:
                await self.steps.give_back(reminder_id)
                return
        except Exception as exc:  # noqa: BLE001  one reminder, not the cycle
            await self.steps.failed(reminder_id, exc)
            return
        self._busy += 1
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
                refused = await self._send(reminder_id, name, excluded, prepared)
                if refused is not None:  # a permanent refusal: try the next channel
                    await self._route(reminder_id, excluded | {refused})
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
            await self.steps.failed(reminder_id, exc)
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
