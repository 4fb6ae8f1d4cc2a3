"""`carebot audit`: deliveries, the keyed hash chain, its sealing, head and verification."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import typer
from sqlmodel import col, select

from bot.channels import registry
from bot.cli.common import (
    Format,
    FormatOption,
    choice,
    console,
    emit,
    fail,
    iso,
    reading_store,
    store,
)
from bot.cli.output import say
from bot.store import audit, audit_heads, audit_tags
from bot.store.models import Reminder
from bot.store.statuses import ReminderStatus

app = typer.Typer(help="Audit: what went out, and the tamper-evident log.", no_args_is_help=True)


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    match = re.fullmatch(r"(\d+)([hdw])", value.strip())
    if match:
        unit = {"h": "hours", "d": "days", "w": "weeks"}[match.group(2)]
        return datetime.now(UTC) - timedelta(**{unit: int(match.group(1))})
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        fail("--since takes 7d, 12h, 2w or an ISO 8601 time", 2)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@app.command("deliveries")
def deliveries(
    since: str | None = typer.Option(None, "--since", help="e.g. 7d, 12h, or an ISO time"),
    status: ReminderStatus | None = typer.Option(
        None, "--status", help="e.g. failed, sent, unconfirmed"
    ),
    channel: str | None = choice(registry.NAMES, name="channel"),
    pseudonym: str | None = typer.Option(None, "--patient", help="one patient's pseudonym"),
    limit: int = typer.Option(10000, help="at most this many rows"),
    fmt: Format = FormatOption,
) -> None:
    """Every reminder with its status, channel, attempts and provider id."""
    s = reading_store()
    query = select(Reminder).order_by(col(Reminder.due_at), col(Reminder.id)).limit(limit)
    if (start := _since(since)) is not None:
        query = query.where(col(Reminder.due_at) >= start)
    if status:
        query = query.where(Reminder.status == status)
    if channel:
        query = query.where(Reminder.channel == channel)
    if pseudonym:
        query = query.where(Reminder.pseudonym == pseudonym.upper())
    with s.session() as session:
        rows = [
            {
                "reminder_id": r.id,
                "pseudonym": r.pseudonym,
                "program": r.program,
                "channel": r.channel,
                "due_at": iso(r.due_at),
                "status": r.status,
                "attempts": r.attempts,
                "provider_id": r.provider_id,
                "error": r.error,
            }
            for r in session.exec(query)
        ]
    emit(
        rows,
        fmt,
        title="Deliveries",
        columns=[
            "reminder_id",
            "pseudonym",
            "program",
            "channel",
            "due_at",
            "status",
            "attempts",
            "provider_id",
            "error",
        ],
    )


def ago(since: datetime | None, now: datetime) -> str | None:
    """How long ago, in the two largest units a person reads at a glance (`2d 3h`, `45m`)."""
    if since is None:
        return None
    minutes = max(int((now - since).total_seconds() // 60), 0)
    days, hours, mins = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {mins}m" if hours else f"{mins}m"


UNCONFIRMED = [
    "reminder_id",
    "pseudonym",
    "program",
    "channel",
    "due_at",
    "since",
    "age",
    "attempts",
    "error",
]


@app.command("unconfirmed")
def unconfirmed(fmt: Format = FormatOption) -> None:
    """Every reminder whose send has an unknown outcome, oldest first: for an admin to check
    and decide with `carebot reminder resolve ID --delivered|--resend|--drop`."""
    now = datetime.now(UTC)
    query = (
        select(Reminder)
        .where(Reminder.status == ReminderStatus.UNCONFIRMED)
        .order_by(col(Reminder.updated_at), col(Reminder.id))
    )
    with reading_store().session() as session:  # a look only: works on a full disk too
        rows = [
            {
                "reminder_id": r.id,
                "pseudonym": r.pseudonym,
                "program": r.program,
                "channel": r.channel,
                "due_at": iso(r.due_at),
                "since": iso(r.updated_at),
                "age": ago(r.updated_at, now),
                "attempts": r.attempts,
                "error": r.error,
            }
            for r in session.exec(query)
        ]
    emit(rows, fmt, title="Unconfirmed reminders", columns=UNCONFIRMED)


@app.command("log")
def log(
    limit: int = typer.Option(50, help="the newest N events"), fmt: Format = FormatOption
) -> None:
    """The newest audit events (ids and statuses only, never personal data); those not
    sealed into the chain yet come last, with no seq or hash and `sealed` false."""
    with reading_store().session() as session:
        rows = [
            {
                "seq": e.seq,
                "at": iso(e.at),
                "actor": e.actor,
                "action": e.action,
                "subject": e.subject,
                "detail": json.loads(e.detail) if e.detail else {},  # an object, not a string
                "hash": e.hash[:16] if e.hash else None,
                "sealed": e.seq is not None,
            }
            for e in audit.newest(session, limit)
        ]
    emit(
        rows,
        fmt,
        title="Audit log",
        columns=["seq", "at", "actor", "action", "subject", "detail", "hash", "sealed"],
    )


@app.command("seal")
def seal() -> None:
    """Seal the events appended since the last seal into the chain, and say how many (a
    tick does it at its end; this is for now, e.g. before `audit head`); exit 1 naming any
    event left unsealed because carebot did not write it as it stands."""
    s = store()
    sealed = audit.seal_all(s.session, warn=False)  # named below, in one line
    say(console, f"{sealed} event{'' if sealed == 1 else 's'} sealed")
    with s.session() as session:
        refused = audit_tags.refused(session, audit.keys_of(session).event)
    if refused:
        fail(f"{audit_tags.describe(refused)}: left unsealed")


@app.command("head")
def head(
    to: str | None = typer.Option(None, "--to", help="also append it to FILE, or `syslog`"),
) -> None:
    """The newest sealed event's head token (SEQ:HASH:TAG): keep it elsewhere, e.g. from cron
    with --to (after `audit seal`), to prove later that nothing was edited or cut."""
    with reading_store().session() as session:
        seq, token = audit.head_token(session)
    if to is not None:
        audit_heads.keep(audit_heads.line(seq, token), to=to)  # or a one-line HeadError
    say(console, token)


@app.command("verify")
def verify(
    head: str | None = typer.Option(None, "--head", help="a head token (or hash) kept earlier"),
) -> None:
    """Recompute the keyed chain of sealed events and count those not sealed yet; exit 1
    naming the first broken event, an unknown head, or events cut from the end."""
    with reading_store().session() as session:
        verdict = audit.verify(session, head=head)
    if verdict.broken_seq is not None:
        fail(
            f"audit chain broken at event {verdict.broken_seq}: {verdict.reason} "
            f"({verdict.checked} events intact before it)"
        )
    if verdict.refused:
        fail(f"{audit_tags.describe(list(verdict.refused))}: never sealed")
    if verdict.head == "unknown":
        fail(f"unknown head: {verdict.reason} ({verdict.checked} events checked)")
    if verdict.head == "cut":
        fail(f"events were cut from the end: {verdict.reason} ({verdict.checked} checked)")
    since = (
        ""
        if verdict.head_seq is None
        else f"; the head kept is event {verdict.head_seq}, "
        f"{verdict.checked - verdict.head_seq} written since"
    )
    say(console, f"audit chain intact: {verdict.checked} events checked{since}{_waiting(verdict)}")


def _waiting(verdict: audit.ChainCheck) -> str:
    """The events not sealed yet: covered by no hash until the next seal."""
    if not verdict.unsealed:
        return ""
    plural = "" if verdict.unsealed == 1 else "s"
    age = ago(verdict.oldest_unsealed, datetime.now(UTC))
    return (
        f"; {verdict.unsealed} event{plural} not sealed yet, the oldest written {age} ago "
        "(sealed by the next tick, or now by `carebot audit seal`)"
    )
