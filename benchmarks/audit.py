"""Audit chain benchmark: appending, verifying and sealing the keyed chain.

    python benchmarks/audit.py [--n 100000]

Prints events appended per second (100 per transaction, as a busy dispatch cycle appends
them), `verify` over N events (keyed HMAC-SHA256), the one-time sealing of an unkeyed chain
of N events when the store is opened, and what opening a store costs once it has nothing to
seal.
No goal is set; the figures show what the keyed chain costs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402
from sqlmodel import col, select  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.store import (  # noqa: E402
    audit,
    audit_legacy,
    crypto,  # noqa: E402
)
from bot.store.models import AuditEvent  # noqa: E402
from bot.store.store import open_store  # noqa: E402


def _append(store, n: int) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    for start in range(0, n, 100):
        with store.session() as session:
            for i in range(start, min(start + 100, n)):
                audit.record(
                    session,
                    action="bench.event",
                    actor="bench",
                    subject=f"P-{i:09d}",
                    status="sent",
                    attempt=1,
                )
    return time.perf_counter() - started


def _unkeyed(store) -> None:  # type: ignore[no-untyped-def]
    """Turn the chain into one an older carebot wrote: unkeyed, and no audit key."""
    with store.session() as session:
        prev = audit.GENESIS
        for event in session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))).all():
            event.prev_hash, event.hash = prev, audit_legacy.unkeyed_hash(prev, event)
            prev = event.hash
            session.add(event)
        session.execute(text("DELETE FROM data_key WHERE owner = '_audit'"))


def measure(n: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            carebot_database_url=f"sqlite:///{folder}/bench.db",
            carebot_master_key=crypto.encode_key(crypto.new_key()),
            carebot_pseudonym_secret=crypto.encode_key(crypto.new_key()),
        )
        store = open_store(settings)
        appended = _append(store, n)
        with store.session() as session:
            started = time.perf_counter()
            verdict = audit.verify(session)
            verified = time.perf_counter() - started
        assert verdict.ok and verdict.checked == n
        _unkeyed(store)
        store.engine.dispose()
        started = time.perf_counter()
        sealed_store = open_store(settings)
        sealing = time.perf_counter() - started
        with sealed_store.session() as session:
            assert audit.verify(session).checked == n + 1
        sealed_store.engine.dispose()
        opens = []
        for _ in range(20):
            started = time.perf_counter()
            open_store(settings).engine.dispose()
            opens.append(time.perf_counter() - started)
    return {
        "appended_per_s": n / appended,
        "verify_s": verified,
        "seal_at_open_s": sealing,
        "open_ms_median": sorted(opens)[len(opens) // 2] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()
    result = measure(args.n)
    print(f"events: {args.n:,}")
    print(f"append: {result['appended_per_s']:,.0f} events/s (100 per transaction)")
    print(f"verify (keyed): {result['verify_s']:.2f} s")
    print(f"sealing the unkeyed chain at open: {result['seal_at_open_s']:.2f} s")
    print(f"opening a store with nothing to seal: {result['open_ms_median']:.1f} ms (median of 20)")


if __name__ == "__main__":
    main()
