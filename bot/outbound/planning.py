"""Planning: materialise each active patient's reminders about a week ahead, idempotently.

The occurrence key is the local calendar slot (program, patient, local date and time), so
planning twice, or the repeated hour when clocks go back, never makes a second reminder.
Patients are streamed, never all loaded; slot times are computed once per (program, zone).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from bot.programs import catalog
from bot.programs.model import Program
from bot.store import audit
from bot.store.models import Patient, Reminder
from bot.store.models import Program as ProgramRow
from bot.store.statuses import ReminderStatus

BATCH = 5000


def local_slots(program: Program, timezone: str, start: datetime, end: datetime) -> list[datetime]:
    """Every cadence instant in (start, end], as aware datetimes in the patient's zone."""
    trigger = program.trigger(timezone)
    zone = ZoneInfo(timezone)
    slots: list[datetime] = []
    previous: datetime | None = None
    cursor = start.astimezone(zone)
    while True:
        fire = trigger.get_next_fire_time(previous, cursor)
        if fire is None or fire > end:
            return slots
        if previous is not None and fire <= previous:
            # CronTrigger can repeat the second of two equal wall-clock times when clocks go
            # back; step past the repeated hour instead of looping on it.
            cursor = previous + timedelta(hours=1)
            previous = None
            continue
        if fire > start:
            slots.append(fire)
        previous, cursor = fire, fire + timedelta(seconds=1)


def occurrence_key(program: str, pseudonym: str, local_slot: str) -> str:
    return f"{program}|{pseudonym}|{local_slot}"


def _patients(session: Session) -> Iterator[Any]:
    query = (
        select(
            Patient.pseudonym,
            Patient.program,
            Patient.timezone,  # type: ignore[call-overload]
            Patient.plan_from,
            Patient.ends_at,
        )
        .join(ProgramRow, ProgramRow.name == Patient.program)
        .where(Patient.status == "active", ProgramRow.paused == False)  # noqa: E712
        .execution_options(yield_per=BATCH)
    )
    yield from session.execute(query)


def _insert(engine: Engine, session: Session, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    statement = insert(Reminder).on_conflict_do_nothing(index_elements=["occurrence_key"])
    # Core executemany on the session's connection: one statement for the whole batch.
    result = session.connection().execute(statement, rows)
    return max(int(result.rowcount or 0), 0)


def plan(engine: Engine, session: Session, *, now: datetime, horizon_days: int) -> int:
    """Materialise reminders due in the window; returns how many were new."""
    programs = {row.name: catalog.from_row(row) for row in catalog.rows(session)}
    slot_cache: dict[tuple[str, str], list[tuple[datetime, str]]] = {}
    horizon = now + timedelta(days=horizon_days)
    batch: list[dict[str, Any]] = []
    created = 0
    for pseudonym, program_name, timezone, plan_from, ends_at in _patients(session):
        program = programs[program_name]
        grace = timedelta(hours=program.catch_up_grace_hours)
        key = (program_name, timezone)
        if key not in slot_cache:
            slot_cache[key] = [
                (s, s.strftime("%Y-%m-%dT%H:%M"))
                for s in local_slots(program, timezone, now - grace, horizon)
            ]
        for slot, label in slot_cache[key]:
            if slot < plan_from or (ends_at is not None and slot >= ends_at):
                continue
            batch.append(
                {
                    "occurrence_key": occurrence_key(program_name, pseudonym, label),
                    "pseudonym": pseudonym,
                    "program": program_name,
                    "local_slot": label,
                    "due_at": slot,
                    "status": ReminderStatus.PLANNED,
                    "attempts": 0,
                    "updated_at": now,
                }
            )
        if len(batch) >= BATCH:
            created += _insert(engine, session, batch)
            batch = []
    created += _insert(engine, session, batch)
    audit.record(
        session,
        action="plan",
        actor="scheduler",
        at=now,
        created=created,
        horizon_days=horizon_days,
    )
    return created
