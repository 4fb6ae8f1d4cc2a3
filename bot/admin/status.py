"""`carebot status`: can carebot reach its patients? Read from the store only.

Each registered channel (configured in this process or not, its last success, last error and
since when it has been unreachable), the last cycle, the active patients that no channel can
reach (none consented, reachable and configured), and the patients whose last reminders all
ended `undeliverable` or `missed`: what a ward would otherwise learn weeks late. And the
audit log's events not sealed into the chain yet: how many, how old the oldest, and how many
of them carebot did not write as they stand (never to be sealed).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.channels import registry
from bot.config import Settings
from bot.patients.queries import consents_of
from bot.store import audit, audit_tags, health
from bot.store.models import Contact, Patient, Reminder
from bot.store.statuses import ReminderStatus as S

LOST = frozenset({S.UNDELIVERABLE, S.MISSED})
ENDED = frozenset({S.SENT, S.DELIVERED, S.READ, S.FAILED, S.CANCELLED, S.UNCONFIRMED} | LOST)


@dataclass(frozen=True)
class Streak:
    """A patient's newest reminders that all ended without reaching them."""

    pseudonym: str
    length: int
    since: datetime  # the due time of the oldest of them
    reason: str | None  # the newest one's


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def channels(session: Session, settings: Settings) -> list[dict[str, Any]]:
    """Every registered channel, configured or not, with its stored health."""
    rows = []
    for name in registry.NAMES:
        state = health.load(session, name)
        rows.append(
            {
                "channel": name,
                "configured": registry.kind(name).configured(settings),
                "last_success": _iso(state.last_success),
                "last_error": state.last_error,
                "last_error_at": _iso(state.last_error_at),
                "last_error_kind": state.last_error_kind,
                "down_since": _iso(state.down_since),
            }
        )
    return rows


def last_tick(session: Session) -> dict[str, Any] | None:
    """When the last cycle ran, what it planned, and how many of each status it gave."""
    kept = health.last_tick(session)
    if kept is None:
        return None
    outcomes: dict[str, int] = dict(kept.get("outcomes", {}))
    return {
        "at": kept.get("at"),
        "planned": kept.get("planned", 0),
        "sent": outcomes.get(S.SENT.value, 0),
        "failed": outcomes.get(S.FAILED.value, 0),
        "outcomes": outcomes,
    }


def unreachable(session: Session, settings: Settings) -> list[str]:
    """Active patients with no channel that is consented, reachable and configured here."""
    usable = {name for name in registry.NAMES if registry.kind(name).configured(settings)}
    consent = consents_of(session)
    reachable: dict[str, set[str]] = {}
    for contact in session.exec(select(Contact).where(Contact.reachable == True)):  # noqa: E712
        reachable.setdefault(contact.pseudonym, set()).add(contact.channel)
    lost = []
    for pseudonym in session.exec(
        select(Patient.pseudonym).where(Patient.status == "active").order_by(Patient.pseudonym)
    ):
        granted = {name for name, yes in consent.get(pseudonym, {}).items() if yes}
        if not any(
            name in usable
            and (not registry.takes_address(name) or name in reachable.get(pseudonym, set()))
            for name in granted
        ):
            lost.append(pseudonym)
    return lost


def _ended(session: Session) -> Iterator[tuple[str, str, datetime, str | None]]:
    """Every ended reminder, newest first for each patient."""
    yield from session.exec(
        select(Reminder.pseudonym, Reminder.status, Reminder.due_at, Reminder.error)
        .where(col(Reminder.status).in_(list(ENDED)))
        .order_by(col(Reminder.pseudonym), col(Reminder.due_at).desc())
    )


def streaks(session: Session, *, at_least: int = 2) -> list[Streak]:
    """Patients whose newest `at_least` or more ended reminders all ended undeliverable or
    missed, longest first."""
    found: dict[str, Streak] = {}
    broken: set[str] = set()
    for pseudonym, status, due_at, error in _ended(session):
        if pseudonym in broken:
            continue
        if status not in LOST:
            broken.add(pseudonym)
            continue
        earlier = found.get(pseudonym)
        reason = earlier.reason if earlier is not None else error
        length = earlier.length + 1 if earlier is not None else 1
        found[pseudonym] = Streak(pseudonym, length, due_at, reason)
    kept = [s for s in found.values() if s.length >= at_least]
    return sorted(kept, key=lambda s: (-s.length, s.pseudonym))


def audit_log(session: Session, *, now: datetime | None = None) -> dict[str, Any]:
    """The audit events waiting to be sealed, the oldest one's time and age (seconds), and
    how many of them have a missing or wrong append tag."""
    waiting, oldest = audit.unsealed(session)
    refused = audit_tags.refused(session, audit.keys_of(session).event) if waiting else []
    age = None
    if oldest is not None:
        age = max(int(((now or datetime.now(UTC)) - oldest).total_seconds()), 0)
    return {
        "unsealed": waiting,
        "oldest_unsealed_at": _iso(oldest),
        "oldest_unsealed_age_seconds": age,
        "refused": len(refused),
    }


def snapshot(session: Session, settings: Settings, *, at_least: int = 2) -> dict[str, Any]:
    """The whole status, as `carebot status --format json` prints it."""
    lost = unreachable(session, settings)
    return {
        "channels": channels(session, settings),
        "last_tick": last_tick(session),
        "unreachable_patients": {"count": len(lost), "pseudonyms": lost},
        "undeliverable_streaks": [
            {
                "pseudonym": s.pseudonym,
                "length": s.length,
                "since": _iso(s.since),
                "reason": s.reason,
            }
            for s in streaks(session, at_least=at_least)
        ],
        "audit": audit_log(session),
    }
