"""Rate limits: the pacer on its own, then `carebot tick` against a fake Bot API that answers
429 the moment its limit is passed, with 200 ms of latency on every call."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.channels.ratelimit import SLACK, Limits, Pacer
from bot.patients import enrolment as patients
from tests.conftest import Cli
from tests.fakes.telegram import FakeTelegram
from tests.helpers import cli_tick, first_due, store_for


@pytest.fixture
def no_collections() -> Iterator[None]:
    """These tests time starts to the millisecond; a full collection of everything this test
    process holds (every earlier test's objects) would stall the clock readings, not the
    pacer. carebot keeps its own collections short during a cycle (scheduling.tick)."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def _starts(pacer: Pacer, n: int, *, stall: float = 0.0) -> list[float]:
    """Start `n` waiters at once; optionally hold the event loop up for `stall` seconds
    while they wait, as a garbage collection would."""
    starts: list[float] = []

    async def one() -> None:
        await pacer.acquire()
        starts.append(time.monotonic())

    tasks = [asyncio.create_task(one()) for _ in range(n)]
    if stall:
        await asyncio.sleep(pacer.interval * 2.5)
        time.sleep(stall)  # blocks the loop: every slot passes meanwhile
    await asyncio.gather(*tasks)
    return starts


def _gaps(starts: list[float]) -> list[float]:
    return [b - a for a, b in zip(starts, starts[1:], strict=False)]


@pytest.mark.usefixtures("no_collections")
def test_starts_are_evenly_spaced_and_any_limit_plus_one_span_the_window() -> None:
    pacer = Pacer(limit=50)  # one start every 20.4 ms
    starts = asyncio.run(_starts(pacer, 40))
    assert min(_gaps(starts)) >= pacer.interval - SLACK
    assert all(starts[i + 50] - starts[i] > 1.0 for i in range(len(starts) - 50))
    # kept busy: 40 starts take about 39 intervals, not more
    assert starts[-1] - starts[0] < 39 * pacer.interval + 0.25


@pytest.mark.usefixtures("no_collections")
def test_a_stalled_event_loop_does_not_release_the_waiters_in_a_burst() -> None:
    """After the stall every slot has passed: a pacer that let the waiters go at once would
    start them microseconds apart. Half an interval tells that from a wake-up a few
    milliseconds late on a busy machine (the even spacing itself is the test above)."""
    pacer = Pacer(limit=50)
    starts = asyncio.run(_starts(pacer, 12, stall=0.15))
    assert min(_gaps(starts)) >= pacer.interval / 2


def test_each_key_is_paced_on_its_own() -> None:
    pacer = Pacer(limit=1, window=0.2, margin=0.0)

    async def both() -> float:
        started = time.monotonic()
        await asyncio.gather(pacer.acquire("a"), pacer.acquire("b"))
        return time.monotonic() - started

    assert asyncio.run(both()) < pacer.interval / 2


@pytest.mark.usefixtures("no_collections")
def test_a_longer_window_spreads_its_sends_over_the_window() -> None:
    limits = Limits(4, window=0.4)  # as X's 200 per 15 minutes: one every 0.105 s here

    async def three() -> list[float]:
        starts = []
        for _ in range(3):
            await limits.acquire("someone")
            starts.append(time.monotonic())
        return starts

    assert min(_gaps(asyncio.run(three()))) >= 0.42 / 4 - SLACK


def test_booked_slots_follow_each_other_and_never_lie_in_the_past(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`reserve` books the next slots at once, one interval apart; a send that then waits
    with `acquire` comes after them; after a pause the slots go on from now, not from the
    past (no catch-up burst)."""
    now = [100.0]
    pacer = Pacer(10, clock=lambda: now[0])

    async def book() -> list[float]:
        return [await pacer.reserve() for _ in range(3)]

    booked = asyncio.run(book())
    assert booked == pytest.approx([100.0, 100.105, 100.21])
    now[0] = 105.0
    assert asyncio.run(pacer.reserve()) == 105.0
    now[0] = 104.9  # as if the clock read before: acquire waits past the booked slot
    waited: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waited.append(seconds)
        now[0] += seconds

    monkeypatch.setattr("bot.channels.ratelimit.asyncio.sleep", fake_sleep)
    asyncio.run(pacer.acquire())
    assert waited == [pytest.approx(0.205)]


def test_limits_book_the_overall_slot_after_the_recipients_own() -> None:
    limits = Limits(None, per_recipient=1)
    before = time.monotonic()
    assert before <= asyncio.run(limits.reserve("chat")) <= time.monotonic()


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        Pacer(limit=0)


def test_with_200_ms_latency_the_rate_limit_is_kept_busy_and_never_exceeded(
    wired: Cli, fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Judged on what carebot does (the slots its pacer books, when its sends leave), not on
    how long the run took: on a loaded machine a send whose wake-up comes too late takes a
    new slot, which makes the run longer without making carebot any less busy."""
    rate, count = 20, 40
    fake_telegram.latency = 0.2
    fake_telegram.global_per_second, fake_telegram.per_chat_per_second = rate, 1
    wired.env["CAREBOT_TELEGRAM_RATE"] = str(rate)
    store = store_for(wired)
    due = first_due()
    for i in range(count):  # chats as bound by /start (tested in test_channels_e2e)
        patients.enrol(
            store,
            reference=f"AZ-{i}",
            program="post-stroke-weekly",
            language="nl",
            timezone="Europe/Brussels",
            name="Jan",
            contacts={"telegram": str(700_000 + i)},
            consent=["telegram"],
            actor="nurse-test",
            now=due - timedelta(days=8),
        )
    store.engine.dispose()
    slots, left = _recorded(monkeypatch)

    # The fake counts arrivals in a thread of this process, which holds every earlier test's
    # objects: a full collection here would hold the fake up and make it count a few
    # requests at once. A provider does not pause like that, so this process's collections
    # are kept short while it stands in for one (carebot does the same for its sends).
    gc.collect()
    gc.freeze()
    try:
        cli_tick(wired, due + timedelta(minutes=1))
    finally:
        gc.unfreeze()

    assert fake_telegram.rate_limited == []  # never a 429: the limit was never exceeded
    assert len(fake_telegram.sent) == len(left) == count
    interval = (1 + 0.05) / rate  # the limit's window and margin, shared out
    slots.sort()
    # never exceeded as carebot sent them: slots one interval apart at least, and any
    # `rate + 1` consecutive sends left more than the window apart
    assert min(_gaps(slots)) >= interval * (1 - 1e-9)
    assert all(left[i + rate] - left[i] > 1.0 for i in range(count - rate)), _gaps(left)
    # kept busy: several sends in flight at once (one at a time would book each slot only
    # once the previous send is answered, 200 ms later), the slots booked back to back
    # from the first to the last, and each slot that went by while the machine held the
    # send up (taken again) at most one a send on average
    assert fake_telegram.max_in_flight >= 3
    assert slots[-1] - slots[0] < (len(slots) - 1) * interval + 0.25, _gaps(slots)
    assert len(slots) - count <= count, f"{len(slots) - count} slots taken again"
    accepted = sorted(sent.accepted_at for sent in fake_telegram.sent)
    assert accepted[-1] - accepted[0] < slots[-1] - slots[0] + 0.25


def _recorded(monkeypatch: pytest.MonkeyPatch) -> tuple[list[float], list[float]]:
    """The overall slots the pacers book (`reserve`), and when each Telegram send leaves,
    from now on in this process (the command runs in it: tests/incli.py)."""
    from bot.channels import ratelimit
    from bot.channels.base import OutboundMessage
    from bot.channels.telegram import TelegramChannel

    slots: list[float] = []
    left: list[float] = []
    reserve, send = ratelimit.Pacer.reserve, TelegramChannel.send

    async def booking(pacer: Pacer, key: str = "") -> float:
        slot = await reserve(pacer, key)
        slots.append(slot)
        return slot

    async def leaving(channel: TelegramChannel, message: OutboundMessage) -> str:
        left.append(time.monotonic())
        return await send(channel, message)

    monkeypatch.setattr(ratelimit.Pacer, "reserve", booking)
    monkeypatch.setattr(TelegramChannel, "send", leaving)
    return slots, left
