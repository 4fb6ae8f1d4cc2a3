"""FHIR export benchmark: `carebot export fhir` of a ward, timed in process.

    python benchmarks/export_fhir.py [--patients 300] [--weeks 12] [--replies 6]
                                     [--database-url URL]

Seeds a new store through carebot's own code: N patients enrolled on the console, `--weeks`
weeks of reminders planned (then marked sent), `--replies` replies each (blood pressure and
glucose readings, some urgent) received and triaged. Then times the export (gathering and
decrypting, the audit event, writing the NDJSON files and one bundle per patient) and prints
resources per second. No goal is set by the design; the figure says what an export costs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import col, update  # noqa: E402

from benchmarks._store import enrol_many, new_settings  # noqa: E402
from bot.export.fhir import export  # noqa: E402
from bot.export.fhir_gather import Selection  # noqa: E402
from bot.inbound.receive import receive  # noqa: E402
from bot.outbound.planning import plan  # noqa: E402
from bot.store.models import Reminder  # noqa: E402
from bot.store.store import Store, open_for_reading, open_store  # noqa: E402

TEXTS = (
    "bloeddruk 150 op 95, suiker 7,8",
    "tension 13/8, glycémie 1,26",
    "bp 128/79 and sugar 110 mg/dL",
    "mijn arm is slap sinds vanmorgen",
    "alles goed, dank u",
    "suiker 6,4",
)


def _seed(store: Store, *, patients: int, weeks: int, replies: int, start: datetime) -> None:
    who = enrol_many(store, patients, now=start)
    with store.session() as session:
        plan(store.engine, session, now=start, horizon_days=7 * weeks)
        session.exec(
            update(Reminder).where(col(Reminder.id) > 0).values(status="sent", channel="console")
        )
    for n, pseudonym in enumerate(who):
        for k in range(replies):
            at = start + timedelta(days=7 * k + 1, minutes=n % 60)
            text = TEXTS[(n + k) % len(TEXTS)]
            receive(store, channel="console", text=text, received_at=at, pseudonym=pseudonym)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--replies", type=int, default=6)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = new_settings(args.database_url or f"sqlite:///{folder}/carebot.db")
        store = open_store(settings)
        start = datetime.now(UTC) - timedelta(weeks=args.weeks)
        began = time.perf_counter()
        _seed(store, patients=args.patients, weeks=args.weeks, replies=args.replies, start=start)
        seeded = time.perf_counter() - began
        store.close()
        store = open_store(settings)  # a fresh process's cold caches: no data key unwrapped
        reader = open_for_reading(settings)  # as the command reads: no write lock held
        began = time.perf_counter()
        manifest = export(
            store,
            reader=reader,
            out=Path(folder) / "out",
            selection=Selection(),
            actor="bench",
            now=datetime.now(UTC),
        )
        took = time.perf_counter() - began
        reader.engine.dispose()
        store.close()
    total = sum(manifest["counts"].values())
    print(f"seeded in {seeded:.1f} s: {manifest['counts']}")
    print(
        f"export: {manifest['patients']} patients, {total} resources in {took:.2f} s "
        f"({total / took:,.0f} resources/s, {took / manifest['patients'] * 1000:.1f} ms a patient)"
    )


if __name__ == "__main__":
    main()
