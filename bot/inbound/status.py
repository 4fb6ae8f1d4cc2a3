"""Provider status callbacks: a sent reminder moves on to delivered, read or failed."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from bot import audit, patients
from bot.store.keyring import Store
from bot.store.models import Reminder

# Twilio's MessageStatus -> carebot's reminder status. Anything else leaves it as it is.
TWILIO = {"delivered": "delivered", "read": "read", "undelivered": "failed", "failed": "failed"}
RANK = {"sending": 0, "sent": 1, "unconfirmed": 1, "delivered": 2, "read": 3, "failed": 2}
OPT_OUT_CODES = {"21610"}


def apply(store: Store, *, provider_id: str, status: str, error_code: str | None,
          now: datetime) -> bool:
    """Record a callback; True if a reminder changed. Late or repeated callbacks never move a
    reminder backwards (a `sent` arriving after `delivered` is ignored)."""
    new = TWILIO.get(status)
    if not provider_id or new is None:
        return False
    with store.session() as session:
        reminder = session.exec(select(Reminder).where(Reminder.provider_id == provider_id)
                                ).first()
        if reminder is None or RANK.get(reminder.status, 9) >= RANK[new]:
            return False
        reminder.status, reminder.updated_at = new, now
        if new == "failed":
            reminder.error = f"provider error {error_code}" if error_code else "undelivered"
            if error_code in OPT_OUT_CODES and reminder.channel:
                patients.record_consent(session, pseudonym=reminder.pseudonym,
                                        channel=reminder.channel, granted=False,
                                        method="provider", actor="twilio", now=now)
        session.add(reminder)
        audit.record(session, action=f"reminder.{new}", actor="twilio", subject=reminder.pseudonym,
                     reminder=reminder.id, code=error_code, at=now)
        return True
