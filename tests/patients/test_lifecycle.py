"""Pause, resume, consent at the moment of sending, export, and the schema's migrations."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from bot.config import Settings
from bot.patients import lifecycle
from bot.runtime import tick
from bot.store.store import Store, open_store
from tests.helpers import enrol_console, sent_count, settings_for, statuses, write_program

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Brussels


@pytest.fixture
def weekly(tmp_path: Path, settings: Settings) -> Iterator[Store]:
    write_program(tmp_path)
    store = open_store(settings_for(tmp_path, settings))
    yield store
    store.engine.dispose()


def test_pausing_cancels_what_falls_due_and_resuming_sends_no_burst(weekly: Store) -> None:
    who = enrol_console(weekly, now=datetime(2026, 11, 1, tzinfo=UTC))
    tick(weekly, now=MONDAY.replace(day=20))  # plans the 23rd
    assert lifecycle.pause(weekly, who, actor="test", now=MONDAY.replace(day=21)) == 1
    for day in (23, 30):
        tick(weekly, now=MONDAY.replace(day=day))
    lifecycle.resume(weekly, who, actor="test", now=MONDAY.replace(day=30, hour=9, minute=30))
    tick(weekly, now=MONDAY.replace(day=30, hour=10))  # within the grace of the 30th: not sent
    assert sent_count(weekly) == 0
    tick(weekly, now=datetime(2026, 12, 7, 9, 1, tzinfo=UTC))
    assert sent_count(weekly) == 1
    assert statuses(weekly) == [
        ("2026-11-23T10:00", "cancelled"),
        ("2026-12-07T10:00", "sent"),
        ("2026-12-14T10:00", "planned"),
    ]


def test_consent_is_checked_when_sending_not_only_when_planning(weekly: Store) -> None:
    who = enrol_console(weekly, now=datetime(2026, 11, 1, tzinfo=UTC))
    tick(weekly, now=MONDAY.replace(day=20))
    lifecycle.change_consent(weekly, who, channel="console", granted=False, actor="test")
    tick(weekly, now=MONDAY)
    assert sent_count(weekly) == 0
    assert ("2026-11-23T10:00", "undeliverable") in statuses(weekly)


def test_export_gives_the_patient_their_own_data_decrypted(weekly: Store) -> None:
    who = enrol_console(weekly, now=datetime(2026, 11, 1, tzinfo=UTC))
    tick(weekly, now=MONDAY)
    data = lifecycle.export(weekly, who, actor="test")
    assert data["name"] == "Jan" and data["consent"]["current"] == {"console": True}
    assert [r["status"] for r in data["reminders"]][:1] == ["sent"]


def test_the_migrations_match_the_models(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == [], "a model changed without an Alembic migration"
