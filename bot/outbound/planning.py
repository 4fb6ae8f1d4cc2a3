"""Planning: materialise each active patient's reminders about a week ahead, idempotently.

The occurrence key is the local calendar slot (program, patient, local date and time), so
planning twice, or the repeated hour when clocks go back, never makes a second reminder.
Patients are streamed, never all loaded; slot times are computed once per (program, zone).

How far planning has reached is kept (`carebot:planned-through`): after a gap longer than the
horizon and the grace (carebot not run for two weeks), the slots nobody planned are made
`missed` rows ("carebot was not running"), so that they show in the delivery log and the
report instead of appearing nowhere; nothing is sent for them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from bot.outbound.reasons import NOT_RUNNING, late_reason
from bot.programs import catalog
from bot.programs.model import Program
from bot.store import audit
from bot.store.models import ChannelState, Patient, Reminder
from bot.store.models import Program as ProgramRow
from bot.store.statuses import ReminderStatus

BATCH = 5000
PLANNED_THROUGH = "carebot:planned-through"


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


def _through(session: Session) -> datetime | None:
    """How far the last planning reached (aware UTC), if it ever ran."""
    row = session.get(ChannelState, PLANNED_THROUGH)
    return datetime.fromisoformat(row.value) if row is not None else None


def _keep_through(session: Session, through: datetime | None, horizon: datetime) -> None:
    reached = max(through, horizon) if through is not None else horizon
    row = session.get(ChannelState, PLANNED_THROUGH) or ChannelState(name=PLANNED_THROUGH, value="")
    row.value = reached.astimezone(UTC).isoformat()
    session.add(row)


def _row(
    program: str, pseudonym: str, slot: datetime, label: str, *, now: datetime, late: bool
) -> dict[str, Any]:
    """A reminder row: planned, or `missed` for a slot whose grace passed unplanned."""
    return {
        "occurrence_key": occurrence_key(program, pseudonym, label),
        "pseudonym": pseudonym,
        "program": program,
        "local_slot": label,
        "due_at": slot,
        "status": ReminderStatus.MISSED if late else ReminderStatus.PLANNED,
        "error": late_reason(NOT_RUNNING) if late else None,
        "attempts": 0,
        "updated_at": now,
    }


def _gap_rows(session: Session, now: datetime) -> int:
    """How many `missed` rows this planning made for a gap (they carry its time)."""
    query = select(func.count()).where(
        col(Reminder.status) == ReminderStatus.MISSED,
        col(Reminder.error) == late_reason(NOT_RUNNING),
        col(Reminder.updated_at) == now,
    )
    return int(session.execute(query).scalar_one())


def plan(engine: Engine, session: Session, *, now: datetime, horizon_days: int) -> int:
    """Materialise reminders due in the window; returns how many were new."""
    return plan_counts(engine, session, now=now, horizon_days=horizon_days)[0]


def plan_counts(
    engine: Engine, session: Session, *, now: datetime, horizon_days: int
) -> tuple[int, int]:
    """Materialise reminders due in the window, and the slots a gap since the last planning
    left out as `missed`; returns how many of each were new (planned, missed)."""
    programs = {row.name: catalog.from_row(row) for row in catalog.rows(session)}
    slot_cache: dict[tuple[str, str], list[tuple[datetime, str]]] = {}
    horizon = now + timedelta(days=horizon_days)
    through = _through(session)
    batches: dict[bool, list[dict[str, Any]]] = {False: [], True: []}
    created = {False: 0, True: 0}
    gap = False
    for pseudonym, program_name, timezone, plan_from, ends_at in _patients(session):
        program = programs[program_name]
        grace = timedelta(hours=program.catch_up_grace_hours)
        key = (program_name, timezone)
        if key not in slot_cache:
            start = now - grace if through is None else min(through, now - grace)
            slot_cache[key] = [
                (s, s.strftime("%Y-%m-%dT%H:%M"))
                for s in local_slots(program, timezone, start, horizon)
            ]
        for slot, label in slot_cache[key]:
            if slot < plan_from or (ends_at is not None and slot >= ends_at):
                continue
            late = slot + grace < now
            gap = gap or late
            batches[late].append(_row(program_name, pseudonym, slot, label, now=now, late=late))
        for late, batch in batches.items():
            if len(batch) >= BATCH:
                created[late] += _insert(engine, session, batch)
                batches[late] = []
    for late, batch in batches.items():
        created[late] += _insert(engine, session, batch)
    if gap:
        created[True] = _gap_rows(session, now)  # executemany's rowcount is not always known
    _keep_through(session, through, horizon)
    audit.record(
        session,
        action="plan",
        actor="scheduler",
        at=now,
        created=created[False],
        missed=created[True],
        horizon_days=horizon_days,
    )
    return created[False], created[True]
