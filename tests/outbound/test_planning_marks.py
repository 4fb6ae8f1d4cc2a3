"""Incremental planning: each enrolment's `planned_until` mark, kept right by every path that
changes what should be planned, and the counts planning reports (PostgreSQL included)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import event
from sqlmodel import col, func, select

from bot.config import Settings
from bot.outbound import planning
from bot.patients import edit, lifecycle
from bot.programs import catalog
from bot.store import audit, schema
from bot.store.models import PLAN_NEVER, Patient, Reminder
from bot.store.store import Store, open_store
from tests.helpers import enrol_console, settings_for, write_program

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Brussels


@pytest.fixture
def weekly(tmp_path: Path, settings: Settings) -> Iterator[Store]:
    write_program(tmp_path)
    write_program(tmp_path, name="test-sunday-night", cadence='days = ["sun"]\ntime = "02:30"')
    store = open_store(settings_for(tmp_path, settings))
    yield store
    store.engine.dispose()


def plan(store: Store, now: datetime) -> tuple[int, int]:
    with store.session() as session:
        return planning.plan_counts(store.engine, session, now=now, horizon_days=7)


def mark(store: Store, who: str) -> datetime | None:
    with store.session() as session:
        patient = session.get(Patient, who)
        assert patient is not None
        return patient.planned_until


def rows(store: Store) -> Counter[str]:
    """How many reminders per status."""
    with store.session() as session:
        found = session.exec(select(Reminder.status, func.count()).group_by(Reminder.status))
        return Counter({str(status): int(n) for status, n in found})


def slots(store: Store, who: str) -> list[tuple[str, datetime, str]]:
    with store.session() as session:
        found = session.exec(
            select(Reminder).where(Reminder.pseudonym == who).order_by(col(Reminder.due_at))
        )
        return [(r.local_slot, r.due_at, r.status) for r in found]


def due_now(store: Store, horizon: datetime) -> list[str]:
    """The enrolments a planning with that horizon looks at."""
    with store.session() as session:
        return [row[0] for row in planning._due(session, horizon)]


def test_planning_twice_creates_nothing_and_an_idle_tick_looks_at_no_enrolment(
    weekly: Store,
) -> None:
    now = MONDAY - timedelta(days=3)
    who = [enrol_console(weekly, ref=f"AZ-{i}", now=now) for i in range(3)]
    assert plan(weekly, now) == (3, 0)
    assert rows(weekly) == {"planned": 3}
    assert plan(weekly, now) == (0, 0)
    assert plan(weekly, now + timedelta(minutes=1)) == (0, 0)
    assert rows(weekly) == {"planned": 3}
    # The mark is the first slot past the horizon: next Monday's, not the horizon itself.
    assert mark(weekly, who[0]) == MONDAY + timedelta(days=7)
    assert due_now(weekly, now + timedelta(days=7, minutes=1)) == []
    assert sorted(due_now(weekly, MONDAY + timedelta(days=7))) == sorted(who)


def test_the_counts_are_the_rows_made_after_a_gap(weekly: Store) -> None:
    """What plan_counts reports is what it wrote, planned and `missed` (PostgreSQL's
    executemany gives no row count: the counts must not come from it)."""
    start = MONDAY - timedelta(days=3)
    for i in range(4):
        enrol_console(weekly, ref=f"AZ-{i}", now=start)
    assert plan(weekly, start) == (4, 0)
    back = MONDAY + timedelta(days=21, hours=-1)  # an hour before the 14th's slot
    planned, missed = plan(weekly, back)
    assert (planned, missed) == (4, 8)  # the 14th ahead; the 30th and the 7th missed
    assert rows(weekly) == {"planned": 8, "missed": 8}
    assert plan(weekly, back) == (0, 0)


def test_pause_resume_edit_and_end_set_the_mark(weekly: Store) -> None:
    who = enrol_console(weekly, now=datetime(2026, 11, 1, tzinfo=UTC))
    plan(weekly, MONDAY - timedelta(days=3))
    assert mark(weekly, who) == MONDAY + timedelta(days=7)
    lifecycle.pause(weekly, who, actor="test", now=MONDAY - timedelta(days=2))
    assert mark(weekly, who) == PLAN_NEVER
    assert plan(weekly, MONDAY + timedelta(days=5)) == (0, 0)
    resumed = MONDAY + timedelta(days=7, minutes=30)  # just after the 30th's slot
    lifecycle.resume(weekly, who, actor="test", now=resumed)
    assert mark(weekly, who) == resumed
    assert plan(weekly, resumed + timedelta(minutes=5)) == (1, 0)  # the 7th; the 30th not
    edited = resumed + timedelta(days=1)
    changed = edit.edit(weekly, who, edit.Changes(timezone="Europe/London"), actor="t", now=edited)
    assert changed.replaced == 1 and mark(weekly, who) == edited
    assert plan(weekly, edited) == (1, 0)
    ahead = [s for s in slots(weekly, who) if s[2] == "planned"]
    assert ahead == [("2026-12-07T10:00", datetime(2026, 12, 7, 10, tzinfo=UTC), "planned")]
    lifecycle.end(weekly, who, reason="completed", actor="test", now=edited)
    assert mark(weekly, who) == PLAN_NEVER
    assert plan(weekly, edited + timedelta(days=14)) == (0, 0)


def test_a_program_paused_then_resumed_is_planned_afresh(weekly: Store) -> None:
    who = enrol_console(weekly, now=datetime(2026, 11, 1, tzinfo=UTC))
    plan(weekly, MONDAY - timedelta(days=3))
    with weekly.session() as session:
        lifecycle.program_paused(session, "test-weekly", paused=True)
    assert mark(weekly, who) == PLAN_NEVER
    with weekly.session() as session:
        lifecycle.program_paused(session, "test-weekly", paused=False)
    assert mark(weekly, who) is None
    assert plan(weekly, MONDAY + timedelta(days=20)) == (1, 0)  # no `missed` for the pause
    assert mark(weekly, who) == MONDAY + timedelta(days=28)


def test_weeks_across_the_clock_changes_get_one_reminder_per_slot(weekly: Store) -> None:
    start = datetime(2026, 10, 10, tzinfo=UTC)
    monday = enrol_console(weekly, ref="AZ-1", now=start)
    sunday = enrol_console(weekly, ref="AZ-2", program="test-sunday-night", now=start)
    at = start
    while at < datetime(2026, 11, 10, tzinfo=UTC):
        plan(weekly, at)
        near_change = datetime(2026, 10, 17, tzinfo=UTC) <= at <= datetime(2026, 10, 19, tzinfo=UTC)
        at += timedelta(minutes=10) if near_change else timedelta(hours=7)
    mondays = slots(weekly, monday)
    assert [s[0] for s in mondays[:4]] == [
        "2026-10-12T10:00", "2026-10-19T10:00", "2026-10-26T10:00", "2026-11-02T10:00",
    ]  # fmt: skip
    assert mondays[1][1] == datetime(2026, 10, 19, 8, tzinfo=UTC)  # summer time
    assert mondays[2][1] == datetime(2026, 10, 26, 9, tzinfo=UTC)  # winter time
    sundays = [s[0] for s in slots(weekly, sunday)]
    assert len(sundays) == len(set(sundays))  # 02:30 on the 25th happens twice: one row
    assert "2026-10-25T02:30" in sundays and "2026-11-01T02:30" in sundays
    assert rows(weekly)["missed"] == 0


def test_an_upgraded_store_plans_on_without_duplicate_or_gap(weekly: Store) -> None:
    now = MONDAY - timedelta(days=3)
    followed = [enrol_console(weekly, ref=f"AZ-{i}", now=now) for i in range(3)]
    plan(weekly, now)
    paused = enrol_console(weekly, ref="AZ-P", now=now)
    plan(weekly, now + timedelta(hours=1))
    lifecycle.pause(weekly, paused, actor="test", now=now + timedelta(hours=2))
    late = enrol_console(weekly, ref="AZ-L", now=now + timedelta(hours=3))  # never planned
    audit.seal_all(weekly.session)  # the audit schema's downgrade takes sealed events only
    config = schema.alembic_config(weekly.engine)
    command.downgrade(config, "0004")  # the store as the release before left it
    command.upgrade(config, "head")
    assert mark(weekly, followed[0]) == MONDAY  # its latest reminder
    assert mark(weekly, paused) == PLAN_NEVER and mark(weekly, late) is None
    for day in range(0, 22):
        plan(weekly, now + timedelta(days=day, hours=4))
    for who in [*followed, late]:
        assert [s[0] for s in slots(weekly, who)] == [
            "2026-11-23T10:00", "2026-11-30T10:00", "2026-12-07T10:00", "2026-12-14T10:00",
        ]  # fmt: skip
    assert rows(weekly)["missed"] == 0


def test_the_look_up_searches_by_the_mark_not_by_every_patient(weekly: Store) -> None:
    """An idle tick costs what is due: SQLite must search the mark's index in each of
    planning's statements (searching by program or scanning would read every enrolment)."""
    if weekly.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plan")
    enrol_console(weekly, now=MONDAY)
    plan(weekly, MONDAY - timedelta(days=3))  # a mark set, for the statements that use one
    seen: list[tuple[str, Any]] = []
    starts = ("SELECT DISTINCT patient", "INSERT INTO reminder", "UPDATE patient")

    def note(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: bool) -> None:
        if statement.lstrip().startswith(starts):
            seen.append((statement, params))

    event.listen(weekly.engine, "before_cursor_execute", note)
    try:
        assert plan(weekly, MONDAY + timedelta(days=4)) == (1, 0)
    finally:
        event.remove(weekly.engine, "before_cursor_execute", note)
    kinds = {
        start for start in starts for statement, _ in seen if statement.lstrip().startswith(start)
    }
    assert kinds == set(starts)
    with weekly.engine.connect() as conn:
        for statement, params in seen:
            plan_steps = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
            steps = [row[3] for row in plan_steps if " patient " in f"{row[3]} "]
            assert steps and all("ix_patient_planned_until" in step for step in steps), steps


def test_a_new_program_version_is_planned_afresh(weekly: Store, tmp_path: Path) -> None:
    who = enrol_console(weekly, now=MONDAY - timedelta(days=3))
    plan(weekly, MONDAY - timedelta(days=3))
    assert mark(weekly, who) == MONDAY + timedelta(days=7)
    path = write_program(tmp_path, cadence='days = ["mon", "thu"]\ntime = "10:00"')
    with weekly.session() as session:
        assert catalog.add(weekly, session, path, actor="test")[1]
    assert mark(weekly, who) is None
    assert plan(weekly, MONDAY - timedelta(days=2)) == (1, 0)  # Thursday the 26th, new
    assert [s[0] for s in slots(weekly, who)] == ["2026-11-23T10:00", "2026-11-26T10:00"]
    assert mark(weekly, who) == MONDAY + timedelta(days=7)
