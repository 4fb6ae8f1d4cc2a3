"""`carebot demo`: a simulated month for three synthetic patients, in a temporary store.

Nothing touches the network or the operator's own store. It shows only pseudonyms: even
synthetic names stay out of the output, as real ones would.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import SecretStr
from rich.progress import track
from sqlmodel import col, select

from bot.channels import registry
from bot.cli.common import Format, console, emit, iso
from bot.cli.output import say
from bot.config import Settings
from bot.inbound.receive import receive
from bot.patients import enrolment as patients
from bot.runtime import tick
from bot.store import crypto
from bot.store.models import Reminder, Reply
from bot.store.store import Store, open_store

PATIENTS = [  # reference, language, zone, greeting name
    ("DEMO-REF-0001", "nl", "Europe/Brussels", "Janneke"),
    ("DEMO-REF-0002", "fr", "Europe/Paris", "Marie-Claire"),
    ("DEMO-REF-0003", "en", "Europe/London", "Johnathan"),
]
# (day of the month, hour UTC, patient index, text): a reading, an urgent reply, a STOP.
REPLIES = [
    (8, 11, 0, "bloeddruk 150 op 95"),
    (8, 15, 1, "tension 13/8, glycémie 1,1 g/L"),
    (15, 12, 0, "mijn arm is zo slap en ik praat raar"),
    (15, 13, 2, "STOP"),
]


def _store(folder: Path) -> Store:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        carebot_database_url=f"sqlite:///{folder / 'demo.db'}",
        carebot_master_key=SecretStr(crypto.encode_key(crypto.new_key())),
        carebot_pseudonym_secret=SecretStr(crypto.encode_key(crypto.new_key())),
    )
    return open_store(settings)


def run_demo(days: int = 30, keep: Path | None = None) -> None:
    """Enrol, simulate `days` days of ticks and replies, then show deliveries and the queue.

    The store lives in a temporary folder, or in `keep` (which must be empty) to inspect it.
    """
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with tempfile.TemporaryDirectory(prefix="carebot-demo-") as folder:
        store = _store(keep or Path(folder))
        pseudonyms = []
        local = registry.local()  # the console: no provider, no network
        for ref, lang, zone, name in PATIENTS:
            enrolment = patients.enrol(
                store,
                reference=ref,
                program="post-stroke-weekly",
                language=lang,
                timezone=zone,
                name=name,
                contacts={},
                consent=[local],
                actor="demo",
                now=start,
            )
            pseudonyms.append(enrolment.pseudonym)
            say(console, f"enrolled {enrolment.pseudonym} ({lang}, {zone}) on the {local}")
        midnight = start.replace(hour=0)
        replies = sorted(
            (midnight + timedelta(days=day, hours=hour), who, text)
            for day, hour, who, text in REPLIES
        )
        steps = [start + timedelta(hours=h) for h in range(0, days * 24 + 1, 3)]
        for now in track(steps, description="Simulating a month…", console=console):
            tick(store, now=now)
            while replies and replies[0][0] <= now:
                when, who, text = replies.pop(0)
                result = receive(
                    store, channel=local, text=text, received_at=when, pseudonym=pseudonyms[who]
                )
                # The answer is the program's own text, never the patient's: safe to show.
                note = f"; answered at once: {result.answer}" if result.answer else ""
                say(
                    console,
                    f"{iso(when)} reply from {pseudonyms[who]}: "
                    f"flags {', '.join(result.flags) or 'none'}{note}",
                )
        _show(store)
        store.engine.dispose()


def _show(store: Store) -> None:
    with store.session() as session:
        rows = [
            {
                "pseudonym": r.pseudonym,
                "local slot": r.local_slot,
                "channel": r.channel,
                "status": r.status,
                "error": r.error,
            }
            for r in session.exec(select(Reminder).order_by(col(Reminder.due_at)))
        ]
        emit(rows, Format.table, title="Deliveries")
        queue = [
            {
                "id": r.id,
                "pseudonym": r.pseudonym,
                "received": iso(r.received_at),
                "flags": r.flags or "-",
            }
            for r in session.exec(
                select(Reply).order_by(col(Reply.priority), col(Reply.received_at))
            )
        ]
        emit(queue, Format.table, title="Nurses' queue (urgent first)")
