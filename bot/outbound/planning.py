"""Planning: materialise each active patient's reminders about a week ahead, idempotently.

The occurrence key is the local calendar slot (program, patient, local date and time), so
planning twice, or the repeated hour when clocks go back, never makes a second reminder.

Each enrolment keeps how far it is planned (`Patient.planned_until`: every slot before it
has its row; it is set to the first slot after the horizon planned to). A tick looks up,
through that column's index, only the enrolments whose mark its horizon now reaches, so a
tick with nothing new to plan costs what is due, not what is enrolled. Enrolment, resume,
an edit of zone, language or program, and a new program version set the mark back; pause,
end, erasure and a program's pause set it to `PLAN_NEVER`. A new enrolment has no mark yet:
its first planning starts from the catch-up grace before now.

After a gap longer than the horizon and the grace (carebot not run for two weeks), the
slots between an enrolment's mark and the grace before now are made `missed` rows
("carebot was not running"), so that they show in the delivery log and the report instead
of appearing nowhere; nothing is sent for them.

Speed: slot times are computed once per window (program, zone, mark), which most
enrolments share. On SQLite, the one writer, the store makes each window's rows itself (one
`INSERT ... SELECT` per slot) and moves the window's marks in one `UPDATE`. On PostgreSQL,
where planners may run side by side, the due enrolments are read and locked, their rows
sent in batches of 5,000 as one `INSERT ... SELECT FROM unnest(...)` each (whose row count
is exact, unlike an executemany's), and their marks set one by one. Times are compared
and written in the driver's own form, never converted row by row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import takewhile
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, String, or_, select, type_coerce
from sqlalchemy.engine import Connection
from sqlmodel import Session, col
from sqlmodel.sql.sqltypes import UTCDateTime

from bot.outbound.reasons import NOT_RUNNING, late_reason
from bot.programs import catalog
from bot.programs.model import Program
from bot.store import audit
from bot.store.models import PLAN_NEVER, Patient
from bot.store.models import Program as ProgramRow
from bot.store.statuses import ReminderStatus

BATCH = 5000
PAGE_CACHE_KIB = 64 * 1024
COLUMNS = (
    "occurrence_key, pseudonym, program, local_slot, due_at, status, error, attempts, updated_at"
)
_PG_ARRAYS = (  # the columns' types, in that order
    "varchar[]", "varchar[]", "varchar[]", "varchar[]", "timestamptz[]", "varchar[]",
    "varchar[]", "int[]", "timestamptz[]",
)  # fmt: skip


def _fires(program: Program, timezone: str, start: datetime) -> Iterator[datetime]:
    """Every cadence instant after `start`, in order, as aware datetimes in the zone."""
    trigger = program.trigger(timezone)
    previous: datetime | None = None
    cursor = start.astimezone(ZoneInfo(timezone))
    while True:
        fire = trigger.get_next_fire_time(previous, cursor)
        if fire is None:
            return
        if previous is not None and fire <= previous:
            # CronTrigger can repeat the second of two equal wall-clock times when clocks go
            # back; step past the repeated hour instead of looping on it.
            cursor = previous + timedelta(hours=1)
            previous = None
            continue
        if fire > start:
            yield fire
        previous, cursor = fire, fire + timedelta(seconds=1)


def local_slots(program: Program, timezone: str, start: datetime, end: datetime) -> list[datetime]:
    """Every cadence instant in (start, end], as aware datetimes in the patient's zone."""
    return list(takewhile(lambda fire: fire <= end, _fires(program, timezone, start)))


def occurrence_key(program: str, pseudonym: str, local_slot: str) -> str:
    return f"{program}|{pseudonym}|{local_slot}"


@dataclass(frozen=True)
class _Window:
    """The slots one (program, zone, mark) plans: (due time in the driver's form, local
    label, late, status, error), and the mark after them (the first slot past the horizon),
    in the driver's form."""

    slots: list[tuple[Any, str, bool, ReminderStatus, str | None]]
    after: Any


