"""A dispatch cycle's lease: its claim token, its clock and its one store thread.

Every step of a cycle (claims, sends, outcomes, reconciliation) is handed the same lease, so
that they all claim under one token, judge time by one clock, and do their store work on one
thread, in the order it was asked for.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from bot.store.store import Store

T = TypeVar("T")


@dataclass
class Lease:
    """One cycle at `now`; `token` marks the reminders it has claimed."""

    store: Store
    now: datetime
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    started: float = field(default_factory=time.monotonic)  # when the cycle began
    thread: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="store")
    )

    @property
    def seconds(self) -> timedelta:
        """How long a claim holds before another cycle may take it over as stale."""
        return timedelta(seconds=self.store.settings.carebot_send_lease_seconds)

    def clock(self) -> datetime:
        """The cycle's `now`, moved on by the time the cycle has taken so far (a long cycle
        renews its claims with the real time, so another cycle does not think them stale)."""
        return self.now + timedelta(seconds=time.monotonic() - self.started)

    async def in_store(self, work: Callable[..., T], *args: Any) -> T:
        """Run store work on the one store thread: writes are serialised by SQLite anyway,
        and a single worker keeps the event loop's sends on time (no GIL crowd)."""
        return await asyncio.get_running_loop().run_in_executor(self.thread, work, *args)

    def close(self) -> None:
        """Wait for the store work already asked for, then let the thread go."""
        self.thread.shutdown(wait=True)
