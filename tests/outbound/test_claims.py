"""Claims as sends progress: renewed while they are worked on, sized by the lanes, and the
sends of a lane checked, saved and recorded in groups (a few transactions for many)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlmodel import select

from bot.channels.console import ConsoleChannel
from bot.config import Settings
from bot.outbound.dispatch import Dispatcher
from bot.runtime import tick
from bot.store.models import Reminder
from bot.store.store import Store, open_store
from tests.helpers import enrol_console, sent_count, settings_for, statuses, write_program

DUE = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def weekly(tmp_path: Path, settings: Settings) -> Iterator[Store]:
    write_program(tmp_path)
    store = open_store(settings_for(tmp_path, settings))
    for i in range(3):
        enrol_console(store, ref=f"AZ-{i}", now=datetime(2026, 11, 20, tzinfo=UTC))
    tick(store, now=DUE - timedelta(days=1))
    yield store
    store.engine.dispose()


def _claimed_by(store: Store, token: str) -> int:
    with store.session() as session:
        return len(session.exec(select(Reminder).where(Reminder.claim_token == token)).all())


@pytest.mark.parametrize("renewed", [True, False])
def test_claims_being_worked_on_are_renewed_and_not_taken_for_stale_ones(
    weekly: Store, renewed: bool
) -> None:
    """Cycle A claims three reminders and has run for nearly seven minutes (past the
    five-minute lease) when it prepares the first: a tenth of the lease went by since its
    last renewal, so all three claims are renewed, and cycle B, a minute on, finds none of
    them stale. Without the renewal, B plans the two waiting ones again."""
    console = ConsoleChannel(weekly)
    a = Dispatcher(store=weekly, channels={"console": console}, now=DUE)
    first, *waiting = a.claims.claim()
    assert len(waiting) == 2
    a.lease.started = time.monotonic() - 400  # A's clock reads DUE + 400 s
    if not renewed:
        a.lease.renewed = time.monotonic()  # renewed just now: only the one being sent
    else:
        a.lease.renewed = time.monotonic() - 31  # a tenth of the lease ago
    assert a.sender.prepare(first, set()) is not None
    b = Dispatcher(store=weekly, channels={"console": console}, now=DUE + timedelta(minutes=7))
    asyncio.run(b.reconcile.stale())
    assert _claimed_by(weekly, a.lease.token) == (3 if renewed else 1)


def test_a_claim_takes_what_the_lanes_send_in_a_share_of_the_lease(weekly: Store) -> None:
    console = ConsoleChannel(weekly)
    d = Dispatcher(store=weekly, channels={"console": console}, now=DUE, concurrency={"console": 2})
    d.lanes()
    assert d.claims.batch == 8  # four rounds of an unpaced lane's two places
    assert len(d.claims.claim()) == 3


def test_the_sends_of_a_lane_are_checked_saved_and_recorded_in_groups(
    tmp_path: Path, settings: Settings
) -> None:
    write_program(tmp_path)
    store = open_store(settings_for(tmp_path, settings))
    for i in range(24):
        enrol_console(store, ref=f"AZ-{i}", now=datetime(2026, 11, 20, tzinfo=UTC))
    tick(store, now=DUE - timedelta(days=1))
    begun: list[int] = []
    event.listen(store.engine, "begin", lambda _conn: begun.append(1))
    Dispatcher(store=store, channels={"console": ConsoleChannel(store)}, now=DUE).run()
    assert sent_count(store) == 24
    assert [s for slot, s in statuses(store) if slot.startswith("2026-11-23")] == ["sent"] * 24
    # one by one it took 4 or 5 a reminder (route, prepare, the console's log, record); in
    # groups, about 11 for the whole cycle (its health, reconciliation and expiry included)
    assert len(begun) <= 16, len(begun)
    store.engine.dispose()
