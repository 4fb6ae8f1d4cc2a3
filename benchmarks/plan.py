"""Planning benchmark: one week of reminders for N enrolled patients, against a raw insert
loop on the same store, and a tick with nothing new to plan.

    python benchmarks/plan.py [--n 100000] [--sizes 10000,50000,100000]

Each size runs in a fresh process, on a new SQLCipher store holding N active patients of
`post-stroke-weekly` (five zones), planned up to now. In that process, three rounds of the
following, the fastest of each kept (the machine is shared with other work):

- raw: the equivalent minimum, N rows of the reminder table's shape (the same columns,
  values already in the driver's form) inserted with one `executemany` per 5,000 rows,
  `ON CONFLICT DO NOTHING`, in one transaction; once plain, once with an AES-GCM seal per
  row (`crypto.encrypt_field` under one data key, into `note_enc`);
- plan: `plan()` as a tick calls it, the week ahead (one reminder per patient);
- idle: `plan()` again a minute later, when the horizon reaches no new slot;
- then the week's rows deleted and the marks set back, for the next round;
- memory, after the rounds: Python's allocation peak (tracemalloc) over one more, untimed,
  planning of the week.

Prints reminders per second for each, planning's ratio to each raw loop, and the idle
tick's time. Goals: planning at least 0.8x the raw loop; an idle tick for 100,000 patients
under 0.5 s.
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
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import delete, insert, update  # noqa: E402
from sqlmodel.sql.sqltypes import UTCDateTime  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.outbound.planning import COLUMNS, plan  # noqa: E402
from bot.programs import catalog  # noqa: E402
from bot.store import crypto  # noqa: E402
from bot.store.models import Patient, Reminder  # noqa: E402
from bot.store.store import Store, open_store  # noqa: E402

ROUNDS = 3
ZONES = ["Europe/Brussels", "Europe/Paris", "Europe/London", "Europe/Amsterdam", "UTC"]
BATCH = 5000


def _seed(store: Store, n: int, now: datetime) -> None:
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
                    "planned_until": now,
                }
                for i in range(start, min(start + 10_000, n))
            ]
            session.connection().execute(insert(Patient), rows)


def _raw(store: Store, n: int, now: datetime, *, seal: bool) -> float:
    """Seconds to insert N reminder-shaped rows the plainest way (see the docstring)."""
    tag = "sealed" if seal else "plain"
    with store.session() as session:
        connection = session.connection()
        write = UTCDateTime().dialect_impl(connection.dialect).bind_processor(connection.dialect)
        assert write is not None
        dues = [write(now + timedelta(days=1, hours=hour)) for hour in range(5)]
        updated = write(now)
        key = crypto.new_key()
        started = time.perf_counter()
        columns = COLUMNS + (", note_enc" if seal else "")
        places = ", ".join("?" for _ in columns.split(", "))
        sql = f"INSERT INTO reminder ({columns}) VALUES ({places}) ON CONFLICT DO NOTHING"
        for start in range(0, n, BATCH):
            rows: list[tuple[Any, ...]] = []
            for i in range(start, min(start + BATCH, n)):
                who = f"P-{i:09d}"
                label = f"2026-11-{23 + i % 5}T10:00"  # planning's key and label lengths
                row: tuple[Any, ...] = (
                    f"raw-{tag}-weekly|{who}|{label}", who, "raw", label, dues[i % 5], "planned",
                    None, 0, updated,
                )  # fmt: skip
                if seal:
                    row += (crypto.encrypt_field(key, "x" * 40, table="r", column="n", row=i),)
                rows.append(row)
            connection.exec_driver_sql(sql, rows)
    elapsed = time.perf_counter() - started
    with store.session() as session:  # its pages left free, for the next loop as for planning
        session.connection().execute(delete(Reminder).where(Reminder.program == "raw"))
    return elapsed


def _timed_plan(store: Store, now: datetime) -> tuple[int, float]:
    started = time.perf_counter()
    with store.session() as session:
        created = plan(store.engine, session, now=now, horizon_days=7)
    return created, time.perf_counter() - started


def measure(n: int) -> dict[str, float]:
    """Seed N patients in a fresh store; time the raw loops, planning, and an idle tick."""
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
        plain, sealed, elapsed, idles = [], [], [], []
        for _ in range(ROUNDS):  # interleaved, the fastest of each kept: the machine is shared
            plain.append(_raw(store, n, now, seal=False))
            sealed.append(_raw(store, n, now, seal=True))
            created, seconds = _timed_plan(store, now)
            elapsed.append(seconds)
            idle_created, idle = _timed_plan(store, now + timedelta(minutes=1))
            assert idle_created == 0, idle_created
            idles.append(idle)
            _replan(store, now)
        tracemalloc.start()
        _timed_plan(store, now)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        store.engine.dispose()
    plain_rate, sealed_rate, rate = n / min(plain), n / min(sealed), created / min(elapsed)
    return {
        "patients": n,
        "reminders": created,
        "raw_per_second": round(plain_rate),
        "sealed_per_second": round(sealed_rate),
        "per_second": round(rate),
        "ratio_raw": round(rate / plain_rate, 2),
        "ratio_sealed": round(rate / sealed_rate, 2),
        "idle_seconds": round(max(idles), 3),  # the slowest: an upper bound
        "peak_mib": round(peak / 2**20, 1),
    }


def _replan(store: Store, now: datetime) -> None:
    """The week's rows removed and the marks set back, for the next round."""
    with store.session() as session:
        session.connection().execute(delete(Reminder))
        session.connection().execute(update(Patient).values(planned_until=now))


COLUMNS_SHOWN = [  # (key, header, width)
    ("patients", "patients", 9),
    ("reminders", "reminders", 9),
    ("raw_per_second", "raw/s", 8),
    ("sealed_per_second", "sealed/s", 8),
    ("per_second", "plan/s", 8),
    ("ratio_raw", "x raw", 6),
    ("ratio_sealed", "x sealed", 8),
    ("idle_seconds", "idle s", 7),
    ("peak_mib", "peak MiB", 8),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, help="one size, measured in this process")
    parser.add_argument("--sizes", default="10000,50000,100000")
    args = parser.parse_args()
    if args.n:
        print(json.dumps(measure(args.n)))
        return
    print("raw/s: the plain insert loop; sealed/s: with AES-GCM per row; x: planning's ratio")
    print(" ".join(f"{head:>{width}}" for _, head, width in COLUMNS_SHOWN))
    for size in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run(
            [sys.executable, __file__, "--n", str(size)], check=True, capture_output=True, text=True
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(" ".join(f"{r[key]:>{width}}" for key, _, width in COLUMNS_SHOWN))


if __name__ == "__main__":
    main()
