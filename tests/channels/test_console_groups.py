"""The console's log, written a group of sends at a time: one transaction for the sends
asked for together, and a bad message failing only its own send."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from bot.channels.base import OutboundMessage
from bot.channels.console import ConsoleChannel
from bot.config import Settings
from bot.store.store import Store, open_store
from tests.helpers import enrol_console, sent_count, settings_for, write_program


@pytest.fixture
def store(tmp_path: Path, settings: Settings) -> Iterator[Store]:
    write_program(tmp_path)
    opened = open_store(settings_for(tmp_path, settings))
    yield opened
    opened.engine.dispose()


def _message(pseudonym: str, attempt_id: int) -> OutboundMessage:
    return OutboundMessage(
        attempt_id=attempt_id,
        pseudonym=pseudonym,
        address=None,
        body="Dag Jan, vergeet uw bloeddruk niet.",
        created_at=datetime(2026, 11, 23, 9, tzinfo=UTC),
    )


def test_sends_asked_for_together_are_written_in_one_transaction(store: Store) -> None:
    pseudonym = enrol_console(store, now=datetime(2026, 11, 20, tzinfo=UTC))
    console = ConsoleChannel(store)
    begun: list[Any] = []
    event.listen(store.engine, "begin", begun.append)

    async def main() -> list[str]:
        return await asyncio.gather(*(console.send(_message(pseudonym, i)) for i in range(5)))

    ids = asyncio.run(main())
    assert len(set(ids)) == 5 and all(i.startswith("console-") for i in ids)
    assert len(begun) == 1
    assert sent_count(store) == 5
    found = asyncio.run(console.lookup(_message(pseudonym, 3)))
    assert found == ids[3]


def test_a_bad_message_fails_only_its_own_send(store: Store) -> None:
    pseudonym = enrol_console(store, now=datetime(2026, 11, 20, tzinfo=UTC))
    console = ConsoleChannel(store)
    asyncio.run(console.send(_message(pseudonym, 7)))

    async def main() -> list[Any]:
        messages = [_message(pseudonym, 6), _message(pseudonym, 7), _message(pseudonym, 8)]
        return await asyncio.gather(*(console.send(m) for m in messages), return_exceptions=True)

    first, again, last = asyncio.run(main())  # attempt 7 is in the log already
    assert isinstance(first, str) and isinstance(last, str)
    assert isinstance(again, Exception)
    assert sent_count(store) == 3
