"""Enrolling a list: a CSV file of patients, all of them or none.

Columns (a header row names them, in any order): `ref`, `program`, `lang`, `tz`, `name`, one
column per channel whose address is typed (`sms`, `x`, ...; each may be left empty) and
`consent`, the channels the patient agreed to separated by `;` (the cell's own separator, since
`,` separates the cells). Every row goes through enrolment's own code (`enrolment.enrol`), in
one transaction, each row in a savepoint of its own: a row refused is rolled back alone and
the others are still checked, so the report names every refused row; then, if any was refused
(or for a dry run), the whole transaction is rolled back and nothing is written.

The file is data and nothing else: it must be UTF-8 (a BOM is allowed), at most MAX_BYTES and
MAX_ROWS; a cell that starts like a spreadsheet formula (`=`, `+`, `-`, `@`) is refused in
`ref` and `name` (a phone number's `+` is read as a number); no refusal repeats a cell.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, select

from bot.channels import registry
from bot.errors import CarebotError
from bot.patients import enrolment
from bot.patients.enrolment import PatientError
from bot.store import audit
from bot.store.models import Patient
from bot.store.store import Store
from bot.text import has_unsafe

MAX_BYTES = 2_000_000
MAX_ROWS = 1_000  # the import holds the write lock throughout: 35-50 ms a row, measured
REQUIRED = ("ref", "program", "lang", "tz", "name")
CONSENT_SEPARATOR = ";"
FORMULA = ("=", "+", "-", "@", "\t", "\r")


class FileRefused(PatientError):
    """A file refused as a whole (not UTF-8, too large, not CSV, a bad header)."""


@dataclass(frozen=True)
class Row:
    number: int  # as a spreadsheet numbers it: the header is row 1
    cells: dict[str, str]
    width: int  # how many cells the row had
    expected: int  # how many the header has


@dataclass(frozen=True)
class Outcome:
    row: int
    status: str  # enrolled | already enrolled | refused
    column: str | None = None  # what a refusal is about
    reason: str | None = None
    pseudonym: str | None = None
    links: tuple[str, ...] = ()  # one-time links for the channels the patient links


def consent_of(cells: dict[str, str]) -> list[str]:
    """The channels a row's `consent` cell names."""
    return [c.strip() for c in cells.get("consent", "").split(CONSENT_SEPARATOR) if c.strip()]


def consented_channels(rows: list[Row]) -> list[str]:
    """Every known channel some row consents to (an unknown one is refused with its row)."""
    named = {channel for row in rows for channel in consent_of(row.cells)}
    return [channel for channel in registry.NAMES if channel in named]


def address_columns() -> list[str]:
    return [name for name in registry.NAMES if registry.typed_address(name)]


def read(data: bytes) -> list[Row]:
    """The file's rows, or one FileRefused for the whole file."""
    if len(data) > MAX_BYTES:
        raise FileRefused(f"the file is larger than {MAX_BYTES // 1_000_000} MB; split it")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRefused(f"the file is not UTF-8 text (byte {exc.start})") from exc
    if "\x00" in text:
        raise FileRefused("the file holds a NUL character: it is not a CSV text file")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        records = list(_records(reader))
    except csv.Error as exc:
        raise FileRefused(f"the file is not valid CSV (line {reader.line_num})") from exc
    if not records:
        raise FileRefused("the file is empty: a header row is needed")
    header = _header(records[0][1])
    if len(records) - 1 > MAX_ROWS:  # counted without blank lines
        raise FileRefused(f"the file has more than {MAX_ROWS} rows; split it")
    return [
        Row(number, dict(zip(header, cells, strict=False)), len(cells), len(header))
        for number, cells in records[1:]
    ]


