"""`carebot program`: add, list, show, preview and pause programs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer
from sqlmodel import col, select

from bot.cli.common import (
    Format,
    FormatOption,
    actor,
    console,
    emit,
    emit_one,
    fail,
    flag,
    parse_when,
    store,
)
from bot.cli.output import say
from bot.outbound.planning import local_slots
from bot.patients import lifecycle
from bot.programs import catalog, emergency, render
from bot.store import audit
from bot.store import on_call as on_call_address
from bot.store.models import Patient
from bot.store.models import Program as ProgramRow

app = typer.Typer(
    help="Programs: cadence, channels, templates and thresholds.", no_args_is_help=True
)


@app.command("add")
def add(path: Path = typer.Argument(..., help="the program's TOML file")) -> None:
    """Validate a program file and load it (refused, with the reason, if anything is wrong)."""
    s = store()
    with s.session() as session:
        program, changed = catalog.add(s, session, path, actor=actor())
    say(console, f"program {program.name} {'loaded' if changed else 'unchanged'}")


@app.command("list")
def list_(fmt: Format = FormatOption) -> None:
    """The programs in the store."""
    s = store()
    with s.session() as session:
        catalog.add_shipped(s, session, actor="carebot")
        rows = [
            {
                "name": r.name,
                "version": r.version,
                "paused": r.paused,
                "description": catalog.from_row(r).description,
            }
            for r in catalog.rows(session)
        ]
    emit(rows, fmt, title="Programs", columns=["name", "version", "paused", "description"])


@app.command("show")
def show(name: str, fmt: Format = FormatOption) -> None:
    """One program: cadence, channels, templates' sensitivity, thresholds, and the on-call
    channel with its address masked."""
    s = store()
    with s.session() as session:
        program = catalog.ensure(s, session, name, actor=actor())
        on_call = (
            None
            if program.on_call is None
            else {
                "channel": program.on_call[0],
                "address": on_call_address.masked(
                    on_call_address.unseal(s, session, program.name, program.on_call[1])
                ),
            }
        )
    emit_one(
        {
            "name": program.name,
            "description": program.description,
            "cron": program.cron,
            "start_offset_days": program.start_offset_days,
            "duration_weeks": program.duration_weeks,
            "catch_up_grace_hours": program.catch_up_grace_hours,
            "quiet_hours": (
                f"{program.quiet_start}-{program.quiet_end}" if program.quiet_start else None
            ),
            "languages": program.languages,
            "channels": program.channels,
            "templates": {k: v.sensitivity for k, v in program.templates.items()},
            "thresholds": program.thresholds,
            "on_call": on_call,
            # None: each patient is told their own country's number.
            "emergency_number": program.emergency_number,
        },
        fmt,
    )


@app.command("pause")
def pause(name: str, resume: bool = flag("resume", "resume it instead")) -> None:
    """Pause a program: nothing of it is planned or sent until it is resumed."""
    s = store()
    with s.session() as session:
        catalog.ensure(s, session, name, actor=actor())
        row = session.get(ProgramRow, name)
        assert row is not None
        row.paused = not resume
        session.add(row)
        lifecycle.program_paused(session, name, paused=not resume)
        audit.record(
            session,
            action="program.resume" if resume else "program.pause",
            actor=actor(),
            subject=name,
        )
    say(console, f"program {name} {'resumed' if resume else 'paused'}")


@app.command("preview")
def preview(
    name: str,
    limit: int = typer.Option(10, help="how many patients"),
    at: str | None = typer.Option(None, "--at", help="preview as of this ISO 8601 time"),
    fmt: Format = FormatOption,
) -> None:
    """Each patient's next send, rendered as they will receive it (an audited access)."""
    now = parse_when(at)
    s = store()
    rows = []
    with s.session() as session:
        program = catalog.ensure(s, session, name, actor=actor())
        patients = session.exec(
            select(Patient)
            .where(Patient.program == name, Patient.status == "active")
            .order_by(col(Patient.pseudonym))
            .limit(limit)
        ).all()
        for p in patients:
            start = max(now, p.plan_from)
            slots = local_slots(program, p.timezone, start, start + timedelta(days=14))
            if not slots:
                continue
            text_name = (
                s.decrypt(
                    session,
                    p.pseudonym,
                    p.name_enc,
                    table="patient",
                    column="name",
                    row=p.pseudonym,
                )
                if p.name_enc
                else ""
            )
            body = render.render_message(
                program,
                channel=program.channels[0],
                language=p.language,
                name=text_name,
                week=(slots[0] - p.starts_at).days // 7 + 1,
                emergency_number=emergency.patient_number(s, session, p, program),
                hospital=s.settings.carebot_hospital_contact,
            )
            rows.append(
                {
                    "pseudonym": p.pseudonym,
                    "next": slots[0].isoformat(),
                    "language": p.language,
                    "message": body,
                }
            )
        audit.record(
            session,
            action="program.preview",
            actor=actor(),
            subject=name,
            patients=len(rows),
            at=datetime.now(UTC),
        )
    if not rows:
        fail(f"program {name} has no active patient with a send in the next two weeks")
    emit(rows, fmt, title=f"Next sends of {name}")
