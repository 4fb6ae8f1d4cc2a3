"""`carebot export fhir`: the records as FHIR R4 files for the hospital's own systems."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import typer

from bot.cli.common import actor, console, fail, flag, reading_store, store
from bot.cli.output import say
from bot.export.fhir import export
from bot.export.fhir_gather import Selection
from bot.export.fhir_write import check_out

app = typer.Typer(help="Export the records for the hospital's own systems.", no_args_is_help=True)


def _since(value: str | None) -> datetime | None:
    """The start (00:00 UTC) of the day given as YYYY-MM-DD."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        fail("--since must be a date such as 2026-11-30 (YYYY-MM-DD)", 2)
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


@app.command("fhir")
def fhir(
    out: Path = typer.Option(..., "--out", help="a new or empty folder, or a previous export"),
    since: str | None = typer.Option(
        None, "--since", help="only what changed on or after this day (YYYY-MM-DD, UTC)"
    ),
    patient: str | None = typer.Option(None, "--patient", help="one patient (P-XXXX-XXXX)"),
    texts: bool = flag("texts", "put the replies' texts in the export", default=True),
) -> None:
    """Write FHIR R4 JSON: a Bundle per patient, NDJSON per resource type and a manifest
    (docs/formats/fhir-v1.md). Erased patients are left out. Decrypts: an audited access."""
    start = _since(since)
    check_out(out)  # refused before the store is opened
    selection = Selection(since=start, pseudonym=patient, texts=texts)
    writer = store()  # first: it migrates an older store, which the reader cannot
    manifest = export(
        writer,
        out=out,
        selection=selection,
        actor=actor(),
        now=datetime.now(UTC),
        reader=reading_store(),
    )
    total = sum(manifest["counts"].values())
    say(console, f"exported {manifest['patients']} patient(s), {total} resource(s) to {out}")
