"""Audit log benchmark: appending with 1 and 4 concurrent writers, sealing, verifying.

    python benchmarks/audit.py [--n 20000] [--per-tx 10] [--postgres ADMIN_URL]

Each writer is a process of its own (as dispatchers are) appending its share of N events,
`--per-tx` per transaction. With 4 writers a sealer process runs beside them once a second,
as `carebot run` seals at each tick. Prints the append rate of each run, the sealer's rate
(events sealed per second of sealing), `audit verify` over the whole chain, and, on
PostgreSQL, the share of the writers' and sealer's active time spent waiting on a lock
(sampled from pg_stat_activity every few milliseconds). A SQLCipher file by default; with
--postgres, a database made on that server and dropped afterwards. No goal is set.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, make_url, text  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.store import audit, crypto  # noqa: E402
from bot.store.store import open_store  # noqa: E402


def _settings(env: dict[str, str]) -> Settings:
    return Settings(_env_file=None, **env)  # type: ignore[call-arg, arg-type]


def _writer(env: dict[str, str], n: int, per_tx: int, start: Any, out: Any) -> None:
    store = open_store(_settings(env))
    with store.session() as session:  # warm: the audit key read once, as in a running process
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    start.wait()
    began = time.perf_counter()
    for first in range(0, n, per_tx):
        with store.session() as session:
            for i in range(first, min(first + per_tx, n)):
                audit.record(
                    session, action="bench.send", actor="bench", subject=f"P-{i:09d}", attempt=1
                )
    out.put((began, time.perf_counter()))
    store.engine.dispose()


def _sealer(env: dict[str, str], stop: Any, out: Any) -> None:
    store = open_store(_settings(env))
    sealed, busy = 0, 0.0
    while not stop.is_set():
        began = time.perf_counter()
        sealed += audit.seal_all(store.session, wait=False)
        busy += time.perf_counter() - began
        stop.wait(1.0)
    out.put((sealed, busy))
    store.engine.dispose()


def _lock_share(url: str, stop: Any, out: Any) -> None:
    """Sampled share of the other backends' active time spent waiting on a lock."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    waiting = active = 0
    with engine.connect() as conn:
        while not stop.is_set():
            row = conn.execute(
                text(
                    "SELECT count(*) FILTER (WHERE wait_event_type = 'Lock'), "
                    "count(*) FILTER (WHERE state = 'active') FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).one()
            waiting, active = waiting + row[0], active + row[1]
            time.sleep(0.005)
    out.put(waiting / active if active else 0.0)
    engine.dispose()


def _append_run(env: dict[str, str], n: int, per_tx: int, writers: int) -> dict[str, float]:
    ctx = mp.get_context("spawn")
    start, stop, out = ctx.Barrier(writers + 1), ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(target=_writer, args=(env, n // writers, per_tx, start, out))
        for _ in range(writers)
    ]
    side = ctx.Queue()
    helpers = []
    if writers > 1:
        helpers.append(ctx.Process(target=_sealer, args=(env, stop, side)))
    url = env["carebot_database_url"]
    if url.startswith("postgresql"):
        helpers.append(ctx.Process(target=_lock_share, args=(url, stop, side)))
    for proc in procs + helpers:
        proc.start()
    start.wait()
    spans = [out.get() for _ in procs]
    stop.set()
    results = [side.get() for _ in helpers]
    for proc in procs + helpers:
        proc.join()
    began, ended = min(s[0] for s in spans), max(s[1] for s in spans)
    figures = {"appended_per_s": (n // writers) * writers / (ended - began)}
    for value in results:
        if isinstance(value, tuple):
            figures["sealed_beside"], figures["sealer_busy_s"] = value
        else:
            figures["lock_wait_share"] = value
    return figures


def measure(env: dict[str, str], n: int, per_tx: int) -> dict[str, dict[str, float]]:
    store = open_store(_settings(env))
    store.engine.dispose()
    one = _append_run(env, n, per_tx, 1)
    store = open_store(_settings(env))
    began = time.perf_counter()
    sealed = audit.seal_all(store.session)
    one["seal_per_s"] = sealed / (time.perf_counter() - began)
    store.engine.dispose()
    four = _append_run(env, n, per_tx, 4)
    store = open_store(_settings(env))
    four["sealed_after"] = audit.seal_all(store.session)
    with store.session() as session:
        began = time.perf_counter()
        verdict = audit.verify(session)
        verified = time.perf_counter() - began
    store.engine.dispose()
    assert verdict.ok and verdict.unsealed == 0, verdict
    checked = {"events": verdict.checked, "s": verified}
    return {"1 writer": one, "4 writers": four, "verify": checked}


@contextmanager
def _database(postgres: str | None) -> Iterator[str]:
    if postgres is None:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    name = f"carebot_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="events per run")
    parser.add_argument("--per-tx", type=int, default=10, help="events per transaction")
    parser.add_argument("--postgres", help="a PostgreSQL admin URL (default: a SQLCipher file)")
    args = parser.parse_args()
    with _database(args.postgres) as url:
        env = {
            "carebot_database_url": url,
            "carebot_master_key": crypto.encode_key(crypto.new_key()),
            "carebot_pseudonym_secret": crypto.encode_key(crypto.new_key()),
        }
        result = measure(env, args.n, args.per_tx)
    print(f"store: {'PostgreSQL' if args.postgres else 'SQLCipher'}; {args.n:,} events per run, "
          f"{args.per_tx} per transaction")  # fmt: skip
    for run, figures in result.items():
        print(run + ": " + ", ".join(f"{k} {v:,.3f}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
