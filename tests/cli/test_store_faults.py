"""The CLI on a store that cannot be written (full or read-only disk): reading commands
still work, writing ones refuse in one plain line naming the store."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.store import db
from tests.conftest import POSTGRES_ADMIN_URL, Cli
from tests.helpers import first_due

pytestmark = pytest.mark.skipif(bool(POSTGRES_ADMIN_URL), reason="SQLCipher files only")

READING: tuple[tuple[str, ...], ...] = (
    ("audit", "deliveries"),
    ("audit", "log"),
    ("audit", "verify"),
    ("audit", "head"),
    ("patient", "list"),
    ("replies",),
    ("report",),
)


def _with_history(cli: Cli) -> Path:
    """A store with a patient, a reminder sent and a reply; returns its file."""
    enrolled = cli(
        "patient", "enrol", "--ref", "AZ-1", "--program", "post-stroke-weekly", "--lang", "nl",
        "--tz", "Europe/Brussels", "--name", "Jan", "--consent", "console",
    )  # fmt: skip
    assert enrolled.code == 0, enrolled.err
    pseudonym = enrolled.out.split()[-1]
    assert cli("tick", "--at", (first_due() + timedelta(minutes=1)).isoformat()).code == 0
    assert cli("reply", pseudonym, "bloeddruk 150 op 95").code == 0
    path = Path(cli.env["CAREBOT_DATABASE_URL"].removeprefix("sqlite:///"))
    assert not Path(f"{path}-wal").exists()  # every connection closed, the WAL folded in
    return path


def _check_reading_and_refusals(cli: Cli, path: Path, fault: str) -> None:
    before = path.read_bytes()
    for command in READING:
        result = cli(*command)
        assert result.code == 0, (command, result.err)
    deliveries = cli("audit", "deliveries", "--format", "json")
    assert '"status": "sent"' in deliveries.out
    refused: tuple[tuple[str, ...], ...] = (("tick",), ("replies", "show", "1"))
    for command in refused:
        result = cli(*command)
        assert result.code == 1
        assert result.err.strip().splitlines() == [
            f"error: the store is {fault} ({path}): only reading commands can run"
        ], command
    assert path.read_bytes() == before  # nothing written, not even by the refusals


def test_reading_commands_work_where_the_store_cannot_be_shared(cli: Cli) -> None:
    """A -shm file that cannot be made is what a full or a read-only disk does to a WAL
    store (SQLite needs it to read): the readers open the file immutable instead."""
    path = _with_history(cli)
    Path(f"{path}-shm").mkdir()  # no -shm file can be made there
    _check_reading_and_refusals(cli, path, "read-only")
    report = cli("report")
    assert report.err.strip() == (
        f"error: the store is read-only ({path}): this report is not in the audit log"
    )


def test_a_tick_on_a_full_store_says_so_once(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _with_history(cli)
    for ref in range(2, 30):  # more reminders due, for the next week
        cli(
            "patient", "enrol", "--ref", f"AZ-{ref}", "--program", "post-stroke-weekly",
            "--lang", "nl", "--tz", "Europe/Brussels", "--name", "Jan", "--consent", "console",
        )  # fmt: skip
    week = first_due() + timedelta(days=7)
    assert cli("tick", "--at", (week - timedelta(hours=1)).isoformat()).code == 0  # planned
    pages = path.stat().st_size // 4096
    monkeypatch.setattr(db, "PRAGMAS", (*db.PRAGMAS, f"max_page_count={pages}"))
    result = cli("tick", "--at", (week + timedelta(minutes=1)).isoformat())
    assert result.code == 1
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: the store is full ({path}): cycle stopped")
    assert "unexpected" not in result.err
    assert cli("audit", "verify").code == 0  # and the admin can still look


@contextlib.contextmanager
def _small_volume(size: str) -> Iterator[Path]:
    """A tmpfs of `size`, where this machine lets a test mount one (skipped elsewhere)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small volume needs root")
    folder = Path(f"/tmp/carebot-small-{os.getpid()}")
    folder.mkdir(exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        folder.rmdir()
        pytest.skip("this machine does not let a test mount a volume")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)
        folder.rmdir()


def test_a_real_read_only_and_full_volume(cli: Cli) -> None:
    with _small_volume("3m") as volume:
        cli.env["CAREBOT_DATABASE_URL"] = f"sqlite:///{volume / 'carebot.db'}"
        path = _with_history(cli)
        subprocess.run(["mount", "-o", "remount,ro", str(volume)], check=True)
        _check_reading_and_refusals(cli, path, "read-only")
        subprocess.run(["mount", "-o", "remount,rw", str(volume)], check=True)
        with (volume / "filler").open("wb") as filler, contextlib.suppress(OSError):
            while True:
                filler.write(b"\0" * 65536)
                filler.flush()
        for command in READING:
            result = cli(*command)
            assert result.code == 0, (command, result.err)
        tick = cli("tick", "--at", datetime.now(UTC).isoformat())
        assert tick.code == 1
        assert tick.err.strip().startswith(f"error: the store is full ({path})")
