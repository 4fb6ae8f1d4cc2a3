"""`carebot report`: per week and for the period, what became of the reminders, who was
reached and replied, blood pressure, urgent replies, opt-outs and whether carebot ran, as
the report document v1 (docs/formats/report-v1.md), its small cells suppressed."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import typer
from sqlmodel import Session, col, select

from bot.cli.common import Format, FormatOption, actor, console, emit, fail, reading_store, store
from bot.cli.errors import print_error
from bot.cli.output import json_dumps, say
from bot.config import get_settings
from bot.programs.model import is_name
from bot.report.document import build
from bot.report.figures import end_of
from bot.report.html import render_html, write_private
from bot.report.layout import CSV_COLUMNS, cohort_table, csv_rows, figure_tables
from bot.store import audit
from bot.store.faults import Fault, StoreFault
from bot.store.models import Program
from bot.store.store import Store


def _until(value: str | None, now: datetime) -> datetime:
    """The end of the period: the end of the day given (YYYY-MM-DD), or now."""
    if value is None:
        return now
    try:
        day = date.fromisoformat(value)
    except ValueError:
        fail("--until must be a date such as 2026-11-30 (YYYY-MM-DD)", 2)
    return end_of(day)


def _check_program(session: Session, name: str | None) -> None:
    """Refuse a program the store does not hold, naming those it does."""
    if name is None or session.get(Program, name) is not None:
        return
    known = list(session.exec(select(Program.name).order_by(col(Program.name))))
    shown = repr(name) if is_name(name) else "of that name"  # never echo what is not a slug
    fail(f"no program {shown} in the store; known: {', '.join(known) or 'none'}")


def _document(s: Store, session: Session, weeks: int, end: datetime, program: str | None) -> Any:
    _check_program(session, program)
    threshold = get_settings().carebot_report_small_cell
    return build(s, session, weeks=weeks, until=end, program=program, threshold=threshold)


def report(
    weeks: int = typer.Option(8, "--weeks", min=1, max=520, help="how many weeks, up to --until"),
    until: str | None = typer.Option(
        None, "--until", help="the last day counted (YYYY-MM-DD, UTC); default today"
    ),
    program: str | None = typer.Option(None, "--program", help="one program; default all"),
    html: Path | None = typer.Option(None, "--html", help="also write a self-contained page"),
    fmt: Format = FormatOption,
) -> None:
    """Per week (Monday to Sunday, UTC) and for the period, for the N weeks ending with the
    week of --until: reminders and their outcomes, patients reached and replying, blood
    pressure, urgent replies, opt-outs, whether carebot ran, and replies by week since
    enrolment. Small counts are shown as <5 (CAREBOT_REPORT_SMALL_CELL)."""
    end = _until(until, datetime.now(UTC))
    try:
        s = store()
        with s.session() as session:
            document = _document(s, session, weeks, end, program)
            audit.record(
                session,
                action="report",
                actor=actor(),
                weeks=weeks,
                until=end.date().isoformat(),
                program=program,
                html=bool(html),
            )
    except StoreFault as fault:
        # Counts only, no personal data: on a full or read-only store the report is still
        # given, read only, and says that its audit event could not be written.
        if fault.fault not in (Fault.FULL, Fault.READ_ONLY):
            raise
        r = reading_store()
        with r.session() as session:
            document = _document(r, session, weeks, end, program)
        print_error(f"{fault.head}: this report is not in the audit log")
    if html is not None:
        try:
            write_private(html, render_html(document))
        except OSError as exc:
            fail(f"cannot write the --html file: {exc.strerror}")
    _print(document, fmt)
    if html is not None and fmt is Format.table:
        say(console, f"report written to {html}")


def _print(document: dict[str, Any], fmt: Format) -> None:
    if fmt is Format.json:
        sys.stdout.write(json_dumps(document) + "\n")
        return
    if fmt is Format.csv:
        emit(csv_rows(document), fmt, columns=CSV_COLUMNS)
        return
    span, threshold = document["period"], document["small_cell_threshold"]
    # short lines: a terminal 80 columns wide shows each whole
    say(console, f"carebot report: {document['program'] or 'all programs'}")
    say(
        console,
        f"{span['weeks']} week(s), {span['from']} to {span['until']}; weeks start on Monday (UTC)",
    )
    if threshold:
        say(console, f"counts under {threshold} and rates over fewer patients show as <{threshold}")
    for table in figure_tables(document, width=console.width):
        console.print(table, highlight=False)
    if document["cohort"]:
        console.print(cohort_table(document), highlight=False)
