"""What every CLI command shares: opening the store, the actor, output formats, errors."""

from __future__ import annotations

import csv
import getpass
import io
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from bot.cli.errors import print_error
from bot.cli.output import cell, csv_cell, json_dumps
from bot.config import get_settings
from bot.store.store import Store, open_for_reading, open_store

console = Console()


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


FormatOption = typer.Option(
    Format.table, "--format", help="table for people; json or csv for scripts"
)


def fail(message: str, code: int = 1) -> NoReturn:
    """A refused operation: one line on stderr, a non-zero exit."""
    print_error(message)
    raise typer.Exit(code)


def store() -> Store:
    """Open the store named by the settings (migrating a new or older one)."""
    return open_store(get_settings())


def reading_store() -> Store:
    """Open the store to read only (see `open_for_reading`): the commands that only look
    work on a full or read-only disk."""
    return open_for_reading(get_settings())


def actor() -> str:
    """Who is acting, for the audit log: CAREBOT_ACTOR, else the login name."""
    try:
        user = os.environ.get("CAREBOT_ACTOR") or getpass.getuser()
    except OSError:
        user = "unknown"
    return f"cli:{user}"


def parse_when(value: str | None) -> datetime:
    """An ISO 8601 instant (UTC when it has no offset), or now."""
    if value is None:
        return datetime.now(UTC)
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        fail("--at must be an ISO 8601 time such as 2026-11-23T10:00:00+01:00", 2)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def emit(
    rows: Sequence[dict[str, Any]],
    fmt: Format,
    *,
    title: str | None = None,
    columns: Sequence[str] | None = None,
) -> None:
    """Print rows as a Rich table, JSON or CSV, every value as data (see bot.cli.output)."""
    cols = list(columns or (rows[0].keys() if rows else []))
    if fmt is Format.json:
        sys.stdout.write(json_dumps(list(rows)) + "\n")
    elif fmt is Format.csv:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=cols, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: csv_cell(row.get(k)) for k in cols})
        sys.stdout.write(buffer.getvalue())
    else:
        table = Table(title=cell(title) if title is not None else None)
        for col in cols:
            table.add_column(cell(col))
        for row in rows:
            table.add_row(*(cell(row.get(c)) for c in cols))
        console.print(table, highlight=False)


def emit_one(data: dict[str, Any], fmt: Format) -> None:
    """Print one record: JSON, or a two-column table."""
    if fmt is Format.json:
        sys.stdout.write(json_dumps(data) + "\n")
        return
    emit([{"field": k, "value": v} for k, v in data.items()], fmt)


def confirm(question: str, yes: bool) -> None:
    """Ask before a destructive operation; `--yes` answers for scripts."""
    if yes:
        return
    if not sys.stdin.isatty():
        fail("this is destructive: confirm with --yes", 1)
    if not typer.confirm(question):
        fail("cancelled", 1)
