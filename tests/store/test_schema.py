"""Several `carebot` processes starting together on an empty store: one makes the schema, the
others wait for it and find it current (an advisory lock on PostgreSQL, a lock file on SQLite),
so that none of them fails on a half-made `alembic_version` or a table made twice."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import make_url, text

from bot.store import schema
from tests.conftest import CAREBOT, Cli

PROCESSES = 4


def _start_together(cli: Cli, *args: str) -> list[tuple[int, str]]:
    """`carebot ARGS` in PROCESSES processes started at once; each one's exit code and stderr."""
    procs = [
        subprocess.Popen(
            [CAREBOT, *args],
            cwd=cli.cwd,
            env=cli.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    return [(proc.wait(timeout=120), proc.stderr.read() if proc.stderr else "") for proc in procs]


def _revisions(database_url: str, cli: Cli) -> list[str]:
    """The `alembic_version` rows, read with carebot's own keyed engine."""
    from bot.store import crypto, db

    engine = db.make_engine(
        database_url, crypto.decode_key(cli.env["CAREBOT_MASTER_KEY"], what="key")
    )
    try:
        with engine.connect() as conn:
            return [row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))]
    finally:
        engine.dispose()


@pytest.mark.subprocess
def test_ticks_started_together_on_an_empty_store_all_succeed(cli: Cli, database_url: str) -> None:
    results = _start_together(cli, "tick")
    failed = [(code, err) for code, err in results if code != 0]
    assert not failed, failed
    assert _revisions(database_url, cli) == [_head()]


def _head() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(schema.alembic_config(None)).get_current_head()
    assert head is not None
    return head


def test_the_lock_file_beside_a_sqlite_store_is_private(cli: Cli, database_url: str) -> None:
    if not make_url(database_url).drivername.startswith("sqlite"):
        pytest.skip("a SQLite store's lock file")
    assert cli("status").code == 0
    lock = Path(f"{make_url(database_url).database}.lock")
    assert lock.is_file()
    assert lock.stat().st_mode & 0o777 == 0o600


def test_the_newest_revision_read_from_the_files_is_alembics() -> None:
    assert schema.heads() == {_head()}


def test_a_store_newer_than_this_carebot_is_refused_in_one_line(
    cli: Cli, database_url: str
) -> None:
    from bot.store import crypto, db

    assert cli("status").code == 0
    engine = db.make_engine(
        database_url, crypto.decode_key(cli.env["CAREBOT_MASTER_KEY"], what="key")
    )
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    finally:
        engine.dispose()
    result = cli("patient", "list")
    assert result.code == 1
    assert (
        result.err
        == "error: the store's schema is newer than this carebot: upgrade carebot before using it\n"
    )
