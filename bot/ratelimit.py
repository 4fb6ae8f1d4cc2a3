"""Keeping to a provider's rate limit while keeping it busy.

A sliding-window log per key: a send may start when fewer than `limit` sends started in the
last `window` seconds. The window is a little longer than the provider's own second, so that
jitter on the way does not make two windows look like one and earn a 429. Sends wait here,
not in a queue of their own, so many can be in flight at once within the limit.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque


class SlidingWindow:
    """At most `limit` starts per `window` seconds, for each key."""

    def __init__(self, limit: int, window: float = 1.0, margin: float = 0.02) -> None:
        self.limit = limit
        self.window = window + margin
        self._starts: dict[str, deque[float]] = {}
        self._lock = asyncio.Lock()

    def _wait_time(self, key: str, now: float) -> float:
        starts = self._starts.setdefault(key, deque())
        while starts and now - starts[0] >= self.window:
            starts.popleft()
        return 0.0 if len(starts) < self.limit else self.window - (now - starts[0])

    async def acquire(self, key: str = "") -> None:
        """Wait until a start is allowed for `key`, then record it."""
        while True:
            async with self._lock:
                now = time.monotonic()
                wait = self._wait_time(key, now)
                if wait <= 0:
                    self._starts[key].append(now)
                    return
            await asyncio.sleep(wait)


class Limits:
    """A channel's limits: one overall, and optionally one per recipient."""

    def __init__(self, overall: int | None, per_recipient: int | None = None) -> None:
        self.overall = SlidingWindow(overall) if overall else None
        self.per_recipient = SlidingWindow(per_recipient) if per_recipient else None

    async def acquire(self, recipient: str | None) -> None:
        if self.per_recipient is not None and recipient is not None:
            await self.per_recipient.acquire(recipient)
        if self.overall is not None:
            await self.overall.acquire()
