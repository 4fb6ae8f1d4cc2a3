"""The lanes alone, handed plain callables: no store, no channel, no provider."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from bot.outbound.lanes import Lanes, Steps, Stopped, lane_cap

Send = Callable[[int, str], Awaitable[str | None]]


@dataclass
class Cycle:
    """One cycle's reminders (id -> lane) and what the lanes did with them."""

    lanes: dict[int, str]
    batch: int = 100
    send_on: Send | None = None  # what a send does; by default it just goes
    sent: list[tuple[int, str]] = field(default_factory=list)
    given_back: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    routed: list[tuple[int, frozenset[str]]] = field(default_factory=list)
    claims: int = 0
    asked: list[frozenset[str]] = field(default_factory=list)  # each claim's lanes with work
    stuck: tuple[int, int] = (0, 0)  # (claims, routed) while sends were held (see `stuck`)

    async def claim(self, wanted: frozenset[str]) -> list[int]:
        self.asked.append(wanted)
        start = self.claims * self.batch
        self.claims += 1
        return sorted(self.lanes)[start : start + self.batch]

    async def route(self, rid: int, excluded: frozenset[str]) -> tuple[str, None] | None:
        await asyncio.sleep(0)  # as a store look-up would, let the lanes run
        self.routed.append((rid, excluded))
        lane = self.lanes[rid]
        return None if lane in excluded else (lane, None)

    async def send(self, rid: int, lane: str, excluded: frozenset[str], _: None) -> str | None:
        refused = await self.send_on(rid, lane) if self.send_on else None
        self.sent.append((rid, lane))
        return refused

    async def give_back(self, rid: int) -> None:
        self.given_back.append(rid)

    async def fail(self, rid: int, exc: Exception) -> None:
        self.failed.append((rid, type(exc).__name__))

    def steps(self) -> Steps[None]:
        return Steps(self.claim, self.route, self.send, self.give_back, self.fail)


def run(cycle: Cycle, places: dict[str, int], caps: dict[str, int] | None = None) -> None:
    lanes = Lanes(cycle.steps(), places=places, caps=caps or dict.fromkeys(places, 100))
    asyncio.run(asyncio.wait_for(lanes.run(), timeout=5))


def test_a_slow_lane_never_holds_up_a_fast_one() -> None:
    fast_done = asyncio.Event()

    async def send_on(rid: int, lane: str) -> None:
        if lane == "slow":  # answers only once every fast reminder has gone
            await asyncio.wait_for(fast_done.wait(), timeout=2)
        elif sum(1 for _, name in cycle.sent if name == "fast") == 9:
            fast_done.set()  # this is the tenth

    cycle = Cycle({i: "slow" if i < 3 else "fast" for i in range(13)}, send_on=send_on)
    run(cycle, {"slow": 1, "fast": 2})
    assert [lane for _, lane in cycle.sent] == ["fast"] * 10 + ["slow"] * 3
    assert cycle.failed == []


def test_a_full_lane_gives_its_work_back_for_the_next_cycle() -> None:
    release = asyncio.Event()

    async def send_on(rid: int, lane: str) -> None:
        if lane == "paced":
            await release.wait()

    async def route(rid: int, excluded: frozenset[str]) -> tuple[str, None] | None:
        chosen = await Cycle.route(cycle, rid, excluded)
        if rid == max(cycle.lanes):
            release.set()  # the last one is sorted: let the paced lane go
        return chosen

    # the other lane has nothing waiting, so the sorter never stops for room
    cycle = Cycle(dict.fromkeys(range(8), "paced") | {8: "other"}, send_on=send_on)
    cycle.route = route  # type: ignore[method-assign]
    run(cycle, {"paced": 1, "other": 1}, caps={"paced": 2, "other": 100})
    # one in flight, two waiting (the cap), the rest given back, none both
    assert sorted(rid for rid, lane in cycle.sent if lane == "paced") == [0, 1, 2]
    assert cycle.given_back == [3, 4, 5, 6, 7]


def stuck(lanes: dict[int, str], batch: int, places: dict[str, int], held: set[str]) -> Cycle:
    """Run a cycle whose sends on the `held` lanes wait until the lanes have had many turns
    of the event loop; the cycle's `stuck` is (claims, routed) at that moment."""
    release = asyncio.Event()

    async def send_on(rid: int, lane: str) -> None:
        if lane in held:
            await release.wait()

    cycle = Cycle(lanes, batch=batch, send_on=send_on)

    async def go() -> None:
        task = asyncio.create_task(
            Lanes(cycle.steps(), places=places, caps=dict.fromkeys(places, 100)).run()
        )
        for _ in range(80):
            await asyncio.sleep(0)
        cycle.stuck = (cycle.claims, len(cycle.routed))
        release.set()
        await asyncio.wait_for(task, timeout=5)

    asyncio.run(go())
    assert sorted(rid for rid, _ in cycle.sent) == sorted(lanes)  # then every one is sent
    return cycle


def test_the_sorter_waits_while_every_lane_has_enough_waiting() -> None:
    """Claims do not run far ahead of the sends: two per place waiting, then it stops."""
    cycle = stuck(dict.fromkeys(range(10), "only"), 1, {"only": 1}, {"only"})
    assert cycle.stuck[1] == 3  # one in flight and two waiting
    assert [rid for rid, _ in cycle.sent] == list(range(10))


