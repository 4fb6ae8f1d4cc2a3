"""Reading a program is a read: adding one (a file validated, stored and audited) is a call
of its own, `catalog.add` or `catalog.ensure`."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import func, select

from bot.config import Settings
from bot.programs import catalog
from bot.programs.model import ProgramError
from bot.store.models import AuditEvent
from bot.store.models import Program as ProgramRow
from bot.store.store import open_store
from tests.helpers import settings_for, write_program


def test_get_reads_and_never_adds_a_shipped_program(tmp_path: Path, settings: Settings) -> None:
    write_program(tmp_path)
    store = open_store(settings_for(tmp_path, settings))
    try:
        with store.session() as session:
            events = session.exec(select(func.count()).select_from(AuditEvent)).one()
            with pytest.raises(ProgramError, match="unknown program 'test-weekly'"):
                catalog.get(store, session, "test-weekly")
            assert session.get(ProgramRow, "test-weekly") is None
            assert session.exec(select(func.count()).select_from(AuditEvent)).one() == events
            program = catalog.ensure(store, session, "test-weekly", actor="test")
            assert catalog.get(store, session, "test-weekly") == program
            actions = session.exec(select(AuditEvent.action)).all()
            assert "program.add" in actions
            with pytest.raises(ProgramError, match="unknown program 'nothing-here'"):
                catalog.ensure(store, session, "nothing-here", actor="test")
    finally:
        store.engine.dispose()
