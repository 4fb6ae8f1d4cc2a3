"""`carebot patient list|show`: what a nurse looks at, with no change but the audit trail.

Kept apart from the commands that change an enrolment, so that listing a thousand patients
imports the store and the consent queries only, not the program catalog, the templates or
the triage that enrolment needs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import typer
from sqlmodel import col, func, select

from bot.cli.common import (
    Format,
    FormatOption,
    actor,
    choice,
    emit,
    emit_one,
    flag,
    iso,
    reading_store,
    store,
)
from bot.cli.times import Zone, ZoneOption, shown
from bot.patients import queries, readiness
from bot.store.models import Patient, Reminder

PATIENT_STATUSES = ("active", "paused", "ended", "erased")
LIST_COLUMNS = ["pseudonym", "program", "language", "timezone", "status", "channels", "reachable"]


def list_(
    status: str | None = choice(PATIENT_STATUSES, name="status"),
    program: str | None = typer.Option(None, help="only this program"),
    silent_weeks: int | None = typer.Option(
        None, "--silent-weeks", help="only active patients with no reply for N weeks"
    ),
    unreachable: bool = flag(
        "unreachable",
        "only patients (not erased or ended) with no consented channel that is configured "
        "and reachable: their reminders end undeliverable",
    ),
    tz: Zone | None = ZoneOption,
    fmt: Format = FormatOption,
) -> None:
    """Enrolled patients, by pseudonym: program, language, zone, status, the channels they
    consented to, and those a reminder can reach now."""
    # --silent-weeks is an audited look at replies: it needs a store that can be written
    s = reading_store() if silent_weeks is None else store()
    with s.session() as session:
        silent = None
        if silent_weeks is not None:
            found = queries.silent(
                session, weeks=silent_weeks, now=datetime.now(UTC), actor=actor()
            )
            silent = {quiet.pseudonym: quiet.last_reply_at for quiet in found}
        query = select(Patient).order_by(col(Patient.enrolled_at), col(Patient.pseudonym))
        if status:
            query = query.where(Patient.status == status)
        if program:
            query = query.where(Patient.program == program)
        rows: list[dict[str, Any]] = []
        consents = queries.consents_of(session)  # one query, not one per patient
        contacts = readiness.contact_states(session)
        for p in session.exec(query):
            if silent is not None and p.pseudonym not in silent:
                continue
            consent = consents.get(p.pseudonym, {})
            can = readiness.reachable(
                s.settings, consent=consent, contacts=contacts.get(p.pseudonym, {})
            )
            if unreachable and (can or p.status in ("erased", "ended")):
                continue
            rows.append(
                {
                    "pseudonym": p.pseudonym,
                    "program": p.program,
                    "language": p.language,
                    "timezone": p.timezone,
                    "status": p.status,
                    "channels": sorted(ch for ch, ok in consent.items() if ok),
                    "reachable": can,
                }
            )
            if silent is not None:  # when they last replied; null: never
                rows[-1]["last_reply_at"] = shown(silent[p.pseudonym], p.timezone, tz, fmt)
    emit(
        rows,
        fmt,
        title="Patients with no reachable channel" if unreachable else "Patients",
        columns=LIST_COLUMNS + (["last_reply_at"] if silent is not None else []),
    )


def show(pseudonym: str, fmt: Format = FormatOption) -> None:
    """One patient: enrolment, channels and consent, reminder counts (no personal data)."""
    s = store()
    with s.session() as session:
        p = queries.require(session, pseudonym, erased_ok=True)
        consent = queries.consents(session, p.pseudonym)
        contacts = readiness.contact_states(session, [p.pseudonym]).get(p.pseudonym, {})
        counts = dict(
            session.exec(
                select(Reminder.status, func.count())
                .where(Reminder.pseudonym == p.pseudonym)
                .group_by(Reminder.status)
            ).all()
        )
        data = {
            "pseudonym": p.pseudonym,
            "program": p.program,
            "language": p.language,
            "timezone": p.timezone,
            "status": p.status,
            "enrolled_at": iso(p.enrolled_at),
            "starts_at": iso(p.starts_at),
            "ends_at": iso(p.ends_at),
            "consent": consent,
            "addresses": readiness.addresses(s.settings, contacts),
            "reachable": readiness.reachable(s.settings, consent=consent, contacts=contacts),
            "reminders": counts,
        }
    emit_one(data, fmt)
