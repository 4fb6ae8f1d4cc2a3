"""`carebot patient`: enrol, list, show, pause, resume, consent, erase, export."""

from __future__ import annotations

import inspect
import sys
from datetime import UTC, datetime
from typing import Any

import typer
from sqlmodel import col, func, select
from typer import _click as click  # typer's own copy of click
from typer.core import TyperCommand

from bot.channels import registry
from bot.cli.common import (
    Format,
    FormatOption,
    actor,
    allow_unconfigured_option,
    check_configured,
    choice,
    confirm,
    console,
    emit,
    emit_one,
    fail,
    flag,
    iso,
    reading_store,
    store,
)
from bot.cli.output import json_dumps, say
from bot.cli.times import Zone, ZoneOption, shown
from bot.patients import enrolment as patients
from bot.patients import lifecycle, queries, readiness
from bot.store.models import Patient, Reminder

app = typer.Typer(help="Patients: enrolment, consent and their data.", no_args_is_help=True)


def _channels(value: str | None) -> list[str]:
    return [c.strip() for c in (value or "").split(",") if c.strip()]


ADDRESS = "address_"  # the parameter of `--<channel>` is `address_<channel>`


def _address_options() -> list[click.Parameter]:
    """One `--<name>` option per channel that takes an address (`--sms +32...`), its help
    from the channel's class; Typer builds them from a generated signature, as it builds
    every other option."""
    parameters = [
        inspect.Parameter(
            f"{ADDRESS}{name}",
            inspect.Parameter.KEYWORD_ONLY,
            default=typer.Option(None, f"--{name}", help=registry.kind(name).address_help),
            annotation=str | None,
        )
        for name in registry.NAMES
        if registry.takes_address(name)
    ]

    def take(**_: Any) -> None:
        """The options' holder: never run."""

    take.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    take.__annotations__ = {p.name: p.annotation for p in parameters}
    holder = typer.Typer(add_completion=False)
    holder.command()(take)
    return list(typer.main.get_command(holder).params)


class EnrolCommand(TyperCommand):
    """`patient enrol`, with its channels' address options added when it is run or its help
    shown: reading them imports each channel's class (and SDK), which no other command pays.
    The addresses given reach the command as `ctx.meta[ADDRESS]`, by channel."""

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        if not any((p.name or "").startswith(ADDRESS) for p in self.params):
            at = next(i for i, p in enumerate(self.params) if p.name == "consent")
            self.params[at:at] = _address_options()  # where --sms always stood
        return super().get_params(ctx)

    def invoke(self, ctx: click.Context) -> Any:
        given = {k: ctx.params.pop(k) for k in list(ctx.params) if k.startswith(ADDRESS)}
        ctx.meta[ADDRESS] = {k.removeprefix(ADDRESS): v for k, v in given.items() if v}
        return super().invoke(ctx)


@app.command("enrol", cls=EnrolCommand)
def enrol(
    ctx: typer.Context,
    ref: str = typer.Option(..., "--ref", help="the hospital's patient reference (never stored)"),
    program: str = typer.Option(..., "--program", help="program name, e.g. post-stroke-weekly"),
    lang: str = typer.Option(..., "--lang", help="nl, fr or en"),
    tz: str = typer.Option(..., "--tz", help="IANA time zone, e.g. Europe/Brussels"),
    name: str = typer.Option(..., "--name", help="the name to greet the patient by"),
    consent: str = typer.Option(
        "",
        "--consent",
        help=f"channels the patient agreed to, comma-separated: {','.join(registry.NAMES)}",
    ),
    allow_unconfigured: bool = allow_unconfigured_option(),
    fmt: Format = FormatOption,
) -> None:
    """Enrol a patient with their consent; prints the pseudonym (and, for a channel the
    patient links, such as Telegram, the one-time link). A consent on a channel that is not
    configured is refused, unless --allow-unconfigured."""
    contacts: dict[str, str] = ctx.meta[ADDRESS]
    if any(not registry.known(ch) for ch in _channels(consent)):
        fail(f"--consent names an unknown channel; known: {', '.join(registry.NAMES)}")
    check_configured(_channels(consent), allow_unconfigured=allow_unconfigured)
    result = patients.enrol(
        store(),
        reference=ref,
        program=program,
        language=lang,
        timezone=tz,
        name=name,
        contacts=contacts,
        consent=_channels(consent),
        actor=actor(),
    )
    linked = [name for name in registry.NAMES if registry.linked(name)]
    data = {"pseudonym": result.pseudonym, "created": result.created} | {
        f"{n}_link": result.links.get(n) for n in linked
    }
    if fmt is not Format.table:
        emit_one(data, fmt)
        return
    say(console, f"{'enrolled' if result.created else 'already enrolled'}: {result.pseudonym}")
    for channel, link in result.links.items():
        say(console, f"{registry.kind(channel).title} link (single use): {link}")


