"""A dispatch cycle's lease: its claim token, its clock and its one store thread.

Every step of a cycle (claims, sends, outcomes, reconciliation) is handed the same lease, so
that they all claim under one token, judge time by one clock, and do their store work on one
thread, in the order it was asked for. `Grouped` store work is asked for one item at a time
and done for every item asked for meanwhile in one transaction (group commit).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from bot.store.faults import StoreFault
from bot.store.store import Store

T = TypeVar("T")
A = TypeVar("A")  # one item of grouped work
R = TypeVar("R")  # what the work answers for that item

RENEW_SHARE = 10  # a cycle's claims are renewed every tenth of the lease, as sends progress


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
    renewed: float = field(default_factory=time.monotonic)  # when its claims were last renewed

    @property
    def seconds(self) -> timedelta:
        """How long a claim holds before another cycle may take it over as stale."""
        return timedelta(seconds=self.store.settings.carebot_send_lease_seconds)

    def clock(self) -> datetime:
        """The cycle's `now`, moved on by the time the cycle has taken so far (a long cycle
        renews its claims with the real time, so another cycle does not think them stale)."""
        return self.now + timedelta(seconds=time.monotonic() - self.started)

    def renewal_due(self) -> bool:
        """Whether the cycle's claims should be renewed now (a tenth of the lease went by
        since the last time); True once per period."""
        period = self.store.settings.carebot_send_lease_seconds / RENEW_SHARE
        if time.monotonic() - self.renewed < period:
            return False
        self.renewed = time.monotonic()
        return True

    async def in_store(self, work: Callable[..., T], *args: Any) -> T:
        """Run store work on the one store thread: writes are serialised by SQLite anyway,
        and a single worker keeps the event loop's sends on time (no GIL crowd)."""
        return await asyncio.get_running_loop().run_in_executor(self.thread, work, *args)

    def close(self) -> None:
        """Wait for the store work already asked for, then let the thread go."""
        self.thread.shutdown(wait=True)


class Grouped(Generic[A, R]):
    """Store work asked for one item at a time, done for a group of items at once.

    `work` takes the items asked for while the store thread was busy with the group before
    them, and answers for each, in one transaction: the sends that finished together are
    recorded together, and no item waits longer than the store work already running when it
    was asked for. An error other than a store fault (one bad item) makes each item of its
    group be done again alone, so that it fails only its own item.
    """

    def __init__(self, lease: Lease, work: Callable[[list[A]], list[R]]) -> None:
        self.lease = lease
        self.work = work
        self._asked: list[tuple[A, asyncio.Future[R]]] = []
        self._draining: asyncio.Task[None] | None = None  # held: the loop keeps tasks weakly

    async def __call__(self, item: A) -> R:
        """The work's answer for `item`, done with whatever else was asked for meanwhile."""
        answer: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._asked.append((item, answer))
        if self._draining is None:
            self._draining = asyncio.get_running_loop().create_task(self._drain())
        return await answer

    async def _drain(self) -> None:
        try:
            while self._asked:
                await asyncio.sleep(0)  # the items asked for in the same moment join in
                group, self._asked = self._asked, []
                await self._run(group)
        finally:
            self._draining = None

    async def _run(self, group: list[tuple[A, asyncio.Future[R]]]) -> None:
        items = [item for item, _ in group]
        try:
            answers = await self.lease.in_store(self.work, items)
        except Exception as exc:  # noqa: BLE001  handed to each item's caller
            if len(group) == 1 or isinstance(exc, StoreFault):
                for _, answer in group:
                    if not answer.done():
                        answer.set_exception(exc)
                return
            for one in group:  # the group rolled back: each alone, so one fails alone
                await self._run([one])
            return
        for (_, answer), value in zip(group, answers, strict=True):
            if not answer.done():
                answer.set_result(value)