def _records(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """Each non-blank record with its number (the header is 1), stopping past MAX_ROWS."""
    kept = 0
    for number, cells in enumerate(reader, 1):
        if not any(cell.strip() for cell in cells):
            continue  # a blank line: numbered, as a spreadsheet shows it, and skipped
        yield number, cells
        kept += 1
        if kept > MAX_ROWS + 1:
            return


def _header(cells: list[str]) -> list[str]:
    known = (*REQUIRED, *address_columns(), "consent")
    header = [c.strip().lower() for c in cells]
    for at, name in enumerate(header, 1):
        if name not in known:
            # never repeated: a file with no header row has a patient's data in its place
            raise FileRefused(f"unknown column (number {at}); columns: {', '.join(known)}")
    if len(set(header)) != len(header):
        raise FileRefused("a column is named twice in the header")
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise FileRefused(f"missing column(s): {', '.join(missing)}")
    return header


def run(
    store: Store, rows: list[Row], *, actor: str, dry_run: bool, now: datetime | None = None
) -> list[Outcome]:
    """Enrol every row, or none: rolled back if any row is refused, or for a dry run."""
    now = now or datetime.now(UTC)
    outcomes: list[Outcome] = []
    with store.session() as session:
        # The audit chain's key, if the store has none yet, is made and committed first: made
        # inside a row's savepoint, it would be rolled back with that row alone.
        store.audit_keys(session)
    try:
        with store.session() as session:
            outcomes = _rows(store, session, rows, actor=actor, now=now)
            refused = sum(o.status == "refused" for o in outcomes)
            if refused or dry_run:
                raise _RolledBack
            audit.record(
                session,
                action="patient.import",
                actor=actor,
                enrolled=sum(o.status == "enrolled" for o in outcomes),
                already=sum(o.status == "already enrolled" for o in outcomes),
                at=now,
            )
    except _RolledBack:
        for outcome in outcomes:
            if outcome.status == "enrolled" and outcome.pseudonym:
                store.forget(outcome.pseudonym)  # its data key was never written
        with store.session() as session:  # what was checked, and the verdict; no data
            audit.record(
                session,
                action="patient.import.check",
                actor=actor,
                rows=len(rows),
                refused=sum(o.status == "refused" for o in outcomes),
                dry_run=dry_run,
                at=now,
            )
    return outcomes


class _RolledBack(Exception):
    """Raised inside the import's transaction to roll it back."""


def _rows(
    store: Store, session: Session, rows: list[Row], *, actor: str, now: datetime
) -> list[Outcome]:
    seen: dict[tuple[str, str], int] = {}  # (column, keyed index of its value) -> first row
    outcomes = []
    for row in rows:
        refusal = _precheck(store, row, seen)
        if refusal is not None:
            outcomes.append(Outcome(row.number, "refused", *refusal))
            continue
        outcomes.append(_enrol(store, session, row, actor=actor, now=now))
    return outcomes


def _precheck(store: Store, row: Row, seen: dict[tuple[str, str], int]) -> tuple[str, str] | None:
    """(column, reason) of what enrolment itself cannot see: the row's shape, formulas, and
    a reference or address given twice in the file."""
    cells = row.cells
    if row.width != row.expected:
        return "", f"has {row.width} cells, the header has {row.expected}"
    for column in ("ref", "name"):
        if cells[column].strip().startswith(FORMULA):
            return column, "starts like a spreadsheet formula (=, +, -, @)"
    if has_unsafe(cells["ref"]):
        return "ref", "holds control, bidi or zero-width characters"
    keys = [("ref", store.keys.reference_index(cells["ref"].strip()))]
    for channel in address_columns():
        if cells.get(channel, "").strip():
            try:
                normal = registry.normalise(channel, cells[channel])
            except CarebotError as exc:
                return channel, str(exc)
            keys.append((channel, store.keys.address_index(channel, normal)))
    for key in keys:
        if key in seen:
            return key[0], f"the same {key[0]} as row {seen[key]}"
    for key in keys:
        seen[key] = row.number
    return None


def _enrol(store: Store, session: Session, row: Row, *, actor: str, now: datetime) -> Outcome:
    cells = row.cells
    reference = cells["ref"].strip()
    existing = session.exec(
        select(Patient.pseudonym).where(
            Patient.reference_index == store.keys.reference_index(reference)
        )
    ).first()
    if existing is not None:  # never changed by an import: `patient edit` changes it
        return Outcome(row.number, "already enrolled", pseudonym=existing)
    contacts = {ch: cells[ch] for ch in address_columns() if cells.get(ch, "").strip()}
    consent = consent_of(cells)
    try:
        with session.begin_nested():
            done = enrolment.enrol(
                store,
                reference=reference,
                program=cells["program"].strip(),
                language=cells["lang"].strip(),
                timezone=cells["tz"].strip(),
                name=cells["name"],
                contacts=contacts,
                consent=consent,
                actor=actor,
                now=now,
                session=session,
            )
    except CarebotError as exc:
        return Outcome(row.number, "refused", _column_of(str(exc)), str(exc))
    links = tuple(done.links.values())
    return Outcome(row.number, "enrolled", pseudonym=done.pseudonym, links=links)


def _column_of(reason: str) -> str:
    """The column a refusal from enrolment is about, from its wording."""
    for column, words in (
        ("consent", ("consent", "does not use channel")),
        ("tz", ("--tz",)),
        ("name", ("greeting name",)),
        ("lang", ("--lang",)),
        ("program", ("program",)),
        ("ref", ("reference", "pseudonym")),
    ):
        if any(word in reason for word in words):
            return column
    return next((ch for ch in address_columns() if ch in reason.split()), "")
