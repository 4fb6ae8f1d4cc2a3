"""The programs known to the store: added from `schedules/`, frozen in the database.

A program's definition (templates included) is copied into the store when it is added, so
that editing a file cannot change what patients receive until the file is added again and
validated again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session, col, select, update

from bot.programs.model import Program, ProgramError, is_name
from bot.programs.parse import load_program_file
from bot.store import audit, on_call
from bot.store.models import PLAN_NEVER, Patient
from bot.store.models import Program as ProgramRow
from bot.store.store import Store

# Keyed by the definition itself: two stores may hold the same file under the same version,
# each with its on-call address sealed under its own key.
_cache: dict[tuple[str, int, str], Program] = {}


def add(store: Store, session: Session, path: Path, *, actor: str) -> tuple[Program, bool]:
    """Validate a program file and store it (a new version if it changed), its on-call
    address encrypted. The program returned is the file's, its address in clear."""
    program, digest = load_program_file(
        path, templates_dir=store.settings.carebot_templates_dir, settings=store.settings
    )
    row = session.get(ProgramRow, program.name)
    if (
        row is not None
        and row.source_sha256 == digest
        and on_call.unseal_definition(store, session, row.name, row.definition) == program.to_json()
    ):
        return program, False
    definition = on_call.seal_definition(store, session, program.name, program.to_json())
    if row is None:
        row = ProgramRow(
            name=program.name,
            definition=definition,
            source_sha256=digest,
            added_at=datetime.now(UTC),
        )
    else:
        row.version += 1
        row.definition, row.source_sha256 = definition, digest
        row.added_at = datetime.now(UTC)
        # Its enrolments are planned afresh with the new cadence (those with nothing to
        # plan, as while the program is paused, are left so).
        session.exec(
            update(Patient)
            .where(col(Patient.program) == program.name, col(Patient.planned_until) < PLAN_NEVER)
            .values(planned_until=None)
        )
    session.add(row)
    session.flush()
    audit.record(
        session,
        action="program.add",
        actor=actor,
        subject=program.name,
        version=row.version,
        sha256=digest,
    )
    return program, True


def shipped_file(store: Store, name: str) -> Path | None:
    """The program file of that name in the schedules directory, if there is one."""
    if not is_name(name):  # a name is a slug: it cannot lead out of the schedules folder
        return None
    path = store.settings.carebot_schedules_dir / f"{name}.toml"
    return path if path.is_file() else None


def _unknown(name: str) -> ProgramError:
    shown = repr(name) if is_name(name) else "of that name"
    return ProgramError(f"unknown program {shown}; see `carebot program list`")


def get(store: Store, session: Session, name: str) -> Program:
    """A stored program by name (its on-call address sealed): a read, nothing more. A
    program is in the store once added (`add`, `ensure`), and a reminder or a patient names
    only a stored one. (`store` is unused: kept while the dispatcher and inbound callers
    are being rewritten.)"""
    row = session.get(ProgramRow, name)
    if row is None:
        raise _unknown(name)
    return from_row(row)


def ensure(store: Store, session: Session, name: str, *, actor: str) -> Program:
    """A program by name, adding the shipped file of that name (validated, audited) first
    if the store does not hold it yet: what enrolling in a shipped program needs."""
    if session.get(ProgramRow, name) is None:
        path = shipped_file(store, name)
        if path is None:
            raise _unknown(name)
        add(store, session, path, actor=actor)
    return get(store, session, name)


def from_row(row: ProgramRow) -> Program:
    """The parsed program of a stored row (cached per version)."""
    key = (row.name, row.version, row.definition)
    if key not in _cache:
        _cache[key] = Program.from_json(row.definition)
    return _cache[key]


def rows(session: Session) -> list[ProgramRow]:
    """Every stored program, by name."""
    return list(session.exec(select(ProgramRow).order_by(col(ProgramRow.name))).all())


def add_shipped(store: Store, session: Session, *, actor: str) -> list[str]:
    """Add every program file in the schedules directory; names of those added or changed."""
    changed = []
    for path in sorted(store.settings.carebot_schedules_dir.glob("*.toml")):
        program, was_changed = add(store, session, path, actor=actor)
        if was_changed:
            changed.append(program.name)
    return changed
