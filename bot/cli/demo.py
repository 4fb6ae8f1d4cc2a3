"""`carebot demo`: a simulated month for three synthetic patients, in a temporary store.

Nothing touches the network or the operator's own store. It shows only pseudonyms: even
synthetic names stay out of the output, as real ones would. The month simulated is the one
that ends now, so that what `--keep` leaves is not ahead of the clock.
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


def _store(folder: Path, *, keep: bool) -> Store:
    """The demo's store in `folder`. Kept, it is a site as `carebot init` leaves one: the
    master key in `carebot.key` (mode 0600) and `.env` naming it, the pseudonym secret and
    the store, so that `cd FOLDER && carebot patient list` opens it."""
    master = crypto.encode_key(crypto.new_key())
    secret = crypto.encode_key(crypto.new_key())
    key_file = (folder / "carebot.key").resolve()
    if keep:
        crypto.write_secret_file(key_file, master + "\n")
        crypto.write_secret_file(
            folder / ".env",
            f"CAREBOT_KEY_FILE={key_file}\n"
            f"CAREBOT_PSEUDONYM_SECRET={secret}\n"
            "CAREBOT_DATABASE_URL=sqlite:///carebot.db\n",
        )
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        carebot_database_url=f"sqlite:///{folder.resolve() / 'carebot.db'}",
        carebot_master_key=None if keep else SecretStr(master),
        carebot_key_file=key_file if keep else None,
        carebot_pseudonym_secret=SecretStr(secret),
    )
    return open_store(settings)


def run_demo(days: int = 30, keep: Path | None = None) -> None:
    """Enrol, simulate the last `days` days of ticks and replies, then show deliveries and
    the queue. The store lives in a temporary folder, or in `keep` (which must be empty),
    left as a site to inspect."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = now - timedelta(days=days)
    with tempfile.TemporaryDirectory(prefix="carebot-demo-") as folder:
        store = _store(keep or Path(folder), keep=keep is not None)
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
    if keep is not None:
        say(console, f"kept: cd {keep} && carebot patient list")


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
