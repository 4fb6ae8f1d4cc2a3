"""`carebot patient import FILE.csv [--dry-run]`: enrol a list, all of it or none of it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from bot.cli.common import (
    Format,
    FormatOption,
    actor,
    allow_unconfigured_option,
    check_configured,
    console,
    emit,
    fail,
    store,
)
from bot.cli.output import json_dumps, say
from bot.patients import importer

COLUMNS = ["row", "status", "column", "reason", "pseudonym", "links"]


def import_(
    file: Path = typer.Argument(..., help="a UTF-8 CSV file with a header row"),
    dry_run: bool = typer.Option(False, "--dry-run", help="check every row, write nothing"),
    allow_unconfigured: bool = allow_unconfigured_option(),
    fmt: Format = FormatOption,
) -> None:
    """Enrol the patients of a CSV file (columns ref, program, lang, tz, name, one per
    typed address such as sms and x, and consent, its channels separated by `;`). Every row
    is checked first: if one is refused, none is written, and the refused rows are listed
    by row number, column and reason (never the cell's value)."""
    try:
        with file.open("rb") as handle:
            data = handle.read(importer.MAX_BYTES + 1)
    except OSError:
        fail("cannot read that file (check its name and permissions)")
    rows = importer.read(data)
    # as `patient enrol`: a consent on a channel with no settings is refused, for the file
    check_configured(importer.consented_channels(rows), allow_unconfigured=allow_unconfigured)
    outcomes = importer.run(store(), rows, actor=actor(), dry_run=dry_run)
    refused = [o for o in outcomes if o.status == "refused"]
    written = not refused and not dry_run
    table: list[dict[str, Any]] = [
        {
            "row": o.row,
            "status": o.status if written or o.status != "enrolled" else "checked",
            "column": o.column,
            "reason": o.reason,
            "pseudonym": o.pseudonym if written or o.status != "enrolled" else None,
            "links": list(o.links) if written else [],
        }
        for o in outcomes
    ]
    if fmt is Format.json:
        report = {"dry_run": dry_run, "written": written, "rows": table}
        sys.stdout.write(json_dumps(report) + "\n")
    else:
        emit(table if fmt is Format.csv else refused_first(table), fmt, columns=COLUMNS)
    if fmt is Format.table:
        already = sum(o.status == "already enrolled" for o in outcomes)
        say(console, _summary(len(outcomes), len(refused), already, dry_run=dry_run))
    if refused:
        raise typer.Exit(1)


def refused_first(table: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For people: the refused rows first, those that need fixing."""
    return sorted(table, key=lambda row: (row["status"] != "refused", row["row"]))


def _summary(rows: int, refused: int, already: int, *, dry_run: bool) -> str:
    if refused:
        return f"{refused} of {rows} row(s) refused: nothing was written; fix them and run again"
    if dry_run:
        return f"dry run: {rows} row(s) checked, none refused; nothing was written"
    kept = f"; {already} already enrolled, left unchanged (see `patient edit`)" if already else ""
    return f"{rows - already} patient(s) enrolled{kept}"
