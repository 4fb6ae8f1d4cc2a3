"""`carebot patient enrol|pause|resume|consent|erase|export`: what changes an enrolment.

The group and where each of its commands lives: bot/cli/patient_group.py."""

from __future__ import annotations

import inspect
import sys
from typing import Any

import typer
from typer import _click as click  # typer's own copy of click
from typer.core import TyperCommand

from bot.channels import registry
from bot.cli.common import (
    Format,
    FormatOption,
    actor,
    allow_unconfigured_option,
    check_configured,
    confirm,
    console,
    emit,
    emit_one,
    fail,
    store,
)
from bot.cli.output import json_dumps, say
from bot.patients import enrolment as patients
from bot.patients import lifecycle


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


def pause(pseudonym: str) -> None:
    """Pause a patient: what falls due while paused is cancelled."""
    cancelled = lifecycle.pause(store(), pseudonym, actor=actor())
    say(console, f"paused {pseudonym.upper()}; {cancelled} pending reminder(s) cancelled")


def resume(pseudonym: str) -> None:
    """Resume a patient at their next occurrence, with no burst of the missed ones."""
    lifecycle.resume(store(), pseudonym, actor=actor())
    say(console, f"resumed {pseudonym.upper()}")


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


def export(pseudonym: str) -> None:
    """The patient's own data, decrypted, as JSON (an audited access)."""
    data = lifecycle.export(store(), pseudonym, actor=actor())
    sys.stdout.write(json_dumps(data) + "\n")