class _Planner:
    """One planning run: the windows it computed, its batches of rows and its counts."""

    def __init__(self, connection: Connection, programs: dict[str, Program], now: datetime):
        when = UTCDateTime().dialect_impl(connection.dialect)  # the driver's own form
        self.connection, self.programs, self.now = connection, programs, now
        self.dialect = connection.dialect.name
        self.write: Callable[[datetime], Any] = when.bind_processor(connection.dialect) or (
            lambda value: value
        )
        self.read: Callable[[Any], Any] = when.result_processor(connection.dialect, None) or (
            lambda value: value
        )
        self.never = self.write(PLAN_NEVER)
        self.updated = self.write(now)
        self.windows: dict[tuple[str, str, Any], _Window] = {}
        self.batches: dict[bool, list[tuple[Any, ...]]] = {False: [], True: []}
        self.created = {False: 0, True: 0}
        self.marks: list[tuple[Any, str]] = []

    def window(self, program: str, zone: str, mark: Any, horizon: datetime) -> _Window:
        """The window of a (program, zone, mark), computed once per planning run."""
        key = (program, zone, mark)
        found = self.windows.get(key)
        if found is None:
            grace = timedelta(hours=self.programs[program].catch_up_grace_hours)
            # A mark: every slot from it on (slots fall on whole minutes). None: as a
            # first planning does, from the grace before now, and nothing made `missed`.
            start = self.now - grace if mark is None else self.read(mark) - timedelta(seconds=1)
            slots, after = [], self.never
            for fire in _fires(self.programs[program], zone, start):
                if fire > horizon:
                    after = self.write(fire)
                    break
                late = fire + grace < self.now
                status = ReminderStatus.MISSED if late else ReminderStatus.PLANNED
                error = late_reason(NOT_RUNNING) if late else None
                label = fire.strftime("%Y-%m-%dT%H:%M")
                slots.append((self.write(fire), label, late, status, error))
            found = _Window(slots, after)
            self.windows[key] = found
        return found

    def add(self, patient: Any, horizon: datetime) -> None:
        """Queue the rows of one enrolment's new slots, and its new mark."""
        pseudonym, program, zone, plan_from, ends_at, mark = patient
        window = self.window(program, zone, mark, horizon)
        prefix = f"{program}|{pseudonym}|"
        for due, label, late, status, error in window.slots:
            if due < plan_from or (ends_at is not None and due >= ends_at):
                continue
            self.batches[late].append(
                (prefix + label, pseudonym, program, label, due, status, error, 0, self.updated)
            )
            if len(self.batches[late]) >= BATCH:
                self.flush(late)
        if self.dialect != "sqlite":
            done = ends_at is not None and ends_at <= window.after
            self.marks.append((self.never if done else window.after, pseudonym))

    def flush(self, late: bool) -> None:
        """Insert one batch; rows whose occurrence already has one are left as they are."""
        rows, self.batches[late] = self.batches[late], []
        if not rows:
            return
        if self.dialect == "postgresql":
            # One statement per batch: its row count is exact (an executemany's is not).
            arrays = ", ".join(f"%s::{kind}" for kind in _PG_ARRAYS)
            sql = (
                f"INSERT INTO reminder ({COLUMNS}) SELECT * FROM unnest({arrays}) "
                "ON CONFLICT (occurrence_key) DO NOTHING"
            )
            result = self.connection.exec_driver_sql(sql, tuple(map(list, zip(*rows, strict=True))))
        else:
            sql = (
                f"INSERT INTO reminder ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (occurrence_key) DO NOTHING"
            )
            result = self.connection.exec_driver_sql(sql, rows)
        self.created[late] += max(int(result.rowcount or 0), 0)

    def plan_windows(self, groups: Iterator[Any], horizon: datetime) -> None:
        """SQLite: each window's rows made by the store itself, one `INSERT ... SELECT` per
        slot over the enrolments that share the window (no row passes through Python)."""
        sql = (
            f"INSERT INTO reminder ({COLUMNS}) SELECT ? || pseudonym || ?, pseudonym, program, "
            "?, ?, ?, ?, 0, ? FROM patient WHERE program = ? AND timezone = ? "
            "AND status = 'active' AND plan_from <= ? AND (ends_at IS NULL OR ends_at > ?) "
            "AND planned_until "
        )
        conflict = " ON CONFLICT (occurrence_key) DO NOTHING"
        for program, zone, mark in list(groups):
            window = self.window(program, zone, mark, horizon)
            for due, label, late, status, error in window.slots:
                row: tuple[Any, ...] = (f"{program}|", f"|{label}", label, due, status, error)
                row += (self.updated, program, zone, due, due)
                if mark is None:
                    result = self.connection.exec_driver_sql(sql + "IS NULL" + conflict, row)
                else:
                    result = self.connection.exec_driver_sql(sql + "= ?" + conflict, (*row, mark))
                self.created[late] += max(int(result.rowcount or 0), 0)

    def keep_marks(self) -> None:
        """Each planned enrolment's new mark: the first slot after the horizon, or
        `PLAN_NEVER` past its end."""
        if self.dialect == "sqlite":
            # One statement per window: SQLite's write lock, taken when the planning began,
            # keeps every other writer out, so it matches exactly the enrolments planned.
            sql = (
                "UPDATE patient SET planned_until = CASE WHEN ends_at <= ? THEN ? ELSE ? END "
                "WHERE program = ? AND timezone = ? AND status = 'active' AND planned_until "
            )
            for (program, zone, mark), window in self.windows.items():
                after = (window.after, self.never, window.after, program, zone)
                if mark is None:
                    self.connection.exec_driver_sql(sql + "IS NULL", after)
                else:
                    self.connection.exec_driver_sql(sql + "= ?", (*after, mark))
            return
        # PostgreSQL: enrolment by enrolment, as its look-up locked them; another process
        # may have set other marks since.
        sql = "UPDATE patient SET planned_until = %s WHERE pseudonym = %s"
        for start in range(0, len(self.marks), BATCH):
            self.connection.exec_driver_sql(sql, self.marks[start : start + BATCH])


