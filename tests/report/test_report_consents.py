"""`carebot report` on what happens at the real clock: how long urgent replies wait for a
nurse (`replies resolve`), patients' own opt-outs, and nurses' withdrawals, of which only
those of a consent that was granted count."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.inbound.receive import receive
from tests.conftest import Cli
from tests.helpers import CONFIGURED, enrol_console, store_for, write_program


@pytest.fixture
def ward(cli: Cli) -> Cli:
    write_program(cli.cwd, name="test-weekly")
    cli.env["CAREBOT_SCHEDULES_DIR"] = str(cli.cwd / "schedules")
    cli.env["CAREBOT_TEMPLATES_DIR"] = str(cli.cwd / "templates")
    cli.env["CAREBOT_REPORT_SMALL_CELL"] = "0"
    return cli


def _patients(cli: Cli, count: int) -> list[str]:
    store = store_for(cli)
    try:
        now = datetime.now(UTC)
        return [
            enrol_console(store, ref=f"R-{i}", now=now - timedelta(days=1)) for i in range(count)
        ]
    finally:
        store.engine.dispose()


def _reply(cli: Cli, pseudonym: str, text: str, minutes_ago: float) -> int:
    store = store_for(cli)
    try:
        at = datetime.now(UTC) - timedelta(minutes=minutes_ago)  # the clock `resolve` reads
        got = receive(store, channel="console", text=text, received_at=at, pseudonym=pseudonym)
        assert got.reply_id is not None
        return got.reply_id
    finally:
        store.engine.dispose()


def _totals(cli: Cli) -> dict[str, Any]:
    result = cli("report", "--weeks", "2", "--format", "json")
    assert result.code == 0, result.err
    totals: dict[str, Any] = json.loads(result.out)["totals"]
    return totals


def test_urgent_replies_are_resolved_in_a_median_of_minutes(ward: Cli) -> None:
    who = _patients(ward, 5)
    urgent = [_reply(ward, p, "pijn op de borst", 30 * (i + 1)) for i, p in enumerate(who)]
    _reply(ward, who[0], "pijn op de borst", 10)  # urgent, not resolved yet
    attention = _reply(ward, who[1], "bloeddruk 150/95", 20)  # resolved, but not urgent
    assert _totals(ward)["urgent_resolution_median_minutes"] is None  # none resolved yet
    for reply in [*urgent[:4], attention]:
        assert ward("replies", "resolve", str(reply), "--note", "called back").code == 0
    # 30, 60, 90 and 120 minutes (and the seconds this test took): a median of 75
    assert _totals(ward)["urgent_resolution_median_minutes"] == pytest.approx(75, abs=1)
    ward.env["CAREBOT_REPORT_SMALL_CELL"] = "5"
    assert _totals(ward)["urgent_resolution_median_minutes"] == "<5"  # 4 patients
    assert ward("replies", "resolve", str(urgent[4]), "--note", "called back").code == 0
    assert _totals(ward)["urgent_resolution_median_minutes"] == pytest.approx(90, abs=1)
    ward.env["CAREBOT_REPORT_SMALL_CELL"] = "0"
    totals = _totals(ward)
    assert (totals["urgent"], totals["attention"]) == (6, 1)


def test_opt_outs_are_the_patients_own_and_withdrawals_only_of_a_granted_consent(
    ward: Cli,
) -> None:
    stops, words, nurse, never = _patients(ward, 4)
    _reply(ward, stops, "STOP", 50)
    _reply(ward, stops, "STOP", 40)  # already withdrawn: nothing more
    _reply(ward, words, "je ne veux plus recevoir ces messages", 30)
    _reply(ward, never, "stop met roken gaat goed", 20)  # about smoking: not an opt-out
    assert ward("patient", "consent", nurse, "--withdraw", "console").code == 0
    assert ward("patient", "consent", nurse, "--withdraw", "console").code == 0  # again
    assert ward("patient", "consent", never, "--withdraw", "sms").code == 0  # never granted
    assert ward("patient", "consent", stops, "--withdraw", "console").code == 0  # by the patient
    totals = _totals(ward)
    assert (totals["opt_outs"], totals["withdrawals"]) == (2, 1)
    assert ward("patient", "consent", nurse, "--grant", "console").code == 0
    assert ward("patient", "consent", nurse, "--withdraw", "console").code == 0
    assert _totals(ward)["withdrawals"] == 1  # patients, counted once
    ward.env["CAREBOT_REPORT_SMALL_CELL"] = "5"
    assert (_totals(ward)["opt_outs"], _totals(ward)["withdrawals"]) == ("<5", "<5")


def test_a_consent_withdrawn_by_an_address_change_is_no_opt_out_nor_withdrawal(
    cli: Cli,
) -> None:
    ward = cli  # the shipped program, on SMS
    ward.env.update(CONFIGURED, CAREBOT_REPORT_SMALL_CELL="0")
    enrolled = ward(
        *("patient", "enrol", "--ref", "AZ-5", "--program", "post-stroke-weekly"),
        *("--lang", "nl", "--tz", "Europe/Brussels", "--name", "Jan"),
        *("--sms", "+32470123456", "--consent", "sms", "--format", "json"),
    )
    assert enrolled.code == 0, enrolled.err
    who = json.loads(enrolled.out)["pseudonym"]
    assert ward("patient", "edit", who, "--sms", "+32470999888").code == 0
    consents = json.loads(ward("patient", "consent", who, "--format", "json").out)
    assert consents == [{"channel": "sms", "consent": "withdrawn"}]  # until given again
    totals = _totals(ward)
    assert (totals["opt_outs"], totals["withdrawals"]) == (0, 0)
