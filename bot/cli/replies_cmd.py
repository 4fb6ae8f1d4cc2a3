"""`carebot replies`: the nurses' queue, urgent first; opening a reply is an audited access."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

import typer
from sqlmodel import Session, col, select

from bot.cli.audit_cmd import _since as since_option
from bot.cli.common import (
    Format,
    FormatOption,
    actor,
    console,
    emit,
    emit_one,
    fail,
    flag,
    reading_store,
    store,
)
from bot.cli.output import as_text, json_dumps, say
from bot.cli.times import Zone, ZoneOption, shown
from bot.patients import enrolment as patients
from bot.patients.reasons import flag_reasons
from bot.programs import catalog
from bot.store import audit
from bot.store.keyring import ErasedError
from bot.store.models import Patient, Reply
from bot.store.store import Store
from bot.triage.classify import DEFAULT_THRESHOLDS

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
    patient: str | None = typer.Option(None, "--patient", help="only this patient's, P-..."),
    since: str | None = typer.Option(
        None, "--since", help="received since: 7d, 12h, 2w, a date or an ISO 8601 time"
    ),
    limit: int = typer.Option(200, help="at most this many"),
    tz: Zone | None = ZoneOption,
    fmt: Format = FormatOption,
) -> None:
    """List replies: urgent, then attention, then the rest, oldest first (no message text).
    One patient's (`--patient`) are listed newest first, as their history."""
    if ctx.invoked_subcommand is not None:
        return
    start = since_option(since)
    # one patient's history is an audited access: it needs a store that can be written
    s = reading_store() if patient is None else store()
    with s.session() as session:
        zones = dict(session.exec(select(Patient.pseudonym, Patient.timezone)).all())
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
        if patient is not None:
            who = patients.require(session, patient, erased_ok=True).pseudonym
            audit.record(session, action="replies.patient", actor=actor(), subject=who)
            query = (
                query.where(Reply.pseudonym == who)
                .order_by(None)
                .order_by(col(Reply.received_at).desc(), col(Reply.id).desc())
            )
        if start is not None:
            query = query.where(col(Reply.received_at) >= start)
        rows = [
            {
                "id": r.id,
                "pseudonym": r.pseudonym,
                "channel": r.channel,
                "received_at": shown(r.received_at, zones.get(r.pseudonym or ""), tz, fmt),
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
def show(reply_id: int, tz: Zone | None = ZoneOption, fmt: Format = FormatOption) -> None:
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
        owner = session.get(Patient, reply.pseudonym) if reply.pseudonym else None
        zone = owner.timezone if owner else None
        data = {
            "id": reply.id,
            "pseudonym": reply.pseudonym,
            "channel": reply.channel,
            "received_at": shown(reply.received_at, zone, tz, fmt),
            "text": text,
            "flags": _flags(reply),
            "reasons": _reasons(s, session, owner, text),
            "readings": _shown(readings),
            "reviewed": reply.reviewed,
            "resolution": _resolution(s, session, reply, zone, tz, fmt),
        }
    if fmt is Format.json:
        sys.stdout.write(json_dumps(data, indent=None) + "\n")
        return
    if fmt is Format.csv:
        emit_one(data, fmt)
        return
    for key, value in data.items():
        if isinstance(value, dict):  # readings and resolution: one line per field
            for field, inner in value.items():
                say(console, (f"{key}.{field}", "bold"), ": ", as_text(inner))
        elif isinstance(value, list) and key == "reasons":
            say(console, (key, "bold"), ": ", "; ".join(value) or "none")
        else:
            say(console, (key, "bold"), ": ", as_text(value))


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


READINGS = ("systolic", "diastolic", "glucose_mmol_l")


def _shown(readings: dict[str, object]) -> dict[str, object]:
    """The readings as a nurse reads them: each of the design's fields (null when the reply
    gave none), what a meter showed instead of a number, and whether a unit was assumed."""
    shown = {k: readings.get(k) for k in READINGS} | {
        k: v
        for k, v in readings.items()
        if v is not None and k not in ("glucose_unit_assumed", "glucose_code", *READINGS)
    }
    if readings.get("glucose_code"):
        shown["glucose"] = f"meter shows {readings['glucose_code']}"
    if readings.get("glucose_unit_assumed"):
        shown["glucose_unit"] = "unit assumed"
    return shown


def _reasons(s: Store, session: Session, owner: Patient | None, text: str) -> list[str]:
    """Why the reply is flagged, against its patient's program's thresholds (the defaults
    for an unknown sender), worked out again from its text."""
    program = catalog.get(s, session, owner.program) if owner else None
    limits = program.threshold_values() if program else DEFAULT_THRESHOLDS
    return flag_reasons(text, limits, language=owner.language if owner else None)


def _resolution(
    s: Store, session: Session, reply: Reply, zone: str | None, tz: Zone | None, fmt: Format
) -> dict[str, object] | None:
    """Who resolved the reply, when, and their note (decrypted: part of this audited access)."""
    if not reply.reviewed:
        return None
    note = None
    if reply.note_enc:
        note = s.decrypt(
            session,
            reply.key_owner,
            reply.note_enc,
            table="reply",
            column="note",
            row=reply.id or 0,
        )
    return {"by": reply.reviewed_by, "at": shown(reply.reviewed_at, zone, tz, fmt), "note": note}
