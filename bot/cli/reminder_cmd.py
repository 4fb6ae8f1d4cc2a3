"""`carebot reminder resolve`: an admin's decision on a reminder whose send has an unknown
outcome (`unconfirmed`), since carebot never sends such a reminder again by itself (unless
its program says `on_unconfirmed = "resend"`).

`--delivered`: the admin checked (with the patient, or at the provider) that it arrived; it
becomes `delivered`. `--resend`: it is planned again and the next `carebot tick` sends it,
if its catch-up grace still allows (else refused: it would only be `missed`). `--drop`: it
becomes `cancelled`, with that reason. The note is the admin's free text and may name the
patient: it is stored encrypted under the patient's own key, like a reply's resolution note
(erasing the patient destroys it with the rest); the audit event says only that there was one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import typer

from bot.cli.common import actor, console, fail, store
from bot.cli.output import say
from bot.programs import catalog
from bot.store import audit
from bot.store.models import DataKey, Reminder
from bot.store.statuses import ReminderStatus

app = typer.Typer(help="Reminders: decide on those whose outcome is unknown.", no_args_is_help=True)

RESOLUTIONS = {
    "delivered": (ReminderStatus.DELIVERED, "confirmed delivered by an admin"),
    "resend": (ReminderStatus.PLANNED, "to be sent again, as an admin decided"),
    "drop": (ReminderStatus.CANCELLED, "dropped by an admin after an unknown outcome"),
}


def _resolution(delivered: bool, resend: bool, drop: bool) -> str:
    chosen = [
        name for name, on in (("delivered", delivered), ("resend", resend), ("drop", drop)) if on
    ]
    if len(chosen) != 1:
        fail("give exactly one of --delivered, --resend or --drop", 2)
    return chosen[0]


@app.command("resolve")
def resolve(
    reminder_id: int = typer.Argument(..., help="the reminder's id (`carebot audit unconfirmed`)"),
    delivered: bool = typer.Option(False, "--delivered", help="it did arrive"),
    resend: bool = typer.Option(False, "--resend", help="send it again at the next tick"),
    drop: bool = typer.Option(False, "--drop", help="do not send it; cancel it"),
    note: str = typer.Option(..., "--note", help="why (kept encrypted)"),
) -> None:
    """Decide on one `unconfirmed` reminder: delivered, sent again, or dropped (audited)."""
    choice = _resolution(delivered, resend, drop)
    if not note.strip():
        fail("--note must say why", 2)
    s = store()
    who, now = actor(), datetime.now(UTC)
    with s.session() as session:
        reminder = session.get(Reminder, reminder_id, with_for_update=True)
        if reminder is None:
            fail(f"no reminder {reminder_id}")
        if reminder.status != ReminderStatus.UNCONFIRMED:
            fail(
                f"reminder {reminder_id} is {reminder.status}, not unconfirmed: nothing to resolve"
            )
        if choice == "resend":
            grace = catalog.get(s, session, reminder.program).catch_up_grace_hours
            if now > reminder.due_at + timedelta(hours=grace):
                fail(
                    f"reminder {reminder_id} is past its catch-up grace ({grace:g} h): "
                    "a resend would be missed; use --delivered or --drop"
                )
            reminder.next_attempt_at, reminder.claim_token = now, None
        status, reason = RESOLUTIONS[choice]
        # an erased patient's key is gone: the note cannot be kept, the decision still is
        kept = session.get(DataKey, reminder.pseudonym) is not None
        if kept:
            reminder.note_enc = s.encrypt(
                session, reminder.pseudonym, note, table="reminder", column="note", row=reminder_id
            )
        reminder.status, reminder.error, reminder.updated_at = status, reason, now
        session.add(reminder)
        audit.record(
            session,
            action="reminder.resolve",
            actor=who,
            subject=reminder.pseudonym,
            reminder=reminder_id,
            resolution=choice,
            status=str(status),
            with_note=kept,
            at=now,
        )
    say(console, f"reminder {reminder_id} resolved: {status}")
