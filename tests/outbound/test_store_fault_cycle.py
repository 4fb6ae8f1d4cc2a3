"""A store that stops taking writes mid-cycle: the cycle stops at the first failure with one
line, and what it could not record is looked up by the next cycle, never sent twice."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import select

from bot.channels.base import OutboundMessage
from bot.channels.console import ConsoleChannel
from bot.config import Settings
from bot.outbound.dispatch import Dispatcher
from bot.runtime import tick
from bot.store.faults import Fault, StoreFault
from bot.store.models import ConsoleMessage
from bot.store.store import Store, open_store
from tests.conftest import POSTGRES_ADMIN_URL
from tests.helpers import enrol_console, sent_count, settings_for, statuses, write_program

pytestmark = pytest.mark.skipif(bool(POSTGRES_ADMIN_URL), reason="SQLite's query_only")
DUE = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def weekly(tmp_path: Path, settings: Settings) -> Iterator[Store]:
    write_program(tmp_path)
    store = open_store(settings_for(tmp_path, settings))
    yield store
    store.engine.dispose()


class TurnsReadOnly(ConsoleChannel):
    """A console whose disk turns read-only (as ext4 does after an I/O error) once it has
    sent `after` messages: every connection taken from then on refuses writes."""

    def __init__(self, store: Store, after: int) -> None:
        super().__init__(store)
        self.after = after
        self.sends = 0

    async def send(self, message: OutboundMessage) -> str:
        provider_id = await super().send(message)
        self.sends += 1
        if self.sends == self.after:
            event.listen(self.store.engine, "checkout", _read_only)
        return provider_id


def _read_only(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    dbapi_connection.execute("PRAGMA query_only=ON")


def test_a_store_that_stops_taking_writes_stops_the_cycle_in_one_line(
    weekly: Store, caplog: pytest.LogCaptureFixture
) -> None:
    for i in range(20):
        enrol_console(weekly, ref=f"AZ-{i}", now=datetime(2026, 11, 20, tzinfo=UTC))
    tick(weekly, now=DUE - timedelta(days=1))
    console = TurnsReadOnly(weekly, after=5)
    with caplog.at_level(logging.INFO), pytest.raises(StoreFault) as caught:
        # one place: one send at a time (with more, the sends in flight as the store turns
        # are written as a group with the fifth)
        Dispatcher(
            store=weekly, channels={"console": console}, now=DUE, concurrency={"console": 1}
        ).run()
    assert caught.value.fault is Fault.READ_ONLY
    left = re.fullmatch(
        r"the store is read-only \(.*carebot\.db\): cycle stopped, (\d+) reminders left for "
        r"the next tick",
        str(caught.value),
    )
    assert left is not None, str(caught.value)
    # left: the 15 never sent, and the fifth, sent with its outcome unrecorded; a send in
    # flight as the store turned may count among them or not
    assert 15 <= int(left.group(1)) <= 17
    assert not [r for r in caplog.records if "unexpected" in r.getMessage()]
    assert console.sends == 5  # nothing more was sent once the store refused

    event.remove(weekly.engine, "checkout", _read_only)
    weekly.engine.dispose()  # the disk is writable again
    tick(weekly, now=DUE + timedelta(minutes=1))  # within the lease: left alone
    tick(weekly, now=DUE + timedelta(minutes=10))  # past it: looked up, or planned again
    tick(weekly, now=DUE + timedelta(minutes=20))  # what was never received: sent now
    assert sent_count(weekly) == 20  # the fifth was found, not sent again
    with weekly.session() as session:  # each patient got one message: none sent twice
        per_patient = Counter(session.exec(select(ConsoleMessage.pseudonym)).all())
    assert len(per_patient) == 20 and set(per_patient.values()) == {1}
    assert [status for slot, status in statuses(weekly) if slot.startswith("2026-11-23")] == [
        "sent"
    ] * 20
