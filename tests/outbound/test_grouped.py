"""Grouped store work (group commit) and claim sizes, with plain functions: no store."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.outbound.lanes import claim_size
from bot.outbound.lease import Grouped, Lease
from bot.store.faults import Fault, StoreFault


class _Settings:
    carebot_send_lease_seconds = 300


class _Store:
    settings = _Settings()


def lease() -> Lease:
    return Lease(_Store(), datetime(2026, 11, 23, 9, tzinfo=UTC))  # type: ignore[arg-type]


def test_items_asked_for_together_are_done_in_one_call() -> None:
    calls: list[list[int]] = []

    def work(items: list[int]) -> list[int]:
        calls.append(items)
        return [i * 10 for i in items]

    async def main() -> list[int]:
        grouped = Grouped(lease(), work)
        return await asyncio.gather(*(grouped(i) for i in range(6)))

    assert asyncio.run(main()) == [0, 10, 20, 30, 40, 50]
    assert calls == [[0, 1, 2, 3, 4, 5]]


def test_items_asked_for_while_a_group_runs_make_the_next_group() -> None:
    calls: list[list[int]] = []
    running, release = threading.Event(), threading.Event()

    def work(items: list[int]) -> list[int]:
        calls.append(items)
        running.set()
        release.wait(5)  # the store thread busy with this group
        return items

    async def main() -> None:
        grouped = Grouped(lease(), work)
        first = asyncio.gather(*(grouped(i) for i in range(3)))
        while not running.is_set():
            await asyncio.sleep(0.001)
        second = asyncio.gather(*(grouped(i) for i in range(3, 5)))
        await asyncio.sleep(0.01)
        release.set()
        assert await first == [0, 1, 2]
        assert await second == [3, 4]

    asyncio.run(main())
    assert calls == [[0, 1, 2], [3, 4]]


def test_one_bad_item_fails_alone_and_its_group_is_done_again_one_by_one() -> None:
    calls: list[list[int]] = []

    def work(items: list[int]) -> list[int]:
        calls.append(items)
        if 2 in items:
            raise ValueError("a template that does not render")
        return items

    async def main() -> list[Any]:
        grouped = Grouped(lease(), work)
        return await asyncio.gather(*(grouped(i) for i in range(4)), return_exceptions=True)

    answers = asyncio.run(main())
    assert answers[:2] == [0, 1] and answers[3] == 3
    assert isinstance(answers[2], ValueError)
    assert calls == [[0, 1, 2, 3], [0], [1], [2], [3]]


def test_a_store_fault_fails_the_whole_group_at_once() -> None:
    calls: list[list[int]] = []

    def work(items: list[int]) -> list[int]:
        calls.append(items)
        raise StoreFault(Fault.READ_ONLY, "/tmp/carebot.db")

    async def main() -> list[Any]:
        grouped = Grouped(lease(), work)
        return await asyncio.gather(*(grouped(i) for i in range(3)), return_exceptions=True)

    answers = asyncio.run(main())
    assert all(isinstance(a, StoreFault) for a in answers)
    assert calls == [[0, 1, 2]]  # not tried again one by one: the store is gone


@pytest.mark.parametrize(
    "places,interval,expected",
    [
        (64, None, 256),
        (16, 1 / 29.4, 128),  # Telegram: eight rounds of its places, 4.4 s of its pace
        (100, 1 / 29.4, 294),  # a thirtieth of the lease at its pace
        (4, 1 / 5000, 32),  # a fast pace, few sends in flight: a few rounds of them
        (1, 4.6, 2),
        (200, 1 / 29.4, 400),
    ],
)
def test_a_claim_holds_a_thirtieth_of_the_lease_or_a_few_rounds_of_its_places(
    places: int, interval: float | None, expected: int
) -> None:
    assert claim_size(places=places, interval=interval, lease_seconds=300) == expected
