"""Report benchmark: the figures of 52 weeks for N patients, each with a reminder and a reply
carrying a blood-pressure reading every week, and a year of `carebot run` cycles (one a
minute, each a `plan` audit event).

    python benchmarks/report.py [--patients 1000] [--weeks 52]

Prints the rows seeded and the time `carebot report` takes to build its document (the
queries, decrypting every reading, the figures, the cohort), on a SQLCipher file. The
store is seeded with direct inserts (its audit chain is not valid: it is thrown away).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402

from benchmarks._store import new_settings  # noqa: E402
from bot.programs import catalog  # noqa: E402
from bot.report.document import build  # noqa: E402
from bot.store.models import AuditEvent, Patient, Reminder, Reply  # noqa: E402
from bot.store.store import Store, open_store  # noqa: E402

UNTIL = datetime(2026, 11, 29, 23, 59, tzinfo=UTC)  # a Sunday
STATUSES = ["sent", "delivered", "read", "failed", "missed", "sent", "undeliverable"]


def _seed(store: Store, patients: int, weeks: int) -> dict[str, int]:
    first = UNTIL - timedelta(weeks=weeks) + timedelta(minutes=1)
    counts = {"reminders": 0, "replies": 0, "cycles": 0}
    with store.session() as session:
        catalog.add_shipped(store, session, actor="bench")
        for i in range(patients):
            who = f"P-{i:09d}"
            session.add(
                Patient(
                    pseudonym=who,
                    reference_index=f"ref-{i}",
                    program="post-stroke-weekly",
                    language="nl",
                    timezone="Europe/Brussels",
                    enrolled_at=first,
                    starts_at=first,
                    plan_from=first,
                )  # fmt: skip
            )
            store.create_data_key(session, who)
        session.flush()
        reminders, replies = [], []
        for week in range(weeks):
            due = first + timedelta(weeks=week, hours=9)
            for i in range(patients):
                who = f"P-{i:09d}"
                reminders.append(
                    {"occurrence_key": f"{who}|{week}", "pseudonym": who, "program":
                     "post-stroke-weekly", "local_slot": str(week), "due_at": due,
                     "status": STATUSES[(i + week) % len(STATUSES)], "updated_at": due}
                )  # fmt: skip
                replies.append((who, due + timedelta(hours=2), 120 + (i + week) % 50))
        session.connection().execute(insert(Reminder), reminders)
        for row_id, (who, at, systolic) in enumerate(replies, start=1):
            readings = json.dumps({"systolic": systolic, "diastolic": 80})
            session.add(
                Reply(
                    id=row_id,
                    pseudonym=who,
                    key_owner=who,
                    channel="console",
                    received_at=at,
                    text_enc=b"",
                    flags="attention" if systolic >= 140 else "",
                    readings_enc=store.encrypt(
                        session, who, readings, table="reply", column="readings", row=row_id
                    ),
                )  # fmt: skip
            )
        minutes = weeks * 7 * 24 * 60
        cycles = [
            {"at": first + timedelta(minutes=n), "actor": "scheduler",
             "action": "plan", "detail": "{}", "prev_hash": "", "hash": ""}
            for n in range(minutes)
        ]  # fmt: skip
        session.connection().execute(insert(AuditEvent), cycles)
        counts.update(reminders=len(reminders), replies=len(replies), cycles=minutes)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--weeks", type=int, default=52)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = new_settings(f"sqlite:///{folder}/bench.db")
        store = open_store(settings)
        seeded = _seed(store, args.patients, args.weeks)
        store.engine.dispose()
        store = open_store(settings)  # a fresh process's caches: no data key unwrapped yet
        started = time.perf_counter()
        with store.session() as session:
            document = build(
                store, session, weeks=args.weeks, until=UNTIL, program=None, threshold=5
            )
        elapsed = time.perf_counter() - started
        store.engine.dispose()
    ran = sum(bool(w["ran"]) for w in document["weeks"])
    print(json.dumps({**seeded, "weeks_ran": ran, "seconds": round(elapsed, 2)}))


if __name__ == "__main__":
    main()
