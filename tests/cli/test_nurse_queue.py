"""A nurse's queue: who has gone silent, one patient's replies, why a reply is flagged, the
resolution she wrote, and times in the patient's zone."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.inbound.receive import receive
from bot.store.store import Store
from tests.conftest import Cli
from tests.helpers import CONFIGURED, enrol_console, store_for, write_program

NOW = datetime.now(UTC)


@pytest.fixture(autouse=True)
def _channels_configured(cli: Cli) -> None:
    """SMS and Telegram count as configured, so that enrolling on them is not refused."""
    cli.env.update(CONFIGURED)


def _reply(store: Store, pseudonym: str, text: str, at: datetime) -> int:
    got = receive(store, channel="console", text=text, received_at=at, pseudonym=pseudonym)
    assert got.reply_id is not None
    return got.reply_id


def _json(cli: Cli, *args: str) -> Any:
    result = cli(*args, "--format", "json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_silent_weeks_lists_active_patients_with_no_reply_for_that_long(cli: Cli) -> None:
    store = store_for(cli)
    weeks_ago = NOW - timedelta(weeks=5)
    never = enrol_console(store, ref="A", program="post-stroke-weekly", now=weeks_ago)
    lapsed = enrol_console(store, ref="B", program="post-stroke-weekly", now=weeks_ago)
    recent = enrol_console(store, ref="C", program="post-stroke-weekly", now=weeks_ago)
    enrol_console(store, ref="D", program="post-stroke-weekly", now=NOW - timedelta(days=3))
    paused = enrol_console(store, ref="E", program="post-stroke-weekly", now=weeks_ago)
    last = NOW - timedelta(weeks=4)
    _reply(store, lapsed, "goed", NOW - timedelta(weeks=4, days=3))
    _reply(store, lapsed, "alles goed", last)
    _reply(store, recent, "goed", NOW - timedelta(days=1))
    store.engine.dispose()
    assert cli("patient", "pause", paused).code == 0
    rows = _json(cli, "patient", "list", "--silent-weeks", "3")
    assert isinstance(rows, list)
    found = {r["pseudonym"]: r for r in rows}
    assert sorted(found) == sorted([never, lapsed])
    assert {r["status"] for r in rows} == {"active"}
    assert found[never]["last_reply_at"] is None
    assert datetime.fromisoformat(found[lapsed]["last_reply_at"]) == last
    assert found[lapsed]["last_reply_at"].endswith("+00:00")  # scripts: UTC by default
    local = _json(cli, "patient", "list", "--silent-weeks", "3", "--tz", "local")
    assert isinstance(local, list)
    shown = {r["pseudonym"]: r["last_reply_at"] for r in local}
    assert shown[lapsed].endswith(("+01:00", "+02:00"))  # Brussels
    assert [r["pseudonym"] for r in _json(cli, "patient", "list", "--silent-weeks", "6")] == []
    assert len(_json(cli, "patient", "list")) == 5  # without the option: everyone
    refused = cli("patient", "list", "--silent-weeks", "0")
    assert refused.code == 1 and "--silent-weeks takes a whole number" in refused.err
    log = _json(cli, "audit", "log")
    assert [e["action"] for e in log].count("patient.silent") == 3


def test_replies_of_one_patient_since_a_time_newest_first(cli: Cli) -> None:
    store = store_for(cli)
    one = enrol_console(store, ref="A", program="post-stroke-weekly", now=NOW - timedelta(weeks=3))
    other = enrol_console(store, ref="B", program="post-stroke-weekly", now=NOW)
    old = _reply(store, one, "goed", NOW - timedelta(days=10))
    newer = _reply(store, one, "bloeddruk 150/95", NOW - timedelta(days=2))
    newest = _reply(store, one, "prima", NOW - timedelta(hours=1))
    _reply(store, other, "goed", NOW - timedelta(hours=2))
    store.engine.dispose()
    everything = _json(cli, "replies", "--patient", one.lower())
    assert [r["id"] for r in everything] == [newest, newer, old]
    week = _json(cli, "replies", "--patient", one, "--since", "7d")
    assert [r["id"] for r in week] == [newest, newer]
    day = (NOW - timedelta(days=3)).date().isoformat()
    assert [r["id"] for r in _json(cli, "replies", "--since", day)] == [newer, newest + 1, newest]
    log = _json(cli, "audit", "log")
    assert [e["subject"] for e in log if e["action"] == "replies.patient"] == [one, one]
    unknown = cli("replies", "--patient", "P-0000-0000")
    assert unknown.code == 1 and "no patient P-0000-0000" in unknown.err
    bad = cli("replies", "--patient", one, "--since", "last Tuesday")
    assert bad.code == 2 and "--since takes" in bad.err


def test_replies_show_gives_readings_reasons_from_the_program_and_the_resolution(
    cli: Cli,
) -> None:
    program = write_program(cli.cwd, name="strict-weekly")
    program.write_text(program.read_text() + "[thresholds]\nattention_systolic_high = 170\n")
    cli.env["CAREBOT_SCHEDULES_DIR"] = str(cli.cwd / "schedules")
    cli.env["CAREBOT_TEMPLATES_DIR"] = str(cli.cwd / "templates")
    store = store_for(cli)
    who = enrol_console(store, program="strict-weekly", now=NOW - timedelta(days=1))
    reply = _reply(store, who, "bloeddruk 172 op 95", datetime(2026, 7, 6, 8, 5, tzinfo=UTC))
    store.engine.dispose()
    shown = _json(cli, "replies", "show", str(reply))
    assert isinstance(shown, dict)
    assert shown["readings"] == {"systolic": 172, "diastolic": 95, "glucose_mmol_l": None}
    assert shown["reasons"] == ["systolic 172 >= 170", "diastolic 95 >= 90"]
    assert shown["flags"] == ["attention"] and shown["resolution"] is None
    assert shown["received_at"] == "2026-07-06T08:05:00+00:00"
    note = "called back: repeat in 1 week"
    assert cli("replies", "resolve", str(reply), "--note", note).code == 0
    table = cli("replies", "show", str(reply))
    assert table.code == 0, table.err
    assert "received_at: 2026-07-06T10:05:00+02:00" in table.out  # Brussels, summer time
    assert "reasons: systolic 172 >= 170; diastolic 95 >= 90" in table.out
    assert "readings.systolic: 172" in table.out
    assert "resolution.by: cli:nurse-test" in table.out
    assert f"resolution.note: {note}" in table.out
    resolved = _json(cli, "replies", "show", str(reply), "--tz", "local")
    assert isinstance(resolved, dict) and resolved["resolution"]["note"] == note
    assert resolved["received_at"] == "2026-07-06T10:05:00+02:00"
    assert datetime.fromisoformat(resolved["resolution"]["at"]) <= datetime.now(UTC)
    events = json.loads(cli("audit", "log", "--format", "json").out)
    for event in events:  # the hashes are hex and may hold any digits: the rest may not
        shown = json.dumps({k: v for k, v in event.items() if "hash" not in k})
        assert "172" not in shown and "called back" not in shown


def test_the_queue_shows_times_in_each_patients_zone_for_people(cli: Cli) -> None:
    store = store_for(cli)
    tokyo = enrol_console(
        store, ref="T", program="post-stroke-weekly", tz="Asia/Tokyo", now=NOW, lang="en"
    )
    reply = _reply(store, tokyo, "fine", datetime(2026, 11, 30, 1, 0, tzinfo=UTC))
    store.engine.dispose()
    table = cli("replies", "--patient", tokyo)
    assert table.code == 0 and "2026-11-30T10:00:00+09:00" in table.out
    utc = cli("replies", "--patient", tokyo, "--tz", "utc")
    assert "2026-11-30T01:00:00+00:00" in utc.out
    rows = _json(cli, "replies", "--patient", tokyo)
    assert [r["received_at"] for r in rows] == ["2026-11-30T01:00:00+00:00"]
    csv = cli("replies", "--tz", "local", "--format", "csv")
    assert f"{reply},{tokyo},console,2026-11-30T10:00:00+09:00" in csv.out
    bad = cli("replies", "--tz", "Asia/Tokyo")
    assert bad.code == 2
