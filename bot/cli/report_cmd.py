"""`carebot report`: delivery, reply, opt-out and urgent figures per week."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import typer

from bot.cli.common import Format, FormatOption, actor, console, emit, fail, reading_store, store
from bot.cli.errors import print_error
from bot.cli.output import say
from bot.report.figures import Week, as_rows, end_of, weekly
from bot.report.html import render_html, write_private
from bot.store import audit
from bot.store.faults import Fault, StoreFault


def _until(value: str | None, now: datetime) -> datetime:
    """The end of the period: the end of the day given (YYYY-MM-DD), or now."""
    if value is None:
        return now
    try:
        day = date.fromisoformat(value)
    except ValueError:
        fail("--until must be a date such as 2026-11-30 (YYYY-MM-DD)", 2)
    return end_of(day)


def _document(data: list[Week], end: datetime) -> dict[str, object]:
    """The weekly rows as a report document (format v1), for the page: the figures the rows
    hold, the others null."""
    mapped = {"due": "reminders", "sent": "sent", "delivered": "delivered", "failed": "failed"}
    mapped |= {"attention": "out_of_range", "urgent": "urgent", "opt_outs": "opt_outs"}
    weeks = [
        {"week": w.week, "ran": True} | {k: getattr(w, v) for k, v in mapped.items()} for w in data
    ]
    return {
        "format": "carebot.report",
        "version": 1,
        "generated_at": datetime.now(UTC).isoformat(),
        "program": None,
        "period": {"from": data[0].week, "until": end.date().isoformat(), "weeks": len(data)},
        "small_cell_threshold": 0,
        "weeks": weeks,
        "totals": {k: sum(getattr(w, v) for w in data) for k, v in mapped.items()},
        "cohort": [],
    }


def report(
    weeks: int = typer.Option(8, "--weeks", min=1, max=520, help="how many weeks, up to --until"),
    until: str | None = typer.Option(
        None, "--until", help="the last day counted (YYYY-MM-DD, UTC); default today"
    ),
    html: Path | None = typer.Option(None, "--html", help="also write a self-contained page"),
    fmt: Format = FormatOption,
) -> None:
    """Per week, for the N weeks ending with the week of --until: reminders sent, delivered
    and failed, reply rate, readings out of range, urgent replies and opt-outs."""
    end = _until(until, datetime.now(UTC))
    try:
        with store().session() as session:
            data = weekly(session, weeks=weeks, now=end)
            audit.record(
                session,
                action="report",
                actor=actor(),
                weeks=weeks,
                until=end.date().isoformat(),
                html=bool(html),
            )
    except StoreFault as fault:
        # Counts only, no personal data: on a full or read-only store the report is still
        # given, read only, and says that its audit event could not be written.
        if fault.fault not in (Fault.FULL, Fault.READ_ONLY):
            raise
        with reading_store().session() as session:
            data = weekly(session, weeks=weeks, now=end)
        print_error(f"{fault.head}: this report is not in the audit log")
    if html is not None:
        try:
            write_private(html, render_html(_document(data, end)))
        except OSError as exc:
            fail(f"cannot write the --html file: {exc.strerror}")
    title = f"carebot: {weeks} week(s) to {end.date().isoformat()}"
    emit(as_rows(data), fmt, title=title, columns=list(Week.__dataclass_fields__))
    if html is not None and fmt is Format.table:
        say(console, f"report written to {html}")
