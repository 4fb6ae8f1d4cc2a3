"""Binding an address by deep link, for any channel whose address is LINKED (a chat app
whose bot cannot write first).

The channel finds the one-time code in the message (`/start CODE` from the link printed at
enrolment); binding it here records the address and the patient's consent. A used, expired
or unknown code is refused politely, and so is one sent from a group (its members' messages
would become the patient's replies): only a one-to-one conversation is bound.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bot.channels.base import InboundMessage
from bot.inbound.receive import match
from bot.patients import enrolment as patients
from bot.store import audit
from bot.store.models import LinkCode, Patient
from bot.store.store import Store

log = logging.getLogger("carebot.link")
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
    "shared": "This account already gets another patient's reminders. Ask your nurse to use "
    "another channel. / Dit account krijgt al de herinneringen van een andere patiënt. / Ce "
    "compte reçoit déjà les rappels d'un autre patient.",
    "group": "Open this link in a private chat with the bot, not in a group. / Open deze link "
    "in een privégesprek met de bot. / Ouvrez ce lien dans une conversation privée "
    "avec le bot.",
    "unknown": "This link is not valid. Ask your nurse for a new one. / Deze link is niet "
    "geldig. / Ce lien n'est pas valide.",
}


def bind(
    store: Store, *, channel: str, code: str, address: str, now: datetime
) -> tuple[str, str | None]:
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
            same = match(store, session, channel, address)
            return ("bound", patient.pseudonym) if same is patient else ("used", None)
        if link.expires_at < now:
            return "expired", None
        holder = match(store, session, channel, address)
        if holder is not None and holder is not patient:
            return "shared", None  # one address, two patients: whose reply would it be?
        link.used_at = now
        session.add(link)
        patients.set_contact(
            store, session, pseudonym=patient.pseudonym, channel=channel, address=address, now=now
        )
        patients.record_consent(
            session,
            pseudonym=patient.pseudonym,
            channel=channel,
            granted=True,
            method="deep-link",
            actor="patient",
            now=now,
        )
        audit.record(
            session, action=f"{channel}.bind", actor="patient", subject=patient.pseudonym, at=now
        )
        return "bound", patient.pseudonym


@dataclass(frozen=True)
class Linked:
    """The answer to a link code, and whose address it bound (if it did)."""

    answer: str
    pseudonym: str | None = None


def take_link(store: Store, message: InboundMessage, code: str) -> Linked:
    """Bind the message's address with its link code, or say why not."""
    if message.group:
        log.warning("a link code from a group conversation on %s was refused", message.channel)
        return Linked(REFUSED["group"])
    outcome, pseudonym = bind(
        store,
        channel=message.channel,
        code=code,
        address=message.address,
        now=message.received_at,
    )
    if outcome != "bound":
        return Linked(REFUSED[outcome])
    with store.session() as session:
        patient = session.get(Patient, pseudonym)
        language = patient.language if patient else "en"
    return Linked(BOUND.get(language, BOUND["en"]), pseudonym)
