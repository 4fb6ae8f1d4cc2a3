"""Fuzz benchmark: hostile requests against every webhook of carebot's server, counting 5xx
answers and writes made by unauthenticated requests (both must be 0).

    python benchmarks/fuzz.py [--cases 10000] [--seed 1] [--database-url URL]

The app is served by uvicorn on 127.0.0.1 with `carebot serve`'s configuration
(bot/inbound/server.py), in this process so that every SQL write can be counted and laid at
the request that made it; the cases (tests/fuzzing.py, the same generator as the test suite's
2,000) are sent one at a time over HTTP. The store is a new SQLCipher file unless
`--database-url` names an empty database. Afterwards, the forgeries among a second batch are
sent again alone, and every table's row count compared before and after.
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.inbound import server  # noqa: E402
from bot.inbound.webhooks import build_app  # noqa: E402
from bot.store import crypto  # noqa: E402
from tests.fuzzing import Case, Tally, cases, row_counts, run, secured  # noqa: E402


def _serve(app: object) -> tuple[uvicorn.Server, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    uv = uvicorn.Server(server.config(app, host="127.0.0.1", port=port))  # type: ignore[arg-type]
    threading.Thread(target=uv.run, daemon=True).start()
    while not uv.started:
        time.sleep(0.02)
    return uv, f"http://127.0.0.1:{port}"


def _report(name: str, tally: Tally, seconds: float) -> None:
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(tally.statuses.items()))
    print(
        f"{name}: {tally.cases} cases in {seconds:.1f} s; 5xx: {tally.server_errors}; "
        f"unauthenticated writes: {tally.unauthenticated_writes}"
    )
    print(f"  statuses: {statuses}")
    for failure in tally.failures[:10]:
        print(f"  {failure}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="an empty database (default: a SQLCipher file)")
    args = parser.parse_args()
    logging.getLogger("carebot").addHandler(logging.NullHandler())  # one warning per forgery
    with tempfile.TemporaryDirectory() as folder:
        store = secured(
            Settings(
                _env_file=None,  # type: ignore[call-arg]
                carebot_database_url=args.database_url or f"sqlite:///{folder}/carebot.db",
                carebot_master_key=crypto.encode_key(crypto.new_key()),
                carebot_pseudonym_secret=crypto.encode_key(crypto.new_key()),
            )
        )
        uv, url = _serve(build_app(store))
        with httpx.Client(base_url=url, timeout=30) as client:

            def send(case: Case) -> int:
                """The answer's status; 0 when the connection broke without one."""
                try:
                    return client.request(
                        case.method, case.path, content=case.body, headers=case.headers
                    ).status_code
                except httpx.TransportError:
                    return 0

            started = time.perf_counter()
            tally = run(send, store, cases(args.seed, args.cases))
            _report("all cases", tally, time.perf_counter() - started)
            forged = [c for c in cases(args.seed + 1, args.cases // 5) if not c.authentic]
            before, started = row_counts(store), time.perf_counter()
            again = run(send, store, iter(forged))
            _report("forgeries alone", again, time.perf_counter() - started)
            same = row_counts(store) == before
            print(f"  every table's rows before and after: {'equal' if same else 'DIFFER'}")
        uv.should_exit = True
        store.engine.dispose()
    if (
        tally.server_errors
        or tally.unauthenticated_writes
        or again.unauthenticated_writes
        or not same
    ):
        sys.exit(1)


if __name__ == "__main__":
    main()
