"""Provider status callbacks: a sent reminder moves on to delivered, read or failed.

Only Twilio sends them, so only a reminder that went by SMS is ever moved: a callback naming
another channel's message id (or an attempt on another channel) changes nothing, and its
error code cannot withdraw another channel's consent.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlmodel import Session, select

from bot.patients import enrolment as patients
from bot.store import audit
from bot.store.models import DeliveryAttempt, Reminder
from bot.store.store import Store

# Twilio's MessageStatus -> carebot's reminder status. Anything else leaves it as it is.
TWILIO = {"delivered": "delivered", "read": "read", "undelivered": "failed", "failed": "failed"}
# `planned` too: a send looked up too early and planned again may still be confirmed here.
RANK = {
    "planned": 0,
    "sending": 0,
    "sent": 1,
    "unconfirmed": 1,
    "delivered": 2,
    "read": 3,
    "failed": 2,
}
OPT_OUT_CODES = {"21610"}
ATTEMPT = re.compile(r"[0-9]{1,10}")  # an attempt id: ASCII digits...
MAX_ID = 2**31 - 1  # ...within PostgreSQL's INTEGER (SQLite's is 64-bit)


def _by_attempt(session: Session, attempt: str | None, provider_id: str) -> Reminder | None:
    """The reminder of the attempt named in the callback URL, when the callback overtook the
    dispatcher's own record of the SID (it then records the SID itself)."""
    if attempt is None or ATTEMPT.fullmatch(attempt) is None or int(attempt) > MAX_ID:
        return None
    row = session.get(DeliveryAttempt, int(attempt))
    if row is None or row.channel != "sms" or row.provider_id not in (None, provider_id):
        return None
    reminder = session.get(Reminder, row.reminder_id, with_for_update=True)
    if reminder is None or reminder.channel != "sms":
        return None
    if reminder.provider_id is None:
        row.provider_id = reminder.provider_id = provider_id
        session.add(row)
    return reminder


def apply(
    store: Store,
    *,
    provider_id: str,
    status: str,
    error_code: str | None,
    now: datetime,
    attempt: str | None = None,
) -> bool:
    """Record a callback; True if a reminder changed. Late or repeated callbacks never move a
    reminder backwards (a `sent` arriving after `delivered` is ignored)."""
    new = TWILIO.get(status)
    if not provider_id or new is None:
        return False
    with store.session() as session:
        reminder = session.exec(
            select(Reminder)
            .where(Reminder.provider_id == provider_id, Reminder.channel == "sms")
            .with_for_update()
        ).first() or _by_attempt(session, attempt, provider_id)
        if reminder is None or RANK.get(reminder.status, 9) >= RANK[new]:
            return False
        reminder.status, reminder.updated_at = new, now
        if new == "failed":
            reminder.error = f"provider error {error_code}" if error_code else "undelivered"
            if error_code in OPT_OUT_CODES and reminder.channel:
                patients.record_consent(
                    session,
                    pseudonym=reminder.pseudonym,
                    channel=reminder.channel,
                    granted=False,
                    method="provider",
                    actor="twilio",
                    now=now,
                )
        session.add(reminder)
        audit.record(
            session,
            action=f"reminder.{new}",
            actor="twilio",
            subject=reminder.pseudonym,
            reminder=reminder.id,
            code=error_code,
            at=now,
        )
        return True
