"""A store with known data for the report's tests, built through carebot's own paths:
enrolment, `carebot tick --at`, Twilio status callbacks, `carebot reply --at`, inbound SMS,
`carebot patient pause` and `patient consent --withdraw`.

Four weeks of June 2026 (weeks A to D, Mondays 1, 8, 15 and 22 June); carebot does not run in
week C. The program `test-weekly` sends on Mondays 10:00 (Brussels: 08:00 UTC) from the
moment of enrolment; `other-weekly` has one patient of its own.

| patient | channel | A (1 June) | B (8 June) | C (outage) | D (22 June) |
|---|---|---|---|---|---|
| S1 | sms | delivered; 150/90 then 130/80 | sent | missed | sent; STOP by SMS |
| S2 | sms | read; 145/95 | sent; "goed" Sun 23:30 UTC | missed | sent |
| S3 | sms | failed | sent; chest pain (urgent) | missed | sent |
| K1 | console | sent; "goed" | sent; 200/120 | missed; "goed" | sent; stop in words |
| U1 | console, withdrawn | undeliverable | undeliverable | missed | undeliverable; STOP |
| Z1 | console | sent; 120/70; paused | cancelled | - | - |
| L1 | console, enrolled in B | - | sent; "goed" | missed | sent |
| O1 | console, other-weekly | sent | sent | missed | sent |
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.channels.base import StatusUpdate
from bot.inbound import status
from bot.inbound.receive import receive
from bot.patients import enrolment as patients
from tests.conftest import Cli
from tests.helpers import cli_tick, store_for, write_program

A = datetime(2026, 6, 1, tzinfo=UTC)  # a Monday
WEEKS = [A + timedelta(weeks=i) for i in range(4)]  # A, B, C, D
UNTIL = "2026-06-28"  # the Sunday of week D
PHONES = {"S1": "+32470000001", "S2": "+32470000002", "S3": "+32470000003"}
SMS_PROGRAM = """
[channels]
order = ["sms", "console"]
"""


@dataclass
class Site:
    cli: Cli
    who: dict[str, str]  # S1... -> pseudonym


def _programs(folder: Path) -> None:
    path = write_program(folder, name="test-weekly")
    text = path.read_text().replace('[channels]\norder = ["console"]', SMS_PROGRAM.strip())
    path.write_text(text)
    write_program(folder, name="other-weekly")


def _at(week: int, days: int = 0, hours: float = 0) -> datetime:
    return WEEKS[week] + timedelta(days=days, hours=hours)


def build(cli: Cli) -> Site:
    """The store described above, behind `cli`."""
    _programs(cli.cwd)
    cli.env["CAREBOT_SCHEDULES_DIR"] = str(cli.cwd / "schedules")
    cli.env["CAREBOT_TEMPLATES_DIR"] = str(cli.cwd / "templates")
    store = store_for(cli)
    who: dict[str, str] = {}
    try:
        for name in ("S1", "S2", "S3", "K1", "U1", "Z1", "O1"):
            who[name] = _enrol(store, name, _at(0, hours=6))
    finally:
        store.engine.dispose()
    assert cli("patient", "consent", who["U1"], "--withdraw", "console").code == 0
    cli_tick(cli, _at(0, hours=8, days=0) + timedelta(minutes=1))
    _callbacks(cli, {"S1": "delivered", "S2": "read", "S3": "failed"}, who)
    assert cli("patient", "pause", who["Z1"]).code == 0
    _replies_a(cli, who)
    store = store_for(cli)
    try:
        who["L1"] = _enrol(store, "L1", _at(1, hours=6))
    finally:
        store.engine.dispose()
    cli_tick(cli, _at(1, hours=8, days=0) + timedelta(minutes=1))
    _replies_b(cli, who)
    _reply(cli, who["K1"], "goed", _at(2, days=2, hours=12))  # week C: carebot not running
    cli_tick(cli, _at(3, hours=8) + timedelta(minutes=1))
    _replies_d(cli, who)
    return Site(cli, who)


def _enrol(store: object, name: str, now: datetime) -> str:
    from bot.store.store import Store

    assert isinstance(store, Store)
    sms = name in PHONES
    return patients.enrol(
        store,
        reference=f"REF-{name}",
        program="other-weekly" if name == "O1" else "test-weekly",
        language="nl",
        timezone="Europe/Brussels",
        name="Jan",
        contacts={"sms": PHONES[name]} if sms else {},
        consent=["sms"] if sms else ["console"],
        actor="test",
        now=now,
    ).pseudonym


def _callbacks(cli: Cli, outcomes: dict[str, str], who: dict[str, str]) -> None:
    """Twilio's status callbacks for the SMS sent in week A, as its webhook applies them."""
    result = cli("audit", "deliveries", "--format", "json")
    rows = json.loads(result.out)
    store = store_for(cli)
    try:
        for name, outcome in outcomes.items():
            sids = [
                r["provider_id"] for r in rows if r["pseudonym"] == who[name] and r["provider_id"]
            ]
            assert len(sids) == 1 and sids[0], rows
            update = StatusUpdate(channel="sms", provider_id=sids[0], status=outcome)
            assert status.apply(store, update, now=_at(0, hours=9))
    finally:
        store.engine.dispose()


def _reply(cli: Cli, pseudonym: str, text: str, at: datetime) -> None:
    result = cli("reply", pseudonym, text, "--at", at.isoformat())
    assert result.code == 0, result.err


def _sms(cli: Cli, name: str, text: str, at: datetime) -> None:
    store = store_for(cli)
    try:
        got = receive(store, channel="sms", text=text, received_at=at, address=PHONES[name])
        assert got.pseudonym is not None
    finally:
        store.engine.dispose()


def _replies_a(cli: Cli, who: dict[str, str]) -> None:
    _sms(cli, "S1", "bloeddruk 150/90", _at(0, hours=12))
    _sms(cli, "S1", "bloeddruk 130/80", _at(0, days=1, hours=12))
    _sms(cli, "S2", "bloeddruk 145/95", _at(0, days=2, hours=12))
    _reply(cli, who["K1"], "goed", _at(0, days=3, hours=12))
    _reply(cli, who["Z1"], "bloeddruk 120/70", _at(0, days=4, hours=12))


def _replies_b(cli: Cli, who: dict[str, str]) -> None:
    _sms(cli, "S3", "ik heb pijn op de borst", _at(1, days=1, hours=9))
    _reply(cli, who["K1"], "bloeddruk 200/120", _at(1, days=2, hours=9))
    _reply(cli, who["L1"], "goed", _at(1, days=3, hours=9))
    # Sunday 23:30 UTC: Monday 01:30 in Brussels, but weeks are UTC weeks
    _sms(cli, "S2", "goed", _at(1, days=6, hours=23.5))


def _replies_d(cli: Cli, who: dict[str, str]) -> None:
    _sms(cli, "S1", "STOP", _at(3, days=1, hours=9))
    _reply(cli, who["K1"], "stop met die berichten", _at(3, days=1, hours=10))
    _reply(cli, who["U1"], "STOP", _at(3, days=1, hours=11))  # already withdrawn by a nurse
