"""`carebot patient edit|end|find`: the changes a nurse makes to an enrolment."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import typer
from sqlmodel import col, func, select
from typer import _click as click  # typer's own copy of click
from typer.core import TyperCommand

from bot.channels import registry
from bot.cli.common import Format, FormatOption, actor, console, emit_one, fail, store
from bot.cli.output import say
from bot.cli.patient_cmd import ADDRESS, _address_options
from bot.outbound.planning import plan
from bot.patients import edit as editing
from bot.patients import lifecycle, queries
from bot.store.models import Reminder
from bot.store.statuses import ReminderStatus


class EditCommand(TyperCommand):
    """`patient edit`, with an `--<channel>` option for each channel whose address is typed
    (as `patient enrol` has), read only when the command runs or shows its help."""

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        if not any((p.name or "").startswith(ADDRESS) for p in self.params):
            typed = [
                p
                for p in _address_options()
                if registry.typed_address((p.name or "").removeprefix(ADDRESS))
            ]
            self.params[1:1] = typed  # after the pseudonym; a linked address is the patient's
        return super().get_params(ctx)

    def invoke(self, ctx: click.Context) -> Any:
        given = {k: ctx.params.pop(k) for k in list(ctx.params) if k.startswith(ADDRESS)}
        ctx.meta[ADDRESS] = {k.removeprefix(ADDRESS): v for k, v in given.items() if v}
        return super().invoke(ctx)


def edit(
    ctx: typer.Context,
    pseudonym: str = typer.Argument(..., help="the patient, P-XXXX-XXXX"),
    tz: str | None = typer.Option(None, "--tz", help="new IANA time zone"),
    lang: str | None = typer.Option(None, "--lang", help="new language: nl, fr or en"),
    name: str | None = typer.Option(None, "--name", help="new name to greet the patient by"),
    program: str | None = typer.Option(None, "--program", help="move to this program"),
    fmt: Format = FormatOption,
) -> None:
    """Change a patient's address, zone, language, name or program. A new address withdraws
    that channel's consent until it is granted again; a new zone, language or program
    replans the reminders not yet sent."""
    changes = editing.Changes(
        contacts=ctx.meta[ADDRESS], timezone=tz, language=lang, name=name, program=program
    )
    s = store()
    now = datetime.now(UTC)
    done = editing.edit(s, pseudonym, changes, actor=actor(), now=now)
    planned = 0
    if {"timezone", "language", "program"} & set(done.changed):
        with s.session() as session:
            plan(s.engine, session, now=now, horizon_days=s.settings.carebot_plan_horizon_days)
            planned = session.exec(
                select(func.count()).where(
                    col(Reminder.pseudonym) == done.pseudonym,
                    col(Reminder.status) == ReminderStatus.PLANNED,
                )
            ).one()
    data = {
        "pseudonym": done.pseudonym,
        "changed": done.changed,
        "consent_withdrawn": done.consent_withdrawn,
        "reminders_replaced": done.replaced,
        "reminders_planned": planned,
    }
    if fmt is not Format.table:
        emit_one(data, fmt)
        return
    say(console, f"edited {done.pseudonym}: {', '.join(done.changed) or 'nothing changed'}")
    if done.replaced or planned:
        say(console, f"{done.replaced} planned reminder(s) replaced; {planned} now planned")
    for channel in done.consent_withdrawn:
        say(
            console,
            f"{channel} consent withdrawn for the new address; once the patient agrees, run "
            f"`carebot patient consent {done.pseudonym} --grant {channel}`",
        )


def end(
    pseudonym: str = typer.Argument(..., help="the patient, P-XXXX-XXXX"),
    reason: str | None = typer.Option(
        None, "--reason", help=f"one of: {', '.join(lifecycle.END_REASONS)}"
    ),
    fmt: Format = FormatOption,
) -> None:
    """End a patient's follow-up: status `ended`, the reminders not yet sent cancelled."""
    cancelled = lifecycle.end(store(), pseudonym, reason=reason, actor=actor())
    data = {
        "pseudonym": pseudonym.strip().upper(),
        "status": "ended",
        "reason": reason,
        "reminders_cancelled": cancelled,
    }
    if fmt is not Format.table:
        emit_one(data, fmt)
        return
    say(console, f"ended {data['pseudonym']}; {cancelled} pending reminder(s) cancelled")


def find(
    ref: str = typer.Option(..., "--ref", help="the hospital's patient reference"),
    fmt: Format = FormatOption,
) -> None:
    """The pseudonym of a hospital reference (exit 1 when it is not enrolled). Audited."""
    patient = queries.find(store(), ref, actor=actor())
    if patient is None:
        fail("no patient is enrolled with that reference")
    data = {"pseudonym": patient.pseudonym, "status": patient.status, "program": patient.program}
    if fmt is not Format.table:
        emit_one(data, fmt)
        return
    say(console, f"{patient.pseudonym} ({patient.status}, {patient.program})")
