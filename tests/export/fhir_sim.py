"""A simulated ward for the FHIR export tests, driven through the real `carebot` command:
three patients enrolled, a reminder each sent on the console (one then delivered, as a
provider's status report says), replies with blood pressures and glucoses (with a unit,
without one, a meter's HI), an urgent reply resolved by a nurse, a consent granted and then
withdrawn, and one patient erased."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, update

from bot.store.models import Reminder
from tests.conftest import Cli
from tests.helpers import CONFIGURED, store_for

REF, NAME, PHONE = "AZ-REF-4711", "Wilhelmina", "+32470123456"
OTHER_REF, OTHER_NAME, OTHER_PHONE = "AZ-REF-4712", "Godelieve", "+32470999888"
GONE_REF, GONE_NAME = "AZ-REF-4713", "Erasmus"
# What the replies of the first patient say, in order: every reading form the export maps.
REPLIES = (
    "bloeddruk 150 op 95, suiker 7,8",  # a blood pressure, a glucose with its unit assumed
    "suiker 140 mg/dL",  # a glucose with its unit (7.8 mmol/L)
    "suiker HI",  # the meter cannot show it: urgent
    "mijn arm is slap sinds vanmorgen, 185/100",  # a warning sign: urgent, then resolved
    "dank u, alles goed",  # no reading
)


@dataclass
class Ward:
    one: str
    other: str
    gone: str
    replies: list[int]  # the first patient's reply ids, in REPLIES' order
    resolved: int


def ok(cli: Cli, *args: str) -> str:
    result = cli(*args)
    assert result.code == 0, (args, result.err)
    return result.out


def enrol(cli: Cli, ref: str, name: str, phone: str | None) -> str:
    extra = ("--sms", phone) if phone else ()
    out = ok(
        cli, "patient", "enrol", "--ref", ref, "--program", "post-stroke-weekly", "--lang",
        "nl", "--tz", "Europe/Brussels", "--name", name, *extra, "--consent", "console",
        "--format", "json",
    )  # fmt: skip
    return str(json.loads(out)["pseudonym"])


def simulate(cli: Cli) -> Ward:
    """The ward described above; its pseudonyms and the first patient's reply ids."""
    cli.env.update(CONFIGURED)  # SMS counts as configured: a consent on it is not refused
    one = enrol(cli, REF, NAME, PHONE)
    other = enrol(cli, OTHER_REF, OTHER_NAME, OTHER_PHONE)
    gone = enrol(cli, GONE_REF, GONE_NAME, None)
    ok(cli, "tick", "--quiet")  # plans the first reminders
    planned = json.loads(ok(cli, "audit", "deliveries", "--format", "json"))
    first_due = min(datetime.fromisoformat(d["due_at"]) for d in planned)
    ok(cli, "tick", "--at", (first_due + timedelta(minutes=5)).isoformat(), "--quiet")
    for text in REPLIES:
        ok(cli, "reply", one, text, "--channel", "console")
    ok(cli, "reply", other, "bloeddruk 130/80", "--channel", "console")
    ok(cli, "reply", gone, "bloeddruk 145/90", "--channel", "console")
    listed = json.loads(ok(cli, "replies", "--patient", one, "--format", "json"))
    replies = sorted(r["id"] for r in listed)
    resolved = replies[3]
    ok(cli, "replies", "resolve", str(resolved), "--note", "called back, seen in A&E")
    ok(cli, "patient", "consent", one, "--grant", "sms")
    ok(cli, "patient", "consent", one, "--withdraw", "sms")
    ok(cli, "patient", "erase", gone, "--yes")
    store = store_for(cli)
    try:
        with store.session() as session:  # as Twilio's status callback would
            session.exec(
                update(Reminder)
                .where(col(Reminder.pseudonym) == one, col(Reminder.status) == "sent")
                .values(status="delivered")
            )
    finally:
        store.engine.dispose()
    return Ward(one=one, other=other, gone=gone, replies=replies, resolved=resolved)
