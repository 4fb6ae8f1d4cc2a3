"""Nothing silently lost: a tick without a channel's settings, a long gap, a channel that
cannot be reached. Through the real `carebot` command, the real Twilio SDK and the fake."""

from __future__ import annotations

import json
import socket
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from bot.report import document
from tests.conftest import Cli
from tests.fakes.twilio import FakeTwilio
from tests.helpers import cli_tick, first_due, store_for

PHONE = "+32470123456"


def _enrol(cli: Cli, *, ref: str = "AZ-1", phone: str = PHONE, consent: str = "sms") -> str:
    result = cli(
        "patient", "enrol", "--ref", ref, "--program", "post-stroke-weekly", "--lang", "nl",
        "--tz", "Europe/Brussels", "--name", "Jan", "--sms", phone, "--consent", consent,
        "--format", "json",
    )  # fmt: skip
    assert result.code == 0, result.err
    return str(json.loads(result.out)["pseudonym"])


def _deliveries(cli: Cli, *extra: str) -> list[dict[str, Any]]:
    result = cli("audit", "deliveries", "--format", "json", *extra)
    assert result.code == 0, result.err
    return list(json.loads(result.out))


def _without_providers(cli: Cli) -> Cli:
    """The same command and store in a process that has no provider settings."""
    env = {k: v for k, v in cli.env.items() if not k.startswith(("TWILIO_", "TELEGRAM_"))}
    return replace(cli, env=env)


def _closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there once the probe is closed


