"""The real `carebot` command against a real store in a temp dir."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import Cli
from tests.helpers import CONFIGURED

ENROL = (
    "patient",
    "enrol",
    "--ref",
    "AZ-000123",
    "--program",
    "post-stroke-weekly",
    "--lang",
    "nl",
    "--tz",
    "Europe/Brussels",
    "--name",
    "Jan",
    "--sms",
    "+32470123456",
    "--consent",
    "sms,telegram",
)


def _audit_count(cli: Cli) -> int:
    result = cli("audit", "verify")
    assert result.code == 0, result.err
    return int(result.out.split(":")[1].split()[0])


def test_enrol_prints_the_pseudonym_and_a_telegram_link_and_is_idempotent(cli: Cli) -> None:
    cli.env.update(CONFIGURED)
    first = cli(*ENROL, "--format", "json")
    assert first.code == 0, first.err
    data = json.loads(first.out)
    assert data["pseudonym"].startswith("P-")
    assert data["telegram_link"].startswith("https://t.me/")
    again = json.loads(cli(*ENROL, "--format", "json").out)
    assert again["pseudonym"] == data["pseudonym"]
    listed = json.loads(cli("patient", "list", "--format", "json").out)
    assert [p["pseudonym"] for p in listed] == [data["pseudonym"]]
    assert listed[0] == {
        "pseudonym": data["pseudonym"],
        "program": "post-stroke-weekly",
        "language": "nl",
        "timezone": "Europe/Brussels",
        "status": "active",
        "channels": ["sms", "telegram"],
        "reachable": ["sms"],  # Telegram once the patient opens the link
    }


@pytest.mark.parametrize(
    "change,reason",
    [
        (("--tz", "Europe/Bruges"), "not a known time zone"),
        (("--sms", "+32 12"), "phone number"),
        (("--program", "no-such-program"), "unknown program"),
        (("--lang", "de"), "language"),
    ],
)
def test_bad_enrolment_input_is_refused_in_one_line_and_writes_nothing(
    cli: Cli, change: tuple[str, str], reason: str
) -> None:
    cli.env.update(CONFIGURED)
    assert cli("patient", "list").code == 0  # the store exists before the attempt
    events = _audit_count(cli)
    args = list(ENROL)
    args[args.index(change[0]) + 1] = change[1]
    result = cli(*args)
    assert result.code == 1
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and reason in lines[0] and "Traceback" not in result.err
    assert "+32470123456" not in result.err and "AZ-000123" not in result.err
    assert json.loads(cli("patient", "list", "--format", "json").out) == []
    assert _audit_count(cli) == events


def test_a_number_already_used_by_another_patient_is_refused(cli: Cli) -> None:
    cli.env.update(CONFIGURED)
    first = cli(*ENROL, "--format", "json")
    assert first.code == 0, first.err
    events = _audit_count(cli)
    args = list(ENROL)
    args[args.index("--ref") + 1] = "AZ-000124"  # the partner, on the same phone
    result = cli(*args)
    assert result.code == 1 and len(result.err.strip().splitlines()) == 1
    assert "already the contact of " + json.loads(first.out)["pseudonym"] in result.err
    assert "+32470123456" not in result.err
    assert len(json.loads(cli("patient", "list", "--format", "json").out)) == 1
    assert _audit_count(cli) == events


@pytest.mark.subprocess
def test_the_installed_carebot_script_starts_and_lists_every_command(cli: Cli) -> None:
    result = cli("--help")
    assert result.code == 0, result.err
    for command in ("program", "patient", "replies", "audit", "keys", "db", "tick", "run"):
        assert command in result.out


def test_a_command_run_in_process_answers_as_the_installed_script_does(cli: Cli) -> None:
    """The in-process runner (tests/incli.py) that most CLI tests use gives the exit code,
    stdout and stderr of a real `carebot` process: a listing, a refusal, a usage error."""
    real = dataclasses.replace(cli, subprocess=True)
    bad_zone = list(ENROL)
    bad_zone[bad_zone.index("--tz") + 1] = "Europe/Bruges"
    for args in (
        ["patient", "list", "--format", "json"],
        bad_zone,
        ["patient", "enrol", "--ref", "AZ-1"],
    ):
        assert cli(*args) == real(*args), args


def test_a_missing_option_is_a_usage_error(cli: Cli) -> None:
    result = cli("patient", "enrol", "--ref", "AZ-1")
    assert result.code == 2


def test_a_malformed_program_file_is_refused_with_its_reason(cli: Cli) -> None:
    bad = cli.cwd / "broken.toml"
    bad.write_text('name = "broken"\n[cadence\n')
    result = cli("program", "add", str(bad))
    assert result.code == 1
    assert "not valid TOML" in result.err and len(result.err.strip().splitlines()) == 1
    listed = json.loads(cli("program", "list", "--format", "json").out)
    assert "broken" not in [p["name"] for p in listed]


def test_a_program_sending_health_data_on_x_is_refused_when_loaded(cli: Cli) -> None:
    from tests.helpers import write_program

    path = write_program(cli.cwd, sensitivity="health")
    text = path.read_text().replace('order = ["console"]', 'order = ["x", "console"]')
    path.write_text(text)
    cli.env["CAREBOT_TEMPLATES_DIR"] = str(cli.cwd / "templates")
    result = cli("program", "add", str(path))
    assert result.code == 1
    assert "channel x carries public at most" in result.err


def test_a_template_with_an_unknown_variable_is_refused(cli: Cli) -> None:
    from tests.helpers import write_program

    path = write_program(cli.cwd, template="Dag {{ naam }}")
    cli.env["CAREBOT_TEMPLATES_DIR"] = str(cli.cwd / "templates")
    result = cli("program", "add", str(path))
    assert result.code == 1 and "unknown variable(s): naam" in result.err


def test_a_template_too_long_for_sms_is_refused(cli: Cli) -> None:
    from tests.helpers import write_program

    path = write_program(cli.cwd, template="Dag {{ name }} 😀 " + "x" * 200)
    path.write_text(path.read_text().replace('order = ["console"]', 'order = ["sms"]'))
    cli.env["CAREBOT_TEMPLATES_DIR"] = str(cli.cwd / "templates")
    result = cli("program", "add", str(path))
    assert result.code == 1 and "too long for SMS" in result.err


def test_a_tick_sends_on_the_console_and_the_deliveries_show_it(cli: Cli) -> None:
    pseudonym = json.loads(
        cli(
            "patient",
            "enrol",
            "--ref",
            "AZ-9",
            "--program",
            "post-stroke-weekly",
            "--lang",
            "en",
            "--tz",
            "Europe/London",
            "--name",
            "Ann",
            "--consent",
            "console",
            "--format",
            "json",
        ).out
    )["pseudonym"]
    # enrolled now: the first reminder is the first Monday 10:00 (London) a week or more later
    london = ZoneInfo("Europe/London")
    earliest = datetime.now(london) + timedelta(days=7)
    due = datetime.combine(earliest.date(), time(10, 0), tzinfo=london)
    while due.weekday() != 0 or due < earliest:
        due += timedelta(days=1)
    result = cli("tick", "--at", (due + timedelta(minutes=1)).isoformat())
    assert result.code == 0, result.err
    assert f"[console → {pseudonym}] Hello Ann" in result.out
    deliveries = json.loads(cli("audit", "deliveries", "--format", "json").out)
    assert [(d["pseudonym"], d["status"], d["channel"]) for d in deliveries] == [
        (pseudonym, "sent", "console"),
        (pseudonym, "planned", None),
    ]  # and next week's
    assert datetime.fromisoformat(deliveries[0]["due_at"]) == due
    assert {
        "reminder_id",
        "pseudonym",
        "program",
        "channel",
        "due_at",
        "status",
        "attempts",
        "provider_id",
        "error",
    } <= set(deliveries[0])


def test_reply_stop_withdraws_consent_and_the_queue_lists_it(cli: Cli) -> None:
    pseudonym = json.loads(
        cli(
            "patient",
            "enrol",
            "--ref",
            "AZ-7",
            "--program",
            "post-stroke-weekly",
            "--lang",
            "nl",
            "--tz",
            "Europe/Brussels",
            "--name",
            "Mia",
            "--consent",
            "console",
            "--format",
            "json",
        ).out
    )["pseudonym"]
    assert cli("reply", pseudonym, "stop", "--channel", "console").code == 0
    listed = json.loads(cli("patient", "list", "--format", "json").out)
    assert listed[0]["channels"] == []
    queue = json.loads(cli("replies", "--format", "json").out)
    assert queue[0]["pseudonym"] == pseudonym and "opt-out" in queue[0]["flags"]
    assert "text" not in queue[0]
    shown = json.loads(cli("replies", "show", str(queue[0]["id"]), "--format", "json").out)
    assert shown["text"] == "stop"
    assert cli("replies", "resolve", str(queue[0]["id"]), "--note", "called her").code == 0
    assert json.loads(cli("replies", "--unreviewed", "--format", "json").out) == []


def test_erase_asks_for_confirmation_and_audit_verify_stays_intact(cli: Cli) -> None:
    cli.env.update(CONFIGURED)
    pseudonym = json.loads(cli(*ENROL, "--format", "json").out)["pseudonym"]
    assert cli("patient", "erase", pseudonym).code == 1  # no terminal, no --yes: refused
    assert cli("patient", "erase", pseudonym, "--yes").code == 0
    assert json.loads(cli("patient", "list", "--format", "json").out)[0]["status"] == "erased"
    head = cli("audit", "head").out.strip()
    assert cli("audit", "verify", "--head", head).code == 0
    assert cli("audit", "verify", "--head", "f" * 64).code == 1


def test_report_counts_sends_replies_and_opt_outs_per_week(cli: Cli) -> None:
    pseudonym = json.loads(
        cli(
            "patient",
            "enrol",
            "--ref",
            "AZ-8",
            "--program",
            "post-stroke-weekly",
            "--lang",
            "fr",
            "--tz",
            "Europe/Paris",
            "--name",
            "Lou",
            "--consent",
            "console",
            "--format",
            "json",
        ).out
    )["pseudonym"]
    assert cli("reply", pseudonym, "STOP").code == 0
    html = cli.cwd / "report.html"
    result = cli("report", "--weeks", "2", "--format", "json", "--html", str(html))
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert len(document["weeks"]) == 2 and document["small_cell_threshold"] == 5
    assert document["weeks"][-1]["opt_outs"] == "<5"  # one patient: a small cell
    page = html.read_text()
    assert page.startswith("<!doctype html>") and "<svg" in page and pseudonym not in page
    assert "<script" not in page and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