PATIENT_STATUSES = ("active", "paused", "ended", "erased")
LIST_COLUMNS = ["pseudonym", "program", "language", "timezone", "status", "channels", "reachable"]


@app.command("list")
def list_(
    status: str | None = choice(PATIENT_STATUSES, name="status"),
    program: str | None = typer.Option(None, help="only this program"),
    silent_weeks: int | None = typer.Option(
        None, "--silent-weeks", help="only active patients with no reply for N weeks"
    ),
    unreachable: bool = flag(
        "unreachable",
        "only patients (not erased or ended) with no consented channel that is configured "
        "and reachable: their reminders end undeliverable",
    ),
    tz: Zone | None = ZoneOption,
    fmt: Format = FormatOption,
) -> None:
    """Enrolled patients, by pseudonym: program, language, zone, status, the channels they
    consented to, and those a reminder can reach now."""
    # --silent-weeks is an audited look at replies: it needs a store that can be written
    s = reading_store() if silent_weeks is None else store()
    with s.session() as session:
        silent = None
        if silent_weeks is not None:
            found = queries.silent(
                session, weeks=silent_weeks, now=datetime.now(UTC), actor=actor()
            )
            silent = {quiet.pseudonym: quiet.last_reply_at for quiet in found}
        query = select(Patient).order_by(col(Patient.enrolled_at), col(Patient.pseudonym))
        if status:
            query = query.where(Patient.status == status)
        if program:
            query = query.where(Patient.program == program)
        rows: list[dict[str, Any]] = []
        consents = patients.consents_of(session)  # one query, not one per patient
        contacts = readiness.contact_states(session)
        for p in session.exec(query):
            if silent is not None and p.pseudonym not in silent:
                continue
            consent = consents.get(p.pseudonym, {})
            can = readiness.reachable(
                s.settings, consent=consent, contacts=contacts.get(p.pseudonym, {})
            )
            if unreachable and (can or p.status in ("erased", "ended")):
                continue
            rows.append(
                {
                    "pseudonym": p.pseudonym,
                    "program": p.program,
                    "language": p.language,
                    "timezone": p.timezone,
                    "status": p.status,
                    "channels": sorted(ch for ch, ok in consent.items() if ok),
                    "reachable": can,
                }
            )
            if silent is not None:  # when they last replied; null: never
                rows[-1]["last_reply_at"] = shown(silent[p.pseudonym], p.timezone, tz, fmt)
    emit(
        rows,
        fmt,
        title="Patients with no reachable channel" if unreachable else "Patients",
        columns=LIST_COLUMNS + (["last_reply_at"] if silent is not None else []),
    )