def test_a_lane_given_nothing_does_not_keep_the_sorter_claiming() -> None:
    """A configured channel with nothing due (here `idle`) must not make one dispatcher
    claim the whole slot: once the lane with work has enough waiting, no more is claimed."""
    cycle = stuck(dict.fromkeys(range(100), "busy"), 5, {"busy": 1, "idle": 2}, {"busy"})
    # claimed past the full lane only while it held, beyond its two rounds, less than the
    # idle lane's two rounds (4): a claim of 5 (3 beyond), one more (8), then none
    assert cycle.stuck == (2, 10)
    # the first claim sized for every lane, the others for the one with work
    assert cycle.asked[0] == frozenset() and set(cycle.asked[1:]) == {frozenset({"busy"})}


def test_a_lane_whose_work_ran_out_stops_holding_the_sorter_back() -> None:
    """Work for one lane, then only for the other: the first lane empty (given nothing by
    the last two claims) does not keep the sorter claiming for the second."""
    lanes = {i: "early" if i < 2 else "late" for i in range(60)}
    cycle = stuck(lanes, 2, {"early": 1, "late": 1}, {"late"})
    # the early claim, then two of two for `late` (one in flight, three waiting at most)
    assert cycle.stuck[1] <= 2 + 2 * 2 + 2


def test_a_permanent_refusal_routes_the_reminder_again_without_that_lane() -> None:
    async def send_on(rid: int, lane: str) -> str | None:
        return "first" if lane == "first" else None

    cycle = Cycle({1: "first"}, send_on=send_on)

    async def route(rid: int, excluded: frozenset[str]) -> tuple[str, None] | None:
        cycle.routed.append((rid, excluded))
        return ("second", None) if "first" in excluded else ("first", None)

    cycle.route = route  # type: ignore[method-assign]
    run(cycle, {"first": 1, "second": 1})
    assert cycle.routed == [(1, frozenset()), (1, frozenset({"first"}))]
    assert cycle.sent == [(1, "first"), (1, "second")]


def test_an_error_on_one_reminder_ends_that_one_only() -> None:
    async def send_on(rid: int, lane: str) -> None:
        if rid == 2:
            raise RuntimeError("a bug")

    cycle = Cycle(dict.fromkeys(range(5), "only"), send_on=send_on)
    run(cycle, {"only": 2})
    assert cycle.failed == [(2, "RuntimeError")]
    assert sorted(rid for rid, _ in cycle.sent) == [0, 1, 3, 4]


class Crash(BaseException):
    """Not an Exception: the process is going down (or a test says so)."""


@pytest.mark.parametrize("where", ["send", "failed"])
def test_a_worker_that_dies_ends_the_cycle_with_its_error(where: str) -> None:
    """A crash in a send, or a broken store when recording an error, is not swallowed and
    does not leave the sorter waiting on a lane that will never take work again."""

    async def send_on(rid: int, lane: str) -> None:
        if where == "send":
            raise Crash()
        raise RuntimeError("a bug")

    async def fail(rid: int, exc: Exception) -> None:
        raise Crash()

    # its one worker dies on the first; the others would wait in its lane for ever
    cycle = Cycle(dict.fromkeys(range(50), "doomed"), send_on=send_on)
    cycle.fail = fail  # type: ignore[method-assign]
    with pytest.raises(Crash):
        run(cycle, {"doomed": 1})


def test_with_no_lane_the_cycle_ends() -> None:
    cycle = Cycle({1: "gone"})

    async def route(rid: int, excluded: frozenset[str]) -> None:
        cycle.routed.append((rid, excluded))
        return None  # no channel: nothing to send, and the route says why elsewhere

    cycle.route = route  # type: ignore[method-assign]
    run(cycle, {})
    assert (cycle.routed, cycle.sent) == ([(1, frozenset())], [])


@pytest.mark.parametrize(
    "interval,expected",
    [(None, 500), (4.6, 32), (1 / 30, 4500), (600.0, 4)],  # no pace, X, Telegram, a crawl
)
def test_a_lane_holds_what_its_channel_sends_in_half_a_lease(
    interval: float | None, expected: int
) -> None:
    assert lane_cap(places=2, interval=interval, lease_seconds=300, batch=500) == expected


class StoreGone(Exception):
    """What `stops` recognises: the store cannot be written."""


def test_an_error_that_stops_the_cycle_stops_it_at_once_and_counts_what_is_left() -> None:
    async def send_on(rid: int, lane: str) -> None:
        if rid == 3:
            raise StoreGone()

    cycle = Cycle({i: "a" if i % 2 else "b" for i in range(40)}, batch=10, send_on=send_on)
    steps = Steps(
        cycle.claim,
        cycle.route,
        cycle.send,
        cycle.give_back,
        cycle.fail,
        stops=lambda exc: isinstance(exc, StoreGone),
    )
    lanes = Lanes(steps, places={"a": 1, "b": 1}, caps={"a": 100, "b": 100})
    with pytest.raises(Stopped) as caught:
        asyncio.run(asyncio.wait_for(lanes.run(), timeout=5))
    assert isinstance(caught.value.cause, StoreGone)
    assert cycle.failed == []  # no "unexpected" per reminder: one stop for the cycle
    assert cycle.claims == 1  # nothing more claimed
    sent = {rid for rid, _ in cycle.sent}
    assert len(sent) <= 4  # at most what was in flight beside it
    assert caught.value.left == 10 - len(sent - {3})  # the claimed ones not done with
