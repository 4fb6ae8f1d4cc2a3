"""Planning benchmark: materialise one week of reminders for N enrolled patients.

    python benchmarks/plan.py [--n 100000] [--sizes 10000,50000,100000]

Prints reminders planned per second and the peak of Python memory allocated while planning
(tracemalloc, on a second, untimed run), each size in a fresh process, so that "memory
flat as N grows" can be read off.
Goal: at least 20,000 reminders/s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import delete, insert  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.outbound.planning import plan  # noqa: E402
from bot.programs import catalog  # noqa: E402
from bot.store import crypto  # noqa: E402
from bot.store.models import Patient, Reminder  # noqa: E402
from bot.store.store import open_store  # noqa: E402

ZONES = ["Europe/Brussels", "Europe/Paris", "Europe/London", "Europe/Amsterdam", "UTC"]


def _seed(store, n: int, now: datetime) -> None:  # type: ignore[no-untyped-def]
    with store.session() as session:
        catalog.add_shipped(store, session, actor="bench")
        for start in range(0, n, 10_000):
            rows = [
                {
                    "pseudonym": f"P-{i:09d}",
                    "reference_index": f"ref-{i}",
                    "program": "post-stroke-weekly",
                    "language": "nl",
                    "timezone": ZONES[i % len(ZONES)],
                    "status": "active",
                    "enrolled_at": now - timedelta(days=30),
                    "starts_at": now - timedelta(days=23),
                    "plan_from": now - timedelta(days=23),
                    "ends_at": now + timedelta(weeks=40),
                }
                for i in range(start, min(start + 10_000, n))
            ]
            session.connection().execute(insert(Patient), rows)


def measure(n: int) -> dict[str, float]:
    """Seed N patients in a fresh store, then time one planning run."""
    now = datetime(2026, 11, 22, 12, tzinfo=UTC)  # a Sunday: the next Monday is in the week
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            carebot_database_url=f"sqlite:///{folder}/bench.db",
            carebot_master_key=crypto.encode_key(crypto.new_key()),
            carebot_pseudonym_secret=crypto.encode_key(crypto.new_key()),
        )
        store = open_store(settings)
        _seed(store, n, now)
        started = time.perf_counter()
        with store.session() as session:
            created = plan(store.engine, session, now=now, horizon_days=7)
        elapsed = time.perf_counter() - started
        # Memory is measured on a second run over the same patients (tracemalloc slows
        # Python down several times, so it must not be on while timing).
        with store.session() as session:
            session.connection().execute(delete(Reminder))
        tracemalloc.start()
        with store.session() as session:
            plan(store.engine, session, now=now, horizon_days=7)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        store.engine.dispose()
    return {
        "patients": n,
        "reminders": created,
        "seconds": round(elapsed, 2),
        "per_second": round(created / elapsed),
        "peak_mib": round(peak / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, help="one size, measured in this process")
    parser.add_argument("--sizes", default="10000,50000,100000")
    args = parser.parse_args()
    if args.n:
        print(json.dumps(measure(args.n)))
        return
    print(f"{'patients':>9} {'reminders':>9} {'seconds':>8} {'per second':>11} {'peak MiB':>9}")
    for size in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run(
            [sys.executable, __file__, "--n", str(size)], check=True, capture_output=True, text=True
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(
            f"{r['patients']:>9} {r['reminders']:>9} {r['seconds']:>8} "
            f"{r['per_second']:>11} {r['peak_mib']:>9}"
        )


if __name__ == "__main__":
    main()
