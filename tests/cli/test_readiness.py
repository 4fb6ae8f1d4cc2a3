"""Channel readiness through the real `carebot` command: a consent on a channel that is not
configured is refused (unless --allow-unconfigured), and such a patient is found by
`patient list --unreachable` and never called reachable by `patient show`."""

from __future__ import annotations

import json

from tests.conftest import Cli
from tests.helpers import CONFIGURED

ENROL = (
    "patient",
    "enrol",
    "--program",
    "post-stroke-weekly",
    "--lang",
    "nl",
    "--tz",
    "Europe/Brussels",
    "--name",
    "Jan",
)


def _events(cli: Cli) -> int:
    return len(json.loads(cli("audit", "log", "--limit", "1000", "--format", "json").out))


def test_a_consent_on_an_unconfigured_channel_is_refused_naming_its_settings(cli: Cli) -> None:
    assert cli("patient", "list").code == 0
    before = _events(cli)
    result = cli(*ENROL, "--ref", "AZ-1", "--sms", "+32470123456", "--consent", "sms")
    assert result.code == 1, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "channel sms is not configured" in lines[0]
    assert "TWILIO_ACCOUNT_SID" in lines[0] and "--allow-unconfigured" in lines[0]
    assert "+32470123456" not in result.err
    assert json.loads(cli("patient", "list", "--format", "json").out) == []
    assert _events(cli) == before  # nothing written, not even an audit event


def test_allow_unconfigured_enrols_with_a_warning_and_the_patient_is_unreachable(
    cli: Cli,
) -> None:
    result = cli(
        *ENROL, "--ref", "AZ-1", "--sms", "+32470123456", "--consent", "sms",
        "--allow-unconfigured", "--format", "json",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.err.startswith("warning: channel sms is not configured")
    stranded = json.loads(result.out)["pseudonym"]
    console = json.loads(
        cli(*ENROL, "--ref", "AZ-2", "--consent", "console", "--format", "json").out
    )
    shown = json.loads(cli("patient", "show", stranded, "--format", "json").out)
    assert shown["addresses"] == {"sms": "not configured"} and shown["reachable"] == []
    unreachable = json.loads(cli("patient", "list", "--unreachable", "--format", "json").out)
    assert [p["pseudonym"] for p in unreachable] == [stranded]
    everyone = json.loads(cli("patient", "list", "--format", "json").out)
    assert {p["pseudonym"]: p["reachable"] for p in everyone} == {
        stranded: [],
        console["pseudonym"]: ["console"],
    }
    cli.env.update(CONFIGURED)  # once Twilio is set up, the same patient is reachable
    assert json.loads(cli("patient", "list", "--unreachable", "--format", "json").out) == []
    shown = json.loads(cli("patient", "show", stranded, "--format", "json").out)
    assert shown["addresses"] == {"sms": "reachable"} and shown["reachable"] == ["sms"]


def test_telegram_needs_the_bot_username_and_its_link_uses_it(cli: Cli) -> None:
    cli.env["TELEGRAM_BOT_TOKEN"] = CONFIGURED["TELEGRAM_BOT_TOKEN"]
    refused = cli(*ENROL, "--ref", "AZ-1", "--consent", "telegram")
    assert refused.code == 1 and len(refused.err.strip().splitlines()) == 1
    assert "TELEGRAM_BOT_USERNAME" in refused.err and "no default bot" in refused.err
    cli.env["TELEGRAM_BOT_USERNAME"] = "sint_lucas_bot"
    enrolled = cli(*ENROL, "--ref", "AZ-1", "--consent", "telegram", "--format", "json")
    assert enrolled.code == 0, enrolled.err
    assert json.loads(enrolled.out)["telegram_link"].startswith(
        "https://t.me/sint_lucas_bot?start="
    )


def test_granting_an_unconfigured_channel_is_refused_unless_allowed(cli: Cli) -> None:
    cli.env.update(CONFIGURED)
    who = json.loads(
        cli(*ENROL, "--ref", "AZ-1", "--sms", "+32470123456", "--consent", "console",
            "--format", "json").out
    )["pseudonym"]  # fmt: skip
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM"):
        del cli.env[name]
    refused = cli("patient", "consent", who, "--grant", "sms")
    assert refused.code == 1 and "channel sms is not configured" in refused.err
    consent = json.loads(cli("patient", "show", who, "--format", "json").out)["consent"]
    assert consent == {"console": True}
    allowed = cli("patient", "consent", who, "--grant", "sms", "--allow-unconfigured")
    assert allowed.code == 0 and allowed.err.startswith("warning: channel sms")
    consent = json.loads(cli("patient", "show", who, "--format", "json").out)["consent"]
    assert consent == {"console": True, "sms": True}
