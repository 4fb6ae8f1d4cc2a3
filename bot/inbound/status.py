"""Provider status updates: a sent reminder moves on to delivered, read or failed.

The channel that sent the message parses its provider's callback into a `StatusUpdate`
(carebot's status, the provider's error code and what it means); only a reminder sent on
that channel is ever moved: an update naming another channel's message id (or an attempt on
another channel) changes nothing, and its error cannot withdraw another channel's consent.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlmodel import Session, select

from bot.channels.base import ErrorKind, StatusUpdate
from bot.patients import enrolment as patients
from bot.store import audit
from bot.store.models import DeliveryAttempt, Reminder
from bot.store.store import Store

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
SETTLED = ("delivered", "read", "failed")  # what an update may move a reminder to
ATTEMPT = re.compile(r"[0-9]{1,10}")  # an attempt id: ASCII digits...
MAX_ID = 2**31 - 1  # ...within PostgreSQL's INTEGER (SQLite's is 64-bit)


def _by_attempt(session: Session, update: StatusUpdate) -> Reminder | None:
    """The reminder of the attempt named in the callback URL, when the callback overtook the
    dispatcher's own record of the SID (it then records the SID itself)."""
    attempt, provider_id = update.attempt, update.provider_id
    if attempt is None or ATTEMPT.fullmatch(attempt) is None or int(attempt) > MAX_ID:
        return None
    row = session.get(DeliveryAttempt, int(attempt))
    if row is None or row.channel != update.channel or row.provider_id not in (None, provider_id):
        return None
    reminder = session.get(Reminder, row.reminder_id, with_for_update=True)
    if reminder is None or reminder.channel != update.channel:
        return None
    if reminder.provider_id is None:
        row.provider_id = reminder.provider_id = provider_id
        session.add(row)
    return reminder


def apply(store: Store, update: StatusUpdate, *, now: datetime) -> bool:
    """Record a status update; True if a reminder changed. Late or repeated updates never
    move a reminder backwards (a `sent` arriving after `delivered` is ignored)."""
    new = update.status
    if not update.provider_id or new not in SETTLED:
        return False
    with store.session() as session:
        reminder = session.exec(
            select(Reminder)
            .where(Reminder.provider_id == update.provider_id, Reminder.channel == update.channel)
            .with_for_update()
        ).first() or _by_attempt(session, update)
        if reminder is None or RANK.get(reminder.status, 9) >= RANK[new]:
            return False
        reminder.status, reminder.updated_at = new, now
        code = update.error_code
        if new == "failed":
            reminder.error = f"provider error {code}" if code else "undelivered"
            if update.kind is ErrorKind.RECIPIENT_REFUSED and reminder.channel:
                patients.record_consent(
                    session,
                    pseudonym=reminder.pseudonym,
                    channel=reminder.channel,
                    granted=False,
                    method="provider",
                    actor=update.channel,
                    now=now,
                )
        session.add(reminder)
        audit.record(
            session,
            action=f"reminder.{new}",
            actor=update.channel,
            subject=reminder.pseudonym,
            reminder=reminder.id,
            code=code,
            at=now,
        )
        return True