@app.command("show")
def show(pseudonym: str, fmt: Format = FormatOption) -> None:
    """One patient: enrolment, channels and consent, reminder counts (no personal data)."""
    s = store()
    with s.session() as session:
        p = patients.require(session, pseudonym, erased_ok=True)
        consent = patients.consents(session, p.pseudonym)
        contacts = readiness.contact_states(session, [p.pseudonym]).get(p.pseudonym, {})
        counts = dict(
            session.exec(
                select(Reminder.status, func.count())
                .where(Reminder.pseudonym == p.pseudonym)
                .group_by(Reminder.status)
            ).all()
        )
        data = {
            "pseudonym": p.pseudonym,
            "program": p.program,
            "language": p.language,
            "timezone": p.timezone,
            "status": p.status,
            "enrolled_at": iso(p.enrolled_at),
            "starts_at": iso(p.starts_at),
            "ends_at": iso(p.ends_at),
            "consent": consent,
            "addresses": readiness.addresses(s.settings, contacts),
            "reachable": readiness.reachable(s.settings, consent=consent, contacts=contacts),
            "reminders": counts,
        }
    emit_one(data, fmt)


@app.command("pause")
def pause(pseudonym: str) -> None:
    """Pause a patient: what falls due while paused is cancelled."""
    cancelled = lifecycle.pause(store(), pseudonym, actor=actor())
    say(console, f"paused {pseudonym.upper()}; {cancelled} pending reminder(s) cancelled")


@app.command("resume")
def resume(pseudonym: str) -> None:
    """Resume a patient at their next occurrence, with no burst of the missed ones."""
    lifecycle.resume(store(), pseudonym, actor=actor())
    say(console, f"resumed {pseudonym.upper()}")


@app.command("consent")
def consent(
    pseudonym: str,
    grant: str = typer.Option(
        "", "--grant", help=f"channels to grant, comma-separated: {','.join(registry.NAMES)}"
    ),
    withdraw: str = typer.Option(
        "", "--withdraw", help=f"channels to withdraw, comma-separated: {','.join(registry.NAMES)}"
    ),
    allow_unconfigured: bool = allow_unconfigured_option(),
    fmt: Format = FormatOption,
) -> None:
    """Record consent given or withdrawn (on paper, by phone) and show the current state.
    Granting a channel that is not configured is refused, unless --allow-unconfigured."""
    if any(not registry.known(ch) for ch in _channels(grant) + _channels(withdraw)):
        fail(f"--grant and --withdraw take channel names: {', '.join(registry.NAMES)}")
    check_configured(_channels(grant), allow_unconfigured=allow_unconfigured)
    s = store()
    for channel in _channels(grant):
        lifecycle.change_consent(s, pseudonym, channel=channel, granted=True, actor=actor())
    for channel in _channels(withdraw):
        lifecycle.change_consent(s, pseudonym, channel=channel, granted=False, actor=actor())
    with s.session() as session:
        p = patients.require(session, pseudonym)
        current = patients.consents(session, p.pseudonym)
    emit(
        [
            {"channel": ch, "consent": "granted" if ok else "withdrawn"}
            for ch, ok in sorted(current.items())
        ],
        fmt,
        title=f"Consent of {p.pseudonym}",
        columns=["channel", "consent"],
    )


@app.command("erase")
def erase(pseudonym: str, yes: bool = typer.Option(False, "--yes", help="do not ask")) -> None:
    """Erase a patient for good: their data key is destroyed (crypto-shredding)."""
    s = store()
    with s.session() as session:
        who = patients.require(session, pseudonym).pseudonym
    confirm(f"Erase {who}? Their data cannot be recovered.", yes)
    if not lifecycle.erase(s, who, actor=actor()).purged:
        fail(
            f"erased {who}, but another process kept a read transaction open: old pages stay "
            "in the store's WAL until it ends; then run `carebot db purge`"
        )
    say(console, f"erased {who}")


@app.command("export")
def export(pseudonym: str) -> None:
    """The patient's own data, decrypted, as JSON (an audited access)."""
    data = lifecycle.export(store(), pseudonym, actor=actor())
    sys.stdout.write(json_dumps(data) + "\n")
