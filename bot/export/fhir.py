"""`carebot export fhir`: the patients' records as FHIR R4, for the hospital's own record.

An audited, decrypting access: one `export.fhir` event with the counts written (how many
patients and resources of each type, the `since` and whether reply texts went in), never
who or what. See docs/formats/fhir-v1.md for what the files hold.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import select

from bot.export.fhir_gather import Selection, gather
from bot.export.fhir_write import check_out, write_export
from bot.patients import enrolment as patients
from bot.store import audit
from bot.store.models import Patient
from bot.store.store import Store


def export(
    store: Store,
    *,
    out: Path,
    selection: Selection,
    actor: str,
    now: datetime,
    reader: Store | None = None,
) -> dict[str, Any]:
    """Gather, audit and write the export; its manifest. A refusal (an unknown or erased
    patient, a destination that is not free) comes before anything is read or written.

    The records are read through `reader` (the store opened to read only, by default the
    store itself): on SQLite a reader holds no write lock, so a long export never holds up
    a dispatch cycle or a webhook. Only the audit event is written, in a short transaction
    that also leaves out anyone erased since they were read."""
    check_out(out)
    source = reader or store
    with source.session() as session:
        if selection.pseudonym is not None:
            found = patients.require(session, selection.pseudonym)
            selection = replace(selection, pseudonym=found.pseudonym)
        gathered = gather(source, session, selection)
    with store.session() as session:
        erased = session.exec(select(Patient.pseudonym).where(Patient.status == "erased"))
        gathered.drop(erased.all())
        # Recorded before the files are written: the decrypting access took place, whether
        # or not the disk then takes the files.
        audit.record(
            session,
            action="export.fhir",
            actor=actor,
            subject=selection.pseudonym,
            at=now,
            patients=len(gathered.by_patient),
            counts=gathered.counts(),
            since=selection.since.isoformat() if selection.since else None,
            reply_texts=selection.texts,
        )
    return write_export(
        out, gathered, generated_at=now, since=selection.since, texts=selection.texts
    )
