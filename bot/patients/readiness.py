"""Whether carebot can reach a patient: a consent, an address, and a channel that is configured.

A consent on a channel whose settings are missing is a reminder that will end `undeliverable`
every week with nobody told. So enrolment refuses it unless asked (`--allow-unconfigured`),
`patient show` never calls such a channel reachable, and `patient list --unreachable` finds
the patients left with no channel that can carry a reminder.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from bot.channels import registry
from bot.config import Settings
from bot.store.models import Contact


def configured(settings: Settings, channel: str) -> bool:
    """Whether the channel's settings are present (the console's always are)."""
    return registry.kind(channel).configured(settings)


def unconfigured(settings: Settings, channels: Iterable[str]) -> list[str]:
    """The channels among these (known ones) whose settings are missing, in the given order."""
    return [
        ch for ch in dict.fromkeys(channels) if registry.known(ch) and not configured(settings, ch)
    ]


def missing(channel: str) -> str:
    """One line: the channel is not configured, and the settings it needs."""
    return f"channel {channel} is not configured: it needs {registry.kind(channel).requires}"


def contact_states(
    session: Session, pseudonyms: list[str] | None = None
) -> dict[str, dict[str, bool]]:
    """Per patient, per channel they have an address on: whether it is still reachable (a
    provider may have refused it for good)."""
    # the three columns only: not the encrypted addresses, nor a row object for each
    query = select(Contact.pseudonym, Contact.channel, Contact.reachable)
    if pseudonyms is not None:
        query = query.where(col(Contact.pseudonym).in_(pseudonyms))
    states: dict[str, dict[str, bool]] = {}
    for pseudonym, channel, reachable in session.exec(query):
        states.setdefault(pseudonym, {})[channel] = reachable
    return states


def addresses(settings: Settings, contacts: dict[str, bool]) -> dict[str, str]:
    """Per channel the patient has an address on: `reachable`, `unreachable` (a provider
    refused it for good) or `not configured` (no reminder can go out on it at all)."""
    return {
        channel: "not configured"
        if registry.known(channel) and not configured(settings, channel)
        else ("reachable" if ok else "unreachable")
        for channel, ok in sorted(contacts.items())
    }


def reachability(
    settings: Settings, *, consent: dict[str, bool], contacts: dict[str, bool]
) -> dict[str, str]:
    """Per channel the patient has an address on or a consent event for: `reachable`, or why
    not (`no consent`, `not configured`, `no address` such as a Telegram link not opened
    yet, `unreachable` as the provider said), in the order dispatch checks them."""
    states = {}
    for channel in sorted(set(consent) | set(contacts)):
        if not registry.known(channel):
            continue
        needs_address = registry.takes_address(channel)
        if not consent.get(channel, False):
            states[channel] = "no consent"
        elif not configured(settings, channel):
            states[channel] = "not configured"
        elif needs_address and channel not in contacts:
            states[channel] = "no address"
        elif needs_address and not contacts[channel]:
            states[channel] = "unreachable"
        else:
            states[channel] = "reachable"
    return states


def reachable(
    settings: Settings, *, consent: dict[str, bool], contacts: dict[str, bool]
) -> list[str]:
    """The channels a reminder could go out on now: consented, configured and addressed."""
    states = reachability(settings, consent=consent, contacts=contacts)
    return [ch for ch, state in states.items() if state == "reachable"]
