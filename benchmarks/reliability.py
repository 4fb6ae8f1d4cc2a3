"""Reliability benchmark: the kill -9 loop of tests/reliability/ at scale, and 30% faults.

    python benchmarks/reliability.py [--runs 100] [--n 1000] [--loops 2] [--faults-n 1000]

Each run is one weekly slot of `n` reminders (half Telegram, half SMS) to fake providers that
log every message they accept to a file, fsynced before they answer. A real `carebot tick`
subprocess is killed (SIGKILL) once the fakes have accepted a random number of that slot's
messages; a recovery tick follows past the send lease (every fourth one killed too, then
recovered again). `--loops` stores run side by side, each at most 50 runs (the program's 52
weeks). Then one slot of `--faults-n` reminders with 30% faults (5xx before acceptance, 429
with Retry-After) ticked every 5 minutes until its grace has passed.

Prints one line per run and the totals: duplicates counted at the fakes (same body to the
same recipient twice in one slot), reminders without a final status in the store, and the
statuses. Goal: 0 duplicates, 0 without a final status.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fakes.chaos import Chaos  # noqa: E402
from tests.reliability.rig import UNFINISHED, KillRun, Rig, kill_loop, recover, slot  # noqa: E402

WEEKS_PER_STORE = 50


def kill_runs(runs: int, n: int, loops: int) -> list[KillRun]:
    """`runs` kill runs over `loops` stores side by side (set up one after the other: the
    store's migrations run in Alembic's process-wide context)."""
    per_loop = [runs // loops + (1 if i < runs % loops else 0) for i in range(loops)]
    assert max(per_loop) <= WEEKS_PER_STORE, "more loops: a store holds 50 weekly runs"
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        rigs = []
        for index in range(loops):
            path = Path(folder) / f"store-{index}"
            path.mkdir()
            rigs.append(stack.enter_context(Rig(path, n)))

        def loop(index: int) -> KillRun:
            rig = rigs[index]

            def progress(week: int, run: KillRun) -> None:
                unfinished = rig.unfinished(due_by=slot(week))
                print(
                    f"store {index} run {week + 1}/{per_loop[index]}: "
                    f"{run.received} received so far, {rig.duplicates()} duplicates, "
                    f"{unfinished} without a final status",
                    flush=True,
                )

            return kill_loop(rig, runs=per_loop[index], seed=100 + index, progress=progress)

        with ThreadPoolExecutor(loops) as pool:
            return list(pool.map(loop, range(loops)))


def faults(n: int) -> Counter[str]:
    """One slot of `n` reminders with 30% faults on both providers, ticked until its grace
    has passed; its statuses, with `duplicates` and the faults drawn."""
    with tempfile.TemporaryDirectory() as folder, Rig(Path(folder), n) as rig:
        rig.telegram.chaos = Chaos(fault_rate=0.3, seed=5)
        rig.twilio.chaos = Chaos(fault_rate=0.3, seed=6)
        due = slot(0)
        rig.label("faults")
        at = recover(
            rig, due + timedelta(minutes=1), due_by=due, ticks=80, step=timedelta(minutes=5)
        )
        rig.tick(max(at, due + timedelta(hours=6, minutes=30)))
        counts = rig.statuses(due_by=due)
        counts["duplicates"] = rig.duplicates()
        drawn = rig.telegram.chaos.drawn + rig.twilio.chaos.drawn
        counts["faults drawn"] = drawn["fault"] + drawn["throttle"]
        return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--n", type=int, default=1000, help="reminders per run")
    parser.add_argument("--loops", type=int, default=2, help="stores side by side")
    parser.add_argument("--faults-n", type=int, default=1000, help="0: no fault run")
    args = parser.parse_args()
    started = time.perf_counter()
    results = kill_runs(args.runs, args.n, args.loops)
    statuses = sum((r.statuses for r in results), Counter())
    print(
        f"kill loop: {args.runs} runs of {args.n} reminders in "
        f"{time.perf_counter() - started:.0f} s; "
        f"{sum(r.killed for r in results)} ticks killed mid-cycle, "
        f"{sum(r.recovery_killed for r in results)} recovery ticks killed too; "
        f"{sum(r.received for r in results)} messages received, "
        f"{sum(r.duplicates for r in results)} duplicates, "
        f"{sum(statuses[s] for s in UNFINISHED)} without a final status; {dict(statuses)}",
        flush=True,
    )
    if args.faults_n:
        started = time.perf_counter()
        counts = faults(args.faults_n)
        print(
            f"30% faults: {args.faults_n} reminders in {time.perf_counter() - started:.0f} s; "
            f"{dict(counts)}"
        )


if __name__ == "__main__":
    main()
