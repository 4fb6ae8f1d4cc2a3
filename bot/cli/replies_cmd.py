"""`carebot replies`: the nurses' queue, urgent first; opening a reply is an audited access."""

from __future__ import annotations

import json
from datetime import UTC, datetime

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
    iso,
    store,
)
from bot.cli.output import say
from bot.store import audit
from bot.store.keyring import ErasedError
from bot.store.models import Reply

app = typer.Typer(
    help="The nurses' queue of patient replies, urgent first.", invoke_without_command=True
)


def _flags(reply: Reply) -> list[str]:
    return [f for f in reply.flags.split(",") if f]


@app.callback()
def queue(
    ctx: typer.Context,
    urgent: bool = flag("urgent", "only urgent replies"),
    unreviewed: bool = flag("unreviewed", "only those not yet resolved"),
    limit: int = typer.Option(200, help="at most this many"),
    fmt: Format = FormatOption,
) -> None:
    """List replies: urgent, then attention, then the rest, oldest first (no message text)."""
    if ctx.invoked_subcommand is not None:
        return
    s = store()
    with s.session() as session:
        query = (
            select(Reply)
            .order_by(
                col(Reply.reviewed), col(Reply.priority), col(Reply.received_at), col(Reply.id)
            )
            .limit(limit)
        )
        if urgent:
            query = query.where(Reply.priority == 0)
        if unreviewed:
            query = query.where(Reply.reviewed == False)  # noqa: E712
        rows = [
            {
                "id": r.id,
                "pseudonym": r.pseudonym,
                "channel": r.channel,
                "received_at": iso(r.received_at),
                "flags": _flags(r),
                "reviewed": r.reviewed,
            }
            for r in session.exec(query)
        ]
    emit(
        rows,
        fmt,
        title="Replies",
        columns=["id", "pseudonym", "channel", "received_at", "flags", "reviewed"],
    )


@app.command("show")
def show(reply_id: int, fmt: Format = FormatOption) -> None:
    """Decrypt and show one reply with its readings. The access is audited."""
    s = store()
    with s.session() as session:
        reply = session.get(Reply, reply_id)
        if reply is None:
            fail(f"no reply {reply_id}")
        try:
            text = s.decrypt(
                session, reply.key_owner, reply.text_enc, table="reply", column="text", row=reply_id
            )
            readings = json.loads(
                s.decrypt(
                    session,
                    reply.key_owner,
                    reply.readings_enc or b"",
                    table="reply",
                    column="readings",
                    row=reply_id,
                )
            )
        except ErasedError:
            fail(f"reply {reply_id} belonged to an erased patient: its text is gone")
        audit.record(
            session, action="reply.open", actor=actor(), subject=reply.pseudonym, reply=reply_id
        )
        data = {
            "id": reply.id,
            "pseudonym": reply.pseudonym,
            "channel": reply.channel,
            "received_at": iso(reply.received_at),
            "text": text,
            "flags": _flags(reply),
            "readings": _shown(readings),
            "reviewed": reply.reviewed,
        }
    emit_one(data, fmt, title=f"Reply {reply_id}")


@app.command("resolve")
def resolve(
    reply_id: int, note: str | None = typer.Option(None, "--note", help="kept encrypted")
) -> None:
    """Mark a reply reviewed, recording who and when; the note is stored encrypted."""
    s = store()
    who = actor()
    with s.session() as session:
        reply = session.get(Reply, reply_id)
        if reply is None:
            fail(f"no reply {reply_id}")
        if reply.reviewed:
            fail(f"reply {reply_id} was already resolved by {reply.reviewed_by}")
        reply.reviewed, reply.reviewed_by, reply.reviewed_at = True, who, datetime.now(UTC)
        if note:
            reply.note_enc = s.encrypt(
                session, reply.key_owner, note, table="reply", column="note", row=reply_id
            )
        session.add(reply)
        audit.record(
            session,
            action="reply.resolve",
            actor=who,
            subject=reply.pseudonym,
            reply=reply_id,
            with_note=bool(note),
        )
    say(console, f"reply {reply_id} resolved")


def _shown(readings: dict[str, object]) -> dict[str, object]:
    """The readings as a nurse reads them: what was found, and whether a unit was assumed."""
    shown = {
        k: v
        for k, v in readings.items()
        if v is not None and k not in ("glucose_unit_assumed", "glucose_code")
    }
    if readings.get("glucose_code"):
        shown["glucose"] = f"meter shows {readings['glucose_code']}"
    if readings.get("glucose_unit_assumed"):
        shown["glucose_unit"] = "unit assumed"
    return shown
