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
from rich.table import Table
from typer import _click as click  # typer's own copy of click

from bot.cli import table as plain_table
from bot.cli.errors import print_error, print_warning
from bot.cli.output import cell, csv_cell, json_dumps, make_console
from bot.config import get_settings
from bot.patients import readiness
from bot.store.store import Store, open_for_reading, open_store

console = make_console()


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


FormatOption = typer.Option(
    Format.table, "--format", help="table for people; json or csv for scripts"
)


def flag(name: str, help: str, *, default: bool = False) -> Any:
    """A boolean option as a pair, `--quiet/--no-quiet`: it takes no value, and the help
    shows both spellings (no `--quiet <bool>`)."""
    return typer.Option(default, f"--{name}/--no-{name}", help=help)


class ChoiceError(click.exceptions.BadParameter):
    """A value outside an option's fixed set: its message names the values it takes (never
    the value typed), and is shown as it is."""


def choice(values: Sequence[str], *, name: str, help: str = "", default: str | None = None) -> Any:
    """An option `--<name>` that takes one of a fixed set of values (`--status active`):
    anything else is refused with exit 2 and a line naming the values it takes. Its
    parameter is a plain `str` (or `str | None`)."""
    allowed = tuple(values)

    def check(value: str | None) -> str | None:
        if value is not None and value not in allowed:
            raise ChoiceError(f"must be one of {', '.join(allowed)}")
        return value

    return typer.Option(
        default,
        f"--{name}",
        help=help or f"one of {', '.join(allowed)}",
        metavar="|".join(allowed),
        callback=check,
    )


def fail(message: str, code: int = 1) -> NoReturn:
    """A refused operation: one line on stderr, a non-zero exit."""
    print_error(message)
    raise typer.Exit(code)


ALLOW_UNCONFIGURED = "--allow-unconfigured"


def check_configured(channels: Sequence[str], *, allow_unconfigured: bool) -> None:
    """Refuse (exit 1, before anything is written) a consent on a channel whose settings are
    missing: its reminders would end `undeliverable` every week with nobody told. With
    `--allow-unconfigured` it goes ahead, with a warning line per such channel."""
    missing = readiness.unconfigured(get_settings(), channels)
    if not missing:
        return
    if not allow_unconfigured:
        fail("; ".join(readiness.missing(ch) for ch in missing) + f" (or {ALLOW_UNCONFIGURED})")
    for channel in missing:
        print_warning(f"{readiness.missing(channel)}; nothing is sent on it until it is configured")


def allow_unconfigured_option() -> Any:
    """`--allow-unconfigured/--no-allow-unconfigured`, for commands that record a consent."""
    return flag(
        "allow-unconfigured",
        "record consent on a channel that is not configured yet (a warning, not a refusal)",
    )


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
    """Print rows as a Rich table, JSON or CSV, every value as data (see bot.cli.output).

    Give `columns` for any list that can be empty: an empty list then prints its table's
    header, `[]` in JSON and the CSV header line, so that a script or a nurse can tell "none"
    from "nothing happened". A value that is a dict or a list stays one in JSON.
    """
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
        heading = cell(title) if title is not None else None
        header = [cell(col) for col in cols]
        body = [[cell(row.get(c)) for c in cols] for row in rows]
        if plain_table.draw(console, heading, header, body):  # as Rich would, only faster
            return
        table = Table(title=heading)
        for col in header:
            table.add_column(col)
        for row_cells in body:
            table.add_row(*row_cells)
        console.print(table, highlight=False)


def emit_one(data: dict[str, Any], fmt: Format, *, title: str | None = None) -> None:
    """Print one record: a JSON object (its nested objects as objects), or a two-column
    table or CSV of field and value."""
    if fmt is Format.json:
        sys.stdout.write(json_dumps(data) + "\n")
        return
    rows = [{"field": k, "value": v} for k, v in data.items()]
    emit(rows, fmt, title=title, columns=["field", "value"])


def confirm(question: str, yes: bool) -> None:
    """Ask before a destructive operation; `--yes` answers for scripts."""
    if yes:
        return
    if not sys.stdin.isatty():
        fail("this is destructive: confirm with --yes", 1)
    if not typer.confirm(question):
        fail("cancelled", 1)
