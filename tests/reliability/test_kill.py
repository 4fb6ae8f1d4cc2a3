"""kill -9 of a real `carebot tick` at a random moment during its sends, then recovery.

Counted at both ends: duplicates from the fakes' received logs (fsynced before each answer,
so a killed carebot cannot hide a send) and reminders due but without a final status in the
store. Two stores run their loops side by side, so that one's `carebot` start-up overlaps the
other's sends. benchmarks/reliability.py runs the same longer (100 runs of 1,000 reminders).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.reliability.conftest import MakeRig
from tests.reliability.rig import UNFINISHED, KillRun, Rig, kill_loop

pytestmark = pytest.mark.reliability

LOOPS = 2
RUNS = 10  # per loop: 20 kill runs in all
PATIENTS = 30


def test_a_tick_killed_during_its_sends_sends_nothing_twice_and_leaves_nothing_unfinished(
    make_rig: MakeRig,
) -> None:
    rigs = [make_rig(PATIENTS) for _ in range(LOOPS)]

    def loop(index: int) -> KillRun:
        return kill_loop(rigs[index], runs=RUNS, seed=11 + index, kill_recovery_every=2)

    with ThreadPoolExecutor(LOOPS) as pool:
        results = list(pool.map(loop, range(LOOPS)))
    for rig, result in zip(rigs, results, strict=True):
        check(rig, result)
    killed = sum(r.killed for r in results)
    assert killed >= LOOPS * RUNS * 3 // 4, f"only {killed} ticks were killed mid-cycle"
    # A recovery tick is killed only if it still had sends to make when its moment came
    # (about half the time): of its 10 tries, at least one must have been.
    recovered_killed = sum(r.recovery_killed for r in results)
    assert recovered_killed >= 1, "no recovery tick was killed mid-cycle"


def check(rig: Rig, result: KillRun) -> None:
    assert rig.duplicates() == 0
    assert sum(result.statuses[s] for s in UNFINISHED) == 0, result.statuses
    assert sum(result.statuses.values()) == RUNS * PATIENTS
    # what the store calls sent, the providers received (unconfirmed: Telegram, no look-up)
    assert result.statuses["sent"] <= result.received
    assert result.statuses["sent"] + result.statuses["unconfirmed"] == RUNS * PATIENTS