def test_a_tick_without_the_sms_settings_leaves_reminders_planned_warns_and_exits_3(
    wired: Cli, fake_twilio: FakeTwilio
) -> None:
    for n in range(2):
        _enrol(wired, ref=f"AZ-{n}", phone=f"+3247012345{n}")
    due = first_due()
    bare = _without_providers(wired)
    result = bare("tick", "--at", (due + timedelta(minutes=1)).isoformat())
    assert result.code == 3, result.err
    warnings = [line for line in result.err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1, result.err
    assert "sms is not configured (set TWILIO_ACCOUNT_SID" in warnings[0]
    assert warnings[0].endswith(": 2 reminder(s) left planned")
    due_now = [d for d in _deliveries(wired) if d["due_at"].startswith(due.date().isoformat())]
    waiting = [(d["status"], d["error"]) for d in due_now]
    assert waiting == [("planned", "sms is not configured")] * 2
    cli_tick(wired, due + timedelta(minutes=11))  # a configured tick ten minutes later
    assert sorted(m.to for m in fake_twilio.messages) == ["+32470123450", "+32470123451"]
    assert {d["status"] for d in _deliveries(wired, "--status", "sent")} == {"sent"}


def test_without_the_sms_settings_the_next_consented_channel_takes_the_reminder(
    wired: Cli, fake_twilio: FakeTwilio
) -> None:
    _enrol(wired, consent="sms,console")
    cli_tick(_without_providers(wired), first_due() + timedelta(minutes=1))  # exit 0
    (sent,) = _deliveries(wired, "--status", "sent")
    assert sent["channel"] == "console"
    assert fake_twilio.messages == []


def test_past_the_grace_a_reminder_waiting_for_settings_is_missed_naming_the_channel(
    wired: Cli,
) -> None:
    _enrol(wired)
    due = first_due()
    bare = _without_providers(wired)
    assert bare("tick", "--at", (due + timedelta(minutes=1)).isoformat()).code == 3
    assert bare("tick", "--at", (due + timedelta(hours=7)).isoformat()).code == 0
    (missed,) = _deliveries(wired, "--status", "missed")
    assert missed["error"] == "past the catch-up grace: sms is not configured"


def test_an_undeliverable_reminder_names_each_channel_and_why_and_is_listed_so(
    wired: Cli, fake_twilio: FakeTwilio
) -> None:
    _enrol(wired)
    fake_twilio.fail_next(400, code=21211)  # not a number that can receive SMS
    cli_tick(wired, first_due() + timedelta(minutes=1))
    (row,) = _deliveries(wired, "--status", "undeliverable")
    assert row["error"] == (
        "telegram: no consent; sms: unreachable; x: no consent; console: no consent"
    )
    assert _deliveries(wired, "--status", "undeliverable", "--channel", "sms") == [row]


def test_after_fifteen_days_without_carebot_the_skipped_slots_are_missed_rows(
    wired: Cli, fake_twilio: FakeTwilio
) -> None:
    _enrol(wired)
    due = first_due()
    cli_tick(wired, due - timedelta(days=1))  # plans the first slot (a horizon of 8 days)
    out = cli_tick(wired, due + timedelta(days=15, minutes=1))
    rows = _deliveries(wired)
    slots = sorted(r["due_at"][:10] for r in rows)
    assert len(slots) == len(set(slots)), "a slot planned twice"
    weekly = [(due + timedelta(weeks=n)).date().isoformat() for n in range(3)]
    assert slots[:3] == weekly
    by_day = {r["due_at"][:10]: r for r in rows}
    assert [by_day[day]["status"] for day in weekly] == ["missed", "missed", "missed"]
    assert {by_day[day]["error"] for day in weekly} == {
        "past the catch-up grace: carebot was not running"
    }
    assert "missed (carebot was not running)" in out
    assert fake_twilio.messages == []  # nothing is sent for a missed slot
    store = store_for(wired)  # the report's figures at that simulated time
    try:
        with store.session() as session:
            until = due + timedelta(days=15, minutes=1)
            report = document.build(store, session, weeks=3, until=until, program=None, threshold=0)
    finally:
        store.engine.dispose()
    assert [(w["due"], w["missed"], w["ran"]) for w in report["weeks"]] == [
        (1, 1, False),
        (1, 1, False),
        (1, 1, True),
    ]  # fmt: skip  (carebot ran the Sunday before, and in the third week only)


@pytest.fixture
def twilio_down(wired: Cli) -> Cli:
    """The command with Twilio's address refusing every connection."""
    wired.env["CAREBOT_TWILIO_API_URL"] = _closed_port()
    return wired


def test_a_channel_down_longer_than_the_setting_falls_back_to_the_next_consented_channel(
    twilio_down: Cli,
) -> None:
    _enrol(twilio_down, consent="sms,console")
    due = first_due()
    first = twilio_down("tick", "--at", (due + timedelta(minutes=1)).isoformat())
    assert first.code == 0, first.err
    lines = [line for line in first.err.splitlines() if "unreachable" in line]
    assert lines == [
        f"warning: sms unreachable since {_utc(due + timedelta(minutes=1))}: could not connect"
        " (1 reminder(s) waiting)"
    ]
    assert _deliveries(twilio_down, "--status", "sent") == []
    cli_tick(twilio_down, due + timedelta(minutes=35))  # down 34 minutes: past the 30
    (sent,) = _deliveries(twilio_down, "--status", "sent")
    assert sent["channel"] == "console"


def test_a_long_outage_with_no_other_channel_gives_one_status_and_one_reason(
    twilio_down: Cli,
) -> None:
    for n in range(3):
        _enrol(twilio_down, ref=f"AZ-{n}", phone=f"+3247012345{n}")
    due = first_due()
    for minutes in range(1, 8 * 60, 50):  # a tick every 50 minutes through 8 hours
        result = twilio_down("tick", "--at", (due + timedelta(minutes=minutes)).isoformat())
        assert result.code == 0, result.err
        assert len([line for line in result.err.splitlines() if "unreachable" in line]) <= 1
    rows = [r for r in _deliveries(twilio_down) if r["due_at"][:10] == due.date().isoformat()]
    assert len(rows) == 3
    assert {(r["status"], r["error"]) for r in rows} == {
        (
            "missed",
            f"past the catch-up grace: sms unreachable since {_utc(due + timedelta(minutes=1))}"
            ": could not connect",
        )
    }


def _utc(when: Any) -> str:
    from datetime import UTC

    return str(when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"))
