"""Inbound benchmark: signed Twilio SMS webhooks against `carebot serve`, each verified and
stored encrypted (SQLCipher, WAL, synchronous=FULL).

    python benchmarks/inbound.py [--requests 3000] [--concurrency 32] [--database-url URL]

The store is a new SQLCipher file unless `--database-url` names an empty database (a
PostgreSQL one, say).

Prints requests per second and latency percentiles. Goal: at least 300 requests/s on a
2-core machine (the load generator shares the machine).

Before the server starts, the same store runs a raw loop doing the equivalent minimum of a
reply, one after the other, as many as there are requests: in one transaction each, the
duplicate check on the provider's message id, an AES-GCM seal of the text under a data key
already unwrapped, and the insert of the reply (then those rows are deleted). The webhooks'
ratio to it is printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
CAREBOT = str(Path(sys.executable).with_name("carebot"))
TOKEN = secrets.token_hex(16)
PATIENTS = 5


def _env(database_url: str, url: str) -> dict[str, str]:
    sys.path.insert(0, str(ROOT))
    from bot.store import crypto

    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREBOT_")}
    env.update(
        {
            "CAREBOT_DATABASE_URL": database_url,
            "CAREBOT_MASTER_KEY": crypto.encode_key(crypto.new_key()),
            "CAREBOT_PSEUDONYM_SECRET": crypto.encode_key(crypto.new_key()),
            "CAREBOT_PUBLIC_URL": url,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "TWILIO_FROM": "+3278000000",
        }
    )
    return env


async def _load(url: str, total: int, concurrency: int) -> list[float]:
    validator = RequestValidator(TOKEN)
    latencies: list[float] = []
    queue = iter(range(total))

    async def worker(client: httpx.AsyncClient) -> None:
        for i in queue:
            form = {
                "MessageSid": f"SM{i:032x}",
                "From": f"+324701{i % PATIENTS:05d}",
                "To": "+3278000000",
                "Body": f"bloeddruk {120 + i % 40} op 80",
            }
            headers = {
                "X-Twilio-Signature": validator.compute_signature(
                    f"{url}/webhooks/twilio/sms", form
                )
            }
            started = time.perf_counter()
            response = await client.post(f"{url}/webhooks/twilio/sms", data=form, headers=headers)
            assert response.status_code == 200, response.status_code
            latencies.append(time.perf_counter() - started)

    async with httpx.AsyncClient(timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return latencies


def _raw_loop(env: dict[str, str], total: int) -> float:
    """Replies per second of the raw loop (see the docstring), on the benchmark's store."""
    from sqlmodel.sql.sqltypes import UTCDateTime

    from bot.config import Settings
    from bot.store import crypto
    from bot.store.store import open_store

    store = open_store(
        Settings(
            _env_file=None,  # type: ignore[call-arg]
            carebot_database_url=env["CAREBOT_DATABASE_URL"],
            carebot_master_key=env["CAREBOT_MASTER_KEY"],
            carebot_pseudonym_secret=env["CAREBOT_PSEUDONYM_SECRET"],
        )
    )
    key = crypto.new_key()
    write = UTCDateTime().dialect_impl(store.engine.dialect).bind_processor(store.engine.dialect)
    assert write is not None
    p = "%s" if store.engine.dialect.name == "postgresql" else "?"
    seen = f"SELECT id FROM reply WHERE provider_message_id = {p}"
    columns = "key_owner, channel, received_at, provider_message_id, text_enc, flags, priority"
    add = f"INSERT INTO reply ({columns}, reviewed) VALUES ({', '.join([p] * 7)}, false)"
    started = time.perf_counter()
    for i in range(total):
        sid = f"raw{i:029x}"
        with store.session() as session:
            connection = session.connection()
            if connection.exec_driver_sql(seen, (sid,)).first() is None:
                text = crypto.encrypt_field(
                    key, f"bloeddruk {120 + i % 40} op 80", table="reply", column="text", row=i
                )
                now = write(datetime.now(UTC))
                connection.exec_driver_sql(add, ("_inbox", "sms", now, sid, text, "", 3))
    elapsed = time.perf_counter() - started
    with store.session() as session:
        gone = f"DELETE FROM reply WHERE provider_message_id LIKE {p}"
        session.connection().exec_driver_sql(gone, ("raw%",))
    store.close()
    return total / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--database-url", help="an empty database (default: a SQLCipher file)")
    args = parser.parse_args()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as folder:
        env = _env(args.database_url or f"sqlite:///{folder}/bench.db", url)
        for i in range(PATIENTS):  # so that replies are matched, not `unknown sender`
            subprocess.run(
                [
                    CAREBOT,
                    "patient",
                    "enrol",
                    "--ref",
                    f"B-{i}",
                    "--program",
                    "post-stroke-weekly",
                    "--lang",
                    "nl",
                    "--tz",
                    "Europe/Brussels",
                    "--name",
                    "Jan",
                    "--sms",
                    f"+324701{i:05d}",
                    "--consent",
                    "sms",
                ],
                env=env,
                check=True,
                capture_output=True,
            )
        raw = _raw_loop(env, args.requests)
        server = subprocess.Popen([CAREBOT, "serve", "--port", str(port)], env=env)
        try:
            for _ in range(100):
                try:
                    httpx.get(f"{url}/healthz", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            started = time.perf_counter()
            latencies = asyncio.run(_load(url, args.requests, args.concurrency))
            elapsed = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(timeout=10)
    latencies.sort()
    p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]
    print(
        f"{len(latencies)} signed SMS webhooks in {elapsed:.1f} s: "
        f"{len(latencies) / elapsed:.0f} requests/s, p50 {p50 * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms"
    )
    rate = len(latencies) / elapsed
    print(f"raw loop on the same store: {raw:.0f} replies/s; webhooks {rate / raw:.2f}x of it")


if __name__ == "__main__":
    main()
