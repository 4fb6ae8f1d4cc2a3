"""Telegram updates, from long polling (`carebot tick`, `carebot run`) or the webhook.

`/start CODE` from the enrolment deep link binds the chat to the patient and records their
consent; a used, expired or unknown code is refused politely, and so is one sent from a group
(its members' messages would become the patient's replies): only a private chat is bound.
Everything else is a reply, matched through the blind index of the chat id. Each update is
handled once: replies are keyed by update id, and the polling offset is kept in the store.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlmodel import select

from bot.channels.telegram import Incoming
from bot.inbound.alerts import Notice, respond
from bot.inbound.bodies import TELEGRAM_TEXT, usable_text
from bot.inbound.receive import match, receive
from bot.patients import enrolment as patients
from bot.store import audit
from bot.store.models import ChannelState, LinkCode, Patient
from bot.store.store import Store

START = re.compile(r"^/start(?:@\w+)?\s+([A-Za-z0-9_-]{8,64})\s*$")
OFFSET = "telegram.offset"
log = logging.getLogger("carebot.telegram")

BOUND = {
    "nl": "Welkom! U krijgt voortaan uw wekelijkse herinnering hier. Stuur /stop om te stoppen.",
    "fr": "Bienvenue ! Vous recevrez désormais votre rappel ici. Envoyez /stop pour arrêter.",
    "en": "Welcome! Your weekly reminder will come here from now on. Send /stop to stop.",
}
REFUSED = {
    "used": "This link was already used. Ask your nurse for a new one. / Deze link is al "
    "gebruikt. / Ce lien a déjà été utilisé.",
    "expired": "This link has expired. Ask your nurse for a new one. / Deze link is verlopen. "
    "/ Ce lien a expiré.",
    "shared": "This Telegram account already gets another patient's reminders. Ask your "
    "nurse to use another channel. / Dit Telegram-account krijgt al de herinneringen "
    "van een andere patiënt. / Ce compte Telegram reçoit déjà les rappels d'un autre "
    "patient.",
    "group": "Open this link in a private chat with the bot, not in a group. / Open deze link "
    "in een privégesprek met de bot. / Ouvrez ce lien dans une conversation privée "
    "avec le bot.",
    "unknown": "This link is not valid. Ask your nurse for a new one. / Deze link is niet "
    "geldig. / Ce lien n'est pas valide.",
}


def bind(store: Store, *, code: str, chat_id: str, now: datetime) -> tuple[str, str | None]:
    """Use a one-time code: ('bound', pseudonym), or ('used'|'expired'|'shared'|'unknown',
    None)."""
    with store.session() as session:
        link = session.get(LinkCode, store.keys.code_index(code))
        if link is None:
            return "unknown", None
        patient = session.get(Patient, link.pseudonym)
        if patient is None or patient.status == "erased":
            return "unknown", None
        if link.used_at is not None:
            same = match(store, session, "telegram", chat_id)
            return ("bound", patient.pseudonym) if same is patient else ("used", None)
        if link.expires_at < now:
            return "expired", None
        holder = match(store, session, "telegram", chat_id)
        if holder is not None and holder is not patient:
            return "shared", None  # one chat, two patients: whose reply would it be?
        link.used_at = now
        session.add(link)
        patients.set_contact(
            store,
            session,
            pseudonym=patient.pseudonym,
            channel="telegram",
            address=chat_id,
            now=now,
        )
        patients.record_consent(
            session,
            pseudonym=patient.pseudonym,
            channel="telegram",
            granted=True,
            method="deep-link",
            actor="patient",
            now=now,
        )
        audit.record(
            session, action="telegram.bind", actor="patient", subject=patient.pseudonym, at=now
        )
        return "bound", patient.pseudonym


@dataclass(frozen=True)
class Handled:
    """What to do after an incoming message: answer it, alert the on-call nurse, or neither."""

    answer: str | None
    notice: Notice | None = None
    pseudonym: str | None = None


def handle(store: Store, message: Incoming) -> Handled:
    """Act on one incoming message: `/start CODE`, or a reply to store and triage."""
    text = usable_text(message.text, limit=TELEGRAM_TEXT)
    start = START.match(text.strip())
    if start and message.chat_type != "private":
        log.warning("a /start from a %s chat was refused", _kind(message.chat_type))
        return Handled(REFUSED["group"])
    if start:
        outcome, pseudonym = bind(
            store, code=start.group(1), chat_id=message.chat_id, now=message.received_at
        )
        if outcome != "bound":
            return Handled(REFUSED[outcome])
        with store.session() as session:
            patient = session.get(Patient, pseudonym)
            return Handled(
                BOUND.get(patient.language if patient else "en", BOUND["en"]), pseudonym=pseudonym
            )
    result = receive(
        store,
        channel="telegram",
        text=text,
        address=message.chat_id,
        received_at=message.received_at,
        provider_message_id=f"telegram:{message.update_id}",
    )
    return Handled(result.answer, result.notice, result.pseudonym)


def _kind(chat_type: str) -> str:
    """A chat type fit for a log line (Telegram's own words, nothing else)."""
    return chat_type if chat_type in ("group", "supergroup", "channel") else "non-private"


def get_offset(store: Store) -> int | None:
    with store.session() as session:
        state = session.get(ChannelState, OFFSET)
        return int(state.value) if state else None


def set_offset(store: Store, offset: int) -> None:
    with store.session() as session:
        state = session.exec(select(ChannelState).where(ChannelState.name == OFFSET)).first()
        state = state or ChannelState(name=OFFSET, value="0")
        state.value = str(offset)
        session.add(state)


class Polled(Protocol):
    async def fetch(self, offset: int | None) -> list[Incoming]: ...
    async def send_text(self, address: str, text: str) -> None: ...


async def poll(store: Store, channel: Polled) -> int:
    """Collect what Telegram holds for us, answer what needs an answer; returns how many."""
    updates = await channel.fetch(get_offset(store))
    for update in updates:
        if not update.text:
            continue
        handled = handle(store, update)
        await respond(
            store,
            "telegram",
            channel.send_text,
            update.chat_id,
            handled.answer,
            handled.notice,
            subject=handled.pseudonym,
        )
    if updates:
        set_offset(store, updates[-1].update_id + 1)
    return len(updates)
