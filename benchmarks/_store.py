"""What the benchmarks share to set up a store: settings with new keys, and patients enrolled
through carebot's own code (as `carebot patient enrol` does)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import SecretStr

from bot.config import Settings
from bot.patients import enrolment
from bot.store import crypto
from bot.store.store import Store


def new_settings(database_url: str, **extra: Any) -> Settings:
    """Settings for the store at `database_url` under a new master key and pseudonym secret;
    `extra` adds other settings (a channel's, say)."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        carebot_database_url=database_url,
        carebot_master_key=SecretStr(crypto.encode_key(crypto.new_key())),
        carebot_pseudonym_secret=SecretStr(crypto.encode_key(crypto.new_key())),
        **extra,
    )


def enrol_many(store: Store, n: int, *, now: datetime, telegram: int | None = None) -> list[str]:
    """N patients BENCH-0… on the weekly post-stroke program in Brussels, on the console, or
    on Telegram with chat ids counting up from `telegram`; their pseudonyms."""
    return [
        enrolment.enrol(
            store,
            reference=f"BENCH-{i}",
            program="post-stroke-weekly",
            language="nl",
            timezone="Europe/Brussels",
            name="Jan",
            contacts={} if telegram is None else {"telegram": str(telegram + i)},
            consent=["console"] if telegram is None else ["telegram"],
            actor="bench",
            now=now,
        ).pseudonym
        for i in range(n)
    ]
