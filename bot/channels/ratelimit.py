"""Keeping to a provider's rate limit while keeping it busy.

A provider such as Telegram counts what *arrives* in any second. Starting sends in bursts (as
a sliding window allows: 30 at once, then 30 more a second later) makes the requests queue on
the way, and the ones that arrive late land in the same second as the next burst: a 429. So
each key's sends are spread evenly instead, one every `(window + margin) / limit` seconds
(a generic cell rate algorithm with no burst): any `limit + 1` consecutive starts then span
more than the window, and the margin (5% of it) absorbs the milliseconds of jitter between
two requests that left one pace apart: a send leaves within a few milliseconds of its slot
(see bot/outbound/send.py, DEPART and LATE), and a loaded machine delays some more.
Measured in benchmarks/RESULTS.md.

Sends wait here, not in a queue of their own, so many can be in flight at once within the
limit. A dispatched reminder books its slot ahead (`reserve`), so that its attempt is saved
just before the slot rather than just after it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

SLACK = 0.002  # how late a start may be and still count as on its slot (seconds)


class Pacer:
    """At most `limit` starts in any `window` seconds for each key, evenly spaced."""

    def __init__(
        self,
        limit: int,
        window: float = 1.0,
        margin: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1:
            raise ValueError("a rate limit must allow at least one send per window")
        self.limit = limit
        self.interval = (window + margin) / limit
        self._clock = clock
        self._last: dict[str, float] = {}
        self._gates: dict[str, asyncio.Lock] = {}

    async def acquire(self, key: str = "") -> None:
        """Wait until one interval has passed since the key's last start, then start.

        Waiters go through one at a time, in arrival order, and each start is timed when it
        really happens: were the event loop held up (a garbage collection, a slow callback),
        the waiters would not all be let through at once when it resumes.
        """
        gate = self._gates.setdefault(key, asyncio.Lock())
        async with gate:
            slot = self._last.get(key, -self.interval) + self.interval
            wait = slot - self._clock()
            if wait > 0:
                await asyncio.sleep(wait)
            # A sleep ends a little late; counting from the slot (not the wake-up) keeps those
            # fractions of a millisecond from adding up, and counting from the wake-up when it
            # is much later means no catch-up burst after a stall.
            self._last[key] = max(slot, self._clock() - SLACK)
        if not gate.locked() and len(self._gates) > 10_000:
            self._forget_idle()

    async def reserve(self, key: str = "") -> float:
        """Book the key's next slot without waiting for it, and say when it comes (never in
        the past: after a stall the slots go on from now). The caller starts at that time,
        or takes a new slot with `acquire` if it cannot: so work can be done before the slot
        rather than after it."""
        gate = self._gates.setdefault(key, asyncio.Lock())
        async with gate:  # after the waiters already let through by `acquire`
            slot = max(self._last.get(key, -self.interval) + self.interval, self._clock())
            self._last[key] = slot
        return slot

    def _forget_idle(self) -> None:
        """Drop keys with nobody waiting whose last start is over an interval old."""
        now = self._clock()
        for key in [
            k
            for k, gate in self._gates.items()
            if not gate.locked() and now - self._last.get(k, now) > self.interval
        ]:
            del self._gates[key]
            self._last.pop(key, None)


class Limits:
    """A channel's limits per `window` seconds: one overall, and optionally one per recipient."""

    def __init__(
        self, overall: int | None, per_recipient: int | None = None, *, window: float = 1.0
    ) -> None:
        self.overall = Pacer(overall, window) if overall else None
        self.per_recipient = Pacer(per_recipient, window) if per_recipient else None

    async def acquire(self, recipient: str | None) -> None:
        if self.per_recipient is not None and recipient is not None:
            await self.per_recipient.acquire(recipient)
        if self.overall is not None:
            await self.overall.acquire()

    async def reserve(self, recipient: str | None) -> float:
        """Wait for the recipient's own slot, then book the next overall one (see
        `Pacer.reserve`); when that slot comes (now, with no overall limit)."""
        if self.per_recipient is not None and recipient is not None:
            await self.per_recipient.acquire(recipient)
        if self.overall is None:
            return time.monotonic()
        return await self.overall.reserve()
