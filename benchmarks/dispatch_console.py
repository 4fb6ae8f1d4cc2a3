"""Dispatch pipeline benchmark: N due reminders on the console channel, one process, a new
SQLCipher file; what each reminder costs the dispatcher.

    python benchmarks/dispatch_console.py [--n 3000] [--profile FILE]

Prints reminders per second over the cycle (`tick`, planning excluded), SQL statements and
transactions per reminder (counted with SQLAlchemy's `before_cursor_execute` and `begin`
events on the store's engine), CPU milliseconds per reminder (the process's own CPU time),
and the ratio to a raw loop on the same store doing the least the same outcome takes:
claim the due rows and update them, a batch at a time, in one transaction per batch.
`--profile` writes a cProfile of the cycle. `--plain-audit` estimates the cycle once each
audit event is one plain INSERT (as the audit log without a global lock makes it): it
replaces `audit.record` for the run with one Core INSERT an event, unsealed.

Goals: at most 6 statements a reminder, at least 500 reminders/s (stretch 2,000/s).
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, insert, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from benchmarks._store import enrol_many, new_settings  # noqa: E402
from bot.runtime import tick  # noqa: E402
from bot.store import audit  # noqa: E402
from bot.store.models import AuditEvent  # noqa: E402
from bot.store.store import Store, open_store  # noqa: E402

ENROLLED = datetime(2026, 11, 9, 12, tzinfo=UTC)
DUE = datetime(2026, 11, 23, 9, 1, tzinfo=UTC)  # just after Monday 10:00 in Brussels


class Counts:
    """Statements and transactions on an engine while `on`."""

    def __init__(self, store: Store) -> None:
        self.statements = self.transactions = 0
        self.on = False
        event.listen(store.engine, "before_cursor_execute", self._statement)
        event.listen(store.engine, "begin", self._begin)

    def _statement(self, *_args: Any) -> None:
        self.statements += self.on

    def _begin(self, *_args: Any) -> None:
        self.transactions += self.on


def measured(counts: Counts, work: Any) -> dict[str, Any]:
    """Wall seconds, CPU seconds, statements and transactions of `work()`."""
    counts.statements = counts.transactions = 0
    counts.on = True
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    counts.on = False
    return {
        "seconds": wall,
        "cpu": cpu,
        "statements": counts.statements,
        "transactions": counts.transactions,
        "result": result,
    }


def raw_loop(store: Store, batch: int = 64) -> int:
    """The least a cycle's outcome takes: due rows claimed (FOR UPDATE SKIP LOCKED on
    PostgreSQL) and updated, `batch` at a time, one transaction per batch."""
    lock = " FOR UPDATE SKIP LOCKED" if store.engine.dialect.name == "postgresql" else ""
    done = 0
    while True:
        with store.engine.begin() as connection:
            ids = [
                row[0]
                for row in connection.execute(
                    text(
                        "SELECT id FROM reminder WHERE status = 'planned' AND due_at <= :now "
                        f"ORDER BY due_at LIMIT :n{lock}"
                    ),
                    {"now": DUE.replace(tzinfo=None), "n": batch},
                )
            ]
            if not ids:
                return done
            connection.execute(
                text("UPDATE reminder SET status = 'sent', attempts = attempts + 1 WHERE id = :id"),
                [{"id": i} for i in ids],
            )
            done += len(ids)


def plain_audit(store: Store) -> None:
    """`audit.record` as one INSERT an event, its seal left empty (an estimate only)."""
    with store.engine.begin() as connection:
        last = connection.execute(text("SELECT coalesce(max(seq), 0) FROM audit_event"))
        seqs = itertools.count(int(last.scalar_one()) + 1)

    def record(
        session: Session,
        *,
        action: str,
        actor: str,
        subject: str | None = None,
        at: datetime | None = None,
        **detail: Any,
    ) -> None:
        session.execute(
            insert(AuditEvent.__table__),  # type: ignore[attr-defined]
            {
                "seq": next(seqs),
                "at": at or datetime.now(UTC),
                "actor": actor,
                "action": action,
                "subject": subject,
                "detail": json.dumps(detail, sort_keys=True, default=str),
                "prev_hash": "",
                "hash": "",
            },
        )

    audit.record = record  # type: ignore[assignment]


def run(
    n: int, database_url: str | None = None, profile: str | None = None, plain: bool = False
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(new_settings(database_url or f"sqlite:///{folder}/bench.db"))
        enrol_many(store, n, now=ENROLLED)
        tick(store, now=DUE - timedelta(days=1))  # plan only: nothing is due yet
        if plain:
            plain_audit(store)
        counts = Counts(store)
        profiler = cProfile.Profile() if profile else None
        if profiler is not None:
            profiler.enable()
        cycle = measured(counts, lambda: tick(store, now=DUE))
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile)  # type: ignore[arg-type]
        with store.engine.begin() as connection:  # the same rows, due again, for the raw loop
            connection.execute(text("UPDATE reminder SET status = 'planned'"))
        raw = measured(counts, lambda: raw_loop(store))
        store.close()
    sent = cycle["result"].outcomes["sent"]
    per = max(sent, 1)
    return {
        "sent": sent,
        "seconds": round(cycle["seconds"], 2),
        "per_second": round(sent / cycle["seconds"], 1),
        "statements": round(cycle["statements"] / per, 2),
        "transactions": round(cycle["transactions"] / per, 3),
        "cpu_ms": round(1000 * cycle["cpu"] / per, 2),
        "raw_per_second": round(raw["result"] / raw["seconds"], 1),
        "raw_statements": round(raw["statements"] / max(raw["result"], 1), 3),
        "ratio": round((raw["result"] / raw["seconds"]) / (sent / cycle["seconds"]), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--database-url", help="an empty database (default: a SQLCipher file)")
    parser.add_argument("--profile", help="write a cProfile of the cycle to this file")
    parser.add_argument("--plain-audit", action="store_true", help="audit events as plain INSERTs")
    args = parser.parse_args()
    r = run(args.n, args.database_url, args.profile, args.plain_audit)
    print(
        f"{r['sent']} reminders sent in {r['seconds']} s: {r['per_second']} reminders/s, "
        f"{r['statements']} statements and {r['transactions']} transactions a reminder, "
        f"{r['cpu_ms']} ms CPU a reminder; raw loop {r['raw_per_second']}/s "
        f"({r['raw_statements']} statements a row): {r['ratio']}x faster"
    )


if __name__ == "__main__":
    main()
