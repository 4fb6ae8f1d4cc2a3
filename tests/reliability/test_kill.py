"""kill -9 of a real `carebot tick` at a random moment during its sends, then recovery.

Counted at both ends: duplicates from the fakes' received logs (fsynced before each answer,
so a killed carebot cannot hide a send) and reminders due but without a final status in the
store. benchmarks/reliability.py runs the same loop longer (100 runs of 1,000 reminders).
"""

from __future__ import annotations

import pytest

from tests.reliability.conftest import MakeRig
from tests.reliability.rig import UNFINISHED, kill_loop

pytestmark = pytest.mark.reliability

RUNS = 20
PATIENTS = 30


def test_a_tick_killed_during_its_sends_sends_nothing_twice_and_leaves_nothing_unfinished(
    make_rig: MakeRig,
) -> None:
    rig = make_rig(PATIENTS)
    result = kill_loop(rig, runs=RUNS, seed=11, kill_recovery_every=4)
    assert result.killed >= RUNS * 3 // 4, f"only {result.killed} of {RUNS} ticks were killed"
    assert result.recovery_killed >= 2
    assert rig.duplicates() == 0
    assert sum(result.statuses[s] for s in UNFINISHED) == 0, result.statuses
    assert sum(result.statuses.values()) == RUNS * PATIENTS
    # what the store calls sent, the providers received (unconfirmed: Telegram, no look-up)
    assert result.statuses["sent"] <= result.received
