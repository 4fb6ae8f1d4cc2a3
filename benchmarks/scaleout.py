"""Scale-out benchmark: 1, 2 and 4 `carebot tick` processes at once on one PostgreSQL store,
sending one slot's SMS reminders to a fake Twilio with 100 ms of latency.

    python benchmarks/scaleout.py [--patients 2000] [--latency 0.1] [--in-flight 4]
        [--dispatchers 1,2,4] [--kill/--no-kill] [--database-url ADMIN_URL]

On two cores the dispatchers are made I/O-bound, so that what is measured is how well they
share the work, not how many cores there are: each keeps at most `--in-flight` sends in
flight (CAREBOT_MAX_IN_FLIGHT), each send waits the fake's latency, and the sender's rate
(CAREBOT_TWILIO_RATE) is far above what they reach. The fake runs in a process of its own and
checks one request in 20 against Twilio's OpenAPI spec (its rules on every one).

A throwaway PostgreSQL server is started (.ci/postgres, on a free port) unless
`--database-url` names one (an admin URL: the benchmark creates and drops its databases).
The patients are enrolled and their reminders planned once, in a template database; each run
gets a fresh copy of it. With `--kill`, a last run of 4 dispatchers has one killed (SIGKILL)
mid-send; the others finish, then ticks past the send lease finish what it held.

Per run: reminders/s over the send window (first to last message the fake accepted), the
ratio to one dispatcher, lock waits (pg_stat_activity sampled every 20 ms: the share of
active backends waiting on a `Lock` or `LWLock`), CPU per reminder (dispatchers by wait4,
whole process; the server's processes from /proc), duplicates (messages to one recipient
beyond the first) and lost (due, but neither received by the fake nor `unconfirmed`).
Goals: 2 dispatchers >= 1.8x one, 4 >= 3.2x; 0 duplicates, 0 lost, the kill run included.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import scaleout_probe as probe  # noqa: E402
from benchmarks.scaleout_setup import Bench, Config, Share, exited, postgres, shares  # noqa: E402


@dataclass
class Run:
    """What one run measured."""

    dispatchers: int
    due: int = 0
    wall: float = 0.0
    cpu_dispatchers: float = 0.0
    cpu_server: float | None = None
    fake: probe.FakeReport = field(default_factory=probe.FakeReport)
    locks: probe.LockSampler | None = None
    statuses: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    lost: int = 0
    strays: int = 0
    split: list[Share] = field(default_factory=list)  # what each dispatcher sent, when
    failed_exits: list[int] = field(default_factory=list)
    in_window: int = 0  # messages accepted in the dispatchers' window (before any recovery)
    load: float = 0.0  # the machine's 1-minute load average as the run began
    kill: dict[str, int] = field(default_factory=dict)

    @property
    def sent(self) -> int:
        return sum(self.fake.accepted.values())

    @property
    def window(self) -> float:
        return self.fake.window

    @property
    def per_second(self) -> float:
        return self.in_window / self.window if self.window else 0.0


def run(bench: Bench, dispatchers: int, *, kill: bool = False) -> Run:
    """`dispatchers` ticks at once on a fresh copy of the template; one killed if `kill`."""
    result = Run(dispatchers)
    with bench.database() as database:
        env = bench.env(database, lease=bench.config.lease if kill else None)
        bench.reset_fake()
        _dispatch(bench, env, database, result, kill=kill)
        result.fake = bench.fake_report()  # the dispatchers' own send window
        result.in_window = result.sent
        if kill:  # then what the recovery ticks send, for the counts
            result.kill.update(_recover(bench, database, env, result.wall))
            result.fake.accepted = bench.fake_report().accepted
        _judge(bench, database, result)
    return result


def _dispatch(bench: Bench, env: dict[str, str], database: str, result: Run, *, kill: bool) -> None:
    """The ticks at once, timed, their CPU and the server's measured, locks sampled."""
    result.load = os.getloadavg()[0]
    server_before = bench.server_cpu()
    result.locks = probe.LockSampler(bench.admin, database)
    result.locks.start()
    started = time.monotonic()
    procs = [bench.spawn(env, bench.at) for _ in range(result.dispatchers)]
    if kill:
        result.kill["killed after"] = _kill_one(bench, procs[0], bench.config.patients)
    result.cpu_dispatchers, result.failed_exits = bench.reap(procs, allow=procs[:1] if kill else [])
    result.wall = time.monotonic() - started
    result.locks.stop()
    server_after = bench.server_cpu()
    if server_before is not None and server_after is not None:
        result.cpu_server = server_after - server_before


def idle_tick(bench: Bench) -> float:
    """The CPU seconds of a tick with nothing due (an hour before the slot): start-up, the
    store opened, planning checked for every patient, the channels opened and closed."""
    with bench.database() as database:
        env = bench.env(database)
        return bench.reap([bench.spawn(env, bench.at - timedelta(hours=1))])[0]


def _kill_one(bench: Bench, proc: subprocess.Popen[bytes], patients: int) -> int:
    """SIGKILL `proc` once the fake has accepted 30% of the slot (all dispatchers are then
    busy, each with its sends in flight); returns how many it had accepted."""
    deadline = time.monotonic() + 300
    while (count := bench.fake_count()) < patients * 0.3 and time.monotonic() < deadline:
        if exited(proc):
            break
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)  # still a zombie at worst: reaped (with its CPU) later
    return count


