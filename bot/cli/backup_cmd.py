"""`carebot backup FILE` and `carebot restore FILE`: encrypted copies of the store, and
restores that erase again whoever was erased after the copy was made."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.admin import backup as backups
from bot.cli.common import actor, confirm, console, fail, store
from bot.config import get_settings


def backup(
    file: Path = typer.Argument(..., help="the backup file to write (mode 0600)"),
    force: bool = typer.Option(False, "--force", help="replace FILE if it exists"),
) -> None:
    """An encrypted online copy of the store (SQLCipher, keyed like the store)."""
    written = backups.backup(store(), file, force=force, actor=actor())  # or a CarebotError
    console.print(f"backup written to {written}", markup=False, highlight=False)


def restore(
    file: Path | None = typer.Argument(None, help="a file written by `carebot backup`"),
    erasures_only: bool = typer.Option(
        False,
        "--erasures-only",
        help="restore nothing: erase "
        "again whoever the erasure ledger names (after a "
        "restore made outside carebot, e.g. pg_restore)",
    ),
    yes: bool = typer.Option(False, "--yes", help="do not ask"),
) -> None:
    """Replace the store with a backup, then erase again everyone erased since it was made.

    Refused while any other process has the store open: stop carebot run, serve and tick."""
    if erasures_only:
        if file is not None:
            fail("--erasures-only takes no FILE", 2)
        again = backups.reapply(store(), actor=actor())
        console.print(f"{len(again)} patient(s) erased again")
        return
    if file is None:
        fail("restore needs the backup FILE (or --erasures-only)", 2)
    confirm("Replace the store with this backup? What was recorded since is lost.", yes)
    result = backups.restore(get_settings(), file, actor=actor())
    console.print(
        f"restored {file}; {len(result.reerased)} patient(s) erased since the "
        "backup were erased again",
        markup=False,
        highlight=False,
    )
