"""`carebot status`: channel health, the last tick, unreachable patients, undeliverable
streaks; through the real `carebot` command and the fake Twilio."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel.sql.sqltypes import UTCDateTime

from bot.store import crypto
from bot.store.db import make_engine
from tests.conftest import Cli
from tests.fakes.twilio import FakeTwilio
from tests.helpers import cli_tick, first_due
from tests.outbound.test_outage import _closed_port, _enrol, _without_providers


def _status(cli: Cli) -> dict[str, Any]:
    result = cli("status", "--format", "json")
    assert result.code == 0, result.err
    return dict(json.loads(result.out))


def test_status_shows_each_channel_its_health_and_the_last_tick(
    wired: Cli, fake_twilio: FakeTwilio
) -> None:
    _enrol(wired)
    console_patient = _enrol(wired, ref="AZ-2", phone="+32470123452", consent="console")
    assert _status(wired)["last_tick"] is None
    due = first_due()
    cli_tick(wired, due + timedelta(minutes=1))  # one SMS sent, one console message
    sent_at = (due + timedelta(minutes=1)).astimezone(UTC).isoformat()
    wired.env["CAREBOT_TWILIO_API_URL"] = _closed_port()
    cli_tick(wired, due + timedelta(weeks=1, minutes=1))  # Twilio now refuses connections
    status = _status(wired)
    by_name = {row["channel"]: row for row in status["channels"]}
    assert set(by_name) >= {"console", "sms", "telegram", "x"}
    sms = by_name["sms"]
    assert sms["configured"] is True and sms["last_success"][:16] == sent_at[:16]
    down = (due + timedelta(weeks=1, minutes=1)).astimezone(UTC).isoformat()
    assert (sms["last_error"], sms["last_error_kind"], sms["down_since"][:16]) == (
        "could not connect",
        "connect",
        down[:16],
    )
    assert by_name["x"]["configured"] is False
    tick = status["last_tick"]
    assert (tick["at"], tick["sent"], tick["failed"]) == (down, 1, 0)
    assert status["unreachable_patients"] == {"count": 0, "pseudonyms": []}
    # the same store seen from a process without the Twilio settings: the SMS patient is
    # reachable by no channel there
    bare = _status(_without_providers(wired))
    assert {row["channel"]: row["configured"] for row in bare["channels"]}["sms"] is False
    (lost,) = bare["unreachable_patients"]["pseudonyms"]
    assert lost != console_patient and bare["unreachable_patients"]["count"] == 1
    table = wired("status")
    assert table.code == 0, table.err
    assert "last tick:" in table.out and "1 sent" in table.out


def test_status_lists_patients_whose_last_reminders_all_ended_undeliverable(
    wired: Cli, fake_twilio: FakeTwilio
) -> None:
    stuck = _enrol(wired)
    _enrol(wired, ref="AZ-2", phone="+32470123452", consent="console")
    due = first_due()
    fake_twilio.fail_next(400, code=21211)  # the number cannot receive SMS: marked unreachable
    cli_tick(wired, due + timedelta(minutes=1))
    assert _status(wired)["undeliverable_streaks"] == []  # one is not a streak
    cli_tick(wired, due + timedelta(weeks=1, minutes=1))
    cli_tick(wired, due + timedelta(weeks=2, minutes=1))
    (streak,) = _status(wired)["undeliverable_streaks"]
    assert (streak["pseudonym"], streak["length"]) == (stuck, 3)
    assert streak["since"] == due.astimezone(UTC).isoformat()
    assert streak["reason"] == (
        "telegram: no consent; sms: unreachable; x: no consent; console: no consent"
    )
    assert _status(wired)["unreachable_patients"]["pseudonyms"] == [stuck]
    table = wired("status")
    assert table.code == 0 and stuck in table.out


def test_status_shows_the_audit_events_not_sealed_yet_and_the_oldest_ones_age(cli: Cli) -> None:
    assert _status(cli)["audit"] == {
        "unsealed": 0,
        "oldest_unsealed_at": None,
        "oldest_unsealed_age_seconds": None,
        "refused": 0,
    }
    _enrol(cli, consent="console")
    fresh = _status(cli)["audit"]
    assert fresh["unsealed"] > 0 and fresh["refused"] == 0
    assert 0 <= fresh["oldest_unsealed_age_seconds"] < 120
    table = cli("status")
    assert table.code == 0
    assert re.search(
        r"audit log: \d+ events? not sealed yet, the oldest written \d+m ago\n", table.out
    )
    assert cli("audit", "seal").code == 0
    assert _status(cli)["audit"]["unsealed"] == 0
    assert "audit log: every event sealed\n" in cli("status").out
    master = crypto.decode_key(cli.env["CAREBOT_MASTER_KEY"], what="test")
    engine = make_engine(cli.env["CAREBOT_DATABASE_URL"], master)
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2, minutes=5)
    with engine.begin() as connection:  # written straight into the store, without the key
        connection.execute(
            sa.insert(_AUDIT),
            {"at": two_hours_ago, "actor": "x", "action": "patient.erase", "detail": "{}"},
        )
    engine.dispose()
    forged = _status(cli)["audit"]
    assert (forged["unsealed"], forged["refused"]) == (1, 1)
    assert forged["oldest_unsealed_at"][:19] == two_hours_ago.isoformat()[:19]
    assert 2 * 3600 + 5 * 60 <= forged["oldest_unsealed_age_seconds"] < 2 * 3600 + 7 * 60
    assert (
        "audit log: 1 event not sealed yet, the oldest written 2h 5m ago, 1 of them written or "
        "edited without the audit key (see `carebot audit verify`)\n"
    ) in cli("status").out


_AUDIT = sa.table(
    "audit_event",
    *(sa.column(n) for n in ("actor", "action", "detail")),
    sa.column("at", UTCDateTime()),
)