def _due(session: Session, horizon: datetime, *, windows: bool = False) -> Iterator[Any]:
    """The active enrolments of running programs whose mark the horizon reaches, times in the
    driver's form. On PostgreSQL their rows stay locked to the end of the transaction, and
    a second planner at the same moment skips those (no wait, no deadlock between two
    planners locking in different orders); the next tick finds them planned. `windows`:
    only the distinct (program, zone, mark) they share."""
    raw = String()  # no conversion: compared and written back as the driver gives them
    mark = col(Patient.planned_until)
    columns = [col(Patient.program), col(Patient.timezone), type_coerce(Patient.planned_until, raw)]
    if not windows:
        times = [type_coerce(Patient.plan_from, raw), type_coerce(Patient.ends_at, raw)]
        columns = [col(Patient.pseudonym), columns[0], columns[1], *times, columns[2]]
    query = (
        select(*columns)
        # A join, not `program IN (...)`: SQLite would then search by program (every
        # patient of it) rather than by the mark (only those due).
        .join(ProgramRow, col(ProgramRow.name) == col(Patient.program))
        .where(
            col(Patient.status) == "active",
            col(ProgramRow.paused) == False,  # noqa: E712
            or_(mark.is_(None), mark <= horizon),
        )
    )
    if windows:
        query = query.distinct()
    else:
        query = query.with_for_update(of=Patient, skip_locked=True).execution_options(
            yield_per=BATCH
        )
    yield from session.connection().execute(query)


@contextmanager
def _page_cache(connection: Connection) -> Iterator[None]:
    """A larger SQLite page cache while planning: a week of reminders for many patients
    dirties more pages than SQLite's 2 MiB default holds, and a full cache spills them to
    the WAL (each page encrypted) before the commit writes them again."""
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")


def plan(engine: Engine, session: Session, *, now: datetime, horizon_days: int) -> int:
    """Materialise reminders due in the window; returns how many were new."""
    return plan_counts(engine, session, now=now, horizon_days=horizon_days)[0]


def plan_counts(
    engine: Engine, session: Session, *, now: datetime, horizon_days: int
) -> tuple[int, int]:
    """Materialise the reminders the horizon newly reaches, and the slots a gap since an
    enrolment's last planning left out as `missed`; returns how many of each were new
    (planned, missed). `engine` is the session's (kept for the callers)."""
    programs = {row.name: catalog.from_row(row) for row in catalog.rows(session)}
    horizon = now + timedelta(days=horizon_days)
    planner = _Planner(session.connection(), programs, now.astimezone(UTC))
    with _page_cache(planner.connection):
        if planner.dialect == "sqlite":
            planner.plan_windows(_due(session, horizon, windows=True), horizon)
        else:
            for patient in _due(session, horizon):
                planner.add(patient, horizon)
            planner.flush(False)
            planner.flush(True)
        planner.keep_marks()
    planned, missed = planner.created[False], planner.created[True]
    audit.record(
        session,
        action="plan",
        actor="scheduler",
        at=now,
        created=planned,
        missed=missed,
        horizon_days=horizon_days,
    )
    return planned, missed