def _recover(bench: Bench, database: str, env: dict[str, str], elapsed: float) -> dict[str, int]:
    """What the killed tick left (claims, requests in flight), then ticks past the lease,
    every 2 minutes as cron would, until nothing due is left without a final status."""
    left = bench.unfinished(database)
    at = bench.at + timedelta(seconds=elapsed + bench.config.lease + 60)
    ticks = 0
    while bench.unfinished(database)["unfinished"] and ticks < 5:
        bench.reap([bench.spawn(env, at)])
        ticks, at = ticks + 1, at + timedelta(minutes=2)
    return {
        "left claimed": left["sending"],
        "left in flight": left["in flight"],
        "recovery ticks": ticks,
    }


def _judge(bench: Bench, database: str, result: Run) -> None:
    """Duplicates, lost and strays at the provider; statuses and split from the store."""
    due, result.split = bench.reminders(database)
    accepted = result.fake.accepted
    result.due = len(due)
    result.statuses = Counter(due.values())
    result.duplicates = probe.duplicates(accepted)
    result.lost = probe.lost(due, bench.numbers, accepted)
    result.strays = probe.strays((bench.numbers[p] for p in due), accepted)


def describe(r: Run, one: float | None, idle: float | None = None) -> str:
    """One run, in a few lines; `idle`: the CPU seconds of a tick with nothing to send."""
    ratio = f" ({r.per_second / one:.2f}x one)" if one else ""
    n = max(r.in_window, 1)  # CPU is the dispatchers', recovery ticks apart
    server = f"{r.cpu_server / n * 1000:.1f} ms" if r.cpu_server is not None else "n/a"
    marginal = ""
    if idle is not None:
        extra = (r.cpu_dispatchers - r.dispatchers * idle) / n * 1000
        marginal = f" ({extra:.1f} ms beyond each tick's fixed cost)"
    killed = f", one killed ({r.sent - r.in_window} sent by the recovery)" if r.kill else ""
    locks = r.locks
    waits = "n/a"
    if locks is not None and locks.active:
        top = ", ".join(f"{k} {v / locks.active:.0%}" for k, v in locks.waits.most_common(3))
        waits = (
            f"{locks.share():.0%} of {locks.active} active-backend samples "
            f"(Lock {locks.share('Lock'):.0%}, LWLock {locks.share('LWLock'):.0%}; {top or '-'})"
        )
    lines = [
        f"{r.dispatchers} dispatcher{'s' if r.dispatchers > 1 else ''}{killed}: {r.in_window} "
        f"of {r.due} due accepted in a {r.window:.1f} s send window: {r.per_second:.1f} reminders/s"
        f"{ratio}; {r.wall:.1f} s from start to the last exit; load average {r.load:.1f}",
        f"  lock waits: {waits}",
        f"  CPU per reminder: dispatchers {r.cpu_dispatchers / n * 1000:.1f} ms{marginal}, "
        f"server {server}, fake {r.fake.cpu / n * 1000:.1f} ms",
        f"  duplicates {r.duplicates}, lost {r.lost}, strays {r.strays}; statuses "
        f"{dict(r.statuses)}; sent per dispatcher {shares(r.split)}; provider max in flight "
        f"{r.fake.max_in_flight}; contract violations {len(r.fake.violations)}",
    ]
    if r.kill:
        lines.append(f"  kill: {r.kill}")
    if r.failed_exits:
        lines.append(f"  dispatchers exited non-zero: {r.failed_exits}")
    return "\n".join(lines)


def ok(r: Run) -> bool:
    """Whether a run was correct: nothing duplicated, lost or stray, no contract broken."""
    return not (r.duplicates or r.lost or r.strays or r.fake.violations or r.failed_exits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.1, help="the fake's, in seconds")
    parser.add_argument("--in-flight", type=int, default=4, help="CAREBOT_MAX_IN_FLIGHT")
    parser.add_argument("--dispatchers", default="1,2,4")
    parser.add_argument("--kill", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--database-url", help="a PostgreSQL admin URL (default: own server)")
    args = parser.parse_args()
    config = Config(patients=args.patients, latency=args.latency, in_flight=args.in_flight)
    counts = [int(n) for n in args.dispatchers.split(",")]
    plan = [(n, False) for n in counts] + ([(4, True)] if args.kill else [])
    results: list[Run] = []
    with tempfile.TemporaryDirectory() as folder, postgres(args.database_url) as admin:
        with Bench(Path(folder), admin, config) as bench:
            print(f"set-up: {config.patients} patients enrolled and planned in "
                  f"{bench.setup_seconds:.0f} s", flush=True)  # fmt: skip
            idle = bench.idle_cpu = idle_tick(bench)
            print(f"a tick with nothing to send (start-up, planning checked for every "
                  f"patient): {idle:.1f} s CPU", flush=True)  # fmt: skip
            for n, kill in plan:
                results.append(run(bench, n, kill=kill))
                one = results[0].per_second if counts[0] == 1 and n > 1 and not kill else None
                print(describe(results[-1], one, None if kill else idle), flush=True)
    if not all(ok(r) for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
