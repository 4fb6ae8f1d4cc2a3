"""Dispatch benchmark: N reminders over Telegram to a fake Bot API with 200 ms of latency and
Telegram's limits (30 messages/s overall, 1/s per chat).

    python benchmarks/dispatch.py [--n 2000] [--latency 0.2] [--database-url URL]

The store is a new SQLCipher file unless `--database-url` names an empty database (a
PostgreSQL one, say).

Prints messages per second sustained over the run and how many 429s the fake answered.
Goal: at least 29 messages/s over 2,000 messages, and no 429.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from multiprocessing import Pipe, Process
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pydantic import SecretStr  # noqa: E402

from benchmarks._store import enrol_many, new_settings  # noqa: E402
from bot.runtime import tick  # noqa: E402
from bot.store.store import open_store  # noqa: E402
from tests.fakes.telegram import FakeTelegram  # noqa: E402


def serve_fake(latency: float, conn: Connection) -> None:
    """The fake Bot API in a process of its own, as a real provider would be."""
    with FakeTelegram() as fake:
        fake.latency = latency
        conn.send((fake.url, fake.token))
        conn.recv()  # until the benchmark is done
        conn.send((len(fake.sent), len(fake.rate_limited)))


def run(n: int, latency: float, database_url: str | None = None) -> dict[str, float]:
    enrolled = datetime(2026, 11, 9, 12, tzinfo=UTC)
    due = datetime(2026, 11, 23, 9, 1, tzinfo=UTC)  # just after Monday 10:00 in Brussels
    ours, theirs = Pipe()
    server = Process(target=serve_fake, args=(latency, theirs), daemon=True)
    server.start()
    url, token = ours.recv()
    with tempfile.TemporaryDirectory() as folder:
        settings = new_settings(
            database_url or f"sqlite:///{folder}/bench.db",
            telegram_bot_token=SecretStr(token),
            telegram_bot_username="carebot_bench_bot",
            carebot_telegram_api_url=f"{url}/bot",
        )
        store = open_store(settings)
        enrol_many(store, n, now=enrolled, telegram=700_000)
        tick(store, now=due - timedelta(days=1))  # plan only: nothing is due yet
        started = time.perf_counter()
        result = tick(store, now=due)
        elapsed = time.perf_counter() - started
        store.engine.dispose()
    ours.send("done")
    sent, limited = ours.recv()
    server.join(timeout=10)
    return {
        "messages": sent,
        "sent": result.outcomes["sent"],
        "seconds": round(elapsed, 1),
        "per_second": round(sent / elapsed, 1),
        "rate_limited": limited,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--database-url", help="an empty database (default: a SQLCipher file)")
    args = parser.parse_args()
    r = run(args.n, args.latency, args.database_url)
    print(
        f"{r['messages']} messages ({r['sent']} reminders sent) in {r['seconds']} s: "
        f"{r['per_second']} messages/s, {r['rate_limited']} answered 429"
    )


if __name__ == "__main__":
    main()
