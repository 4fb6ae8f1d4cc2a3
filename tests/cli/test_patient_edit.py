"""`carebot patient edit|end|find`: a nurse changes an enrolment, ends it, finds it."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.patients import edit as editing
from tests.conftest import Cli
from tests.helpers import CONFIGURED, cli_tick, first_due, store_for, write_program

NUMBER, NEW_NUMBER = "+32470123456", "+32470654321"


@pytest.fixture(autouse=True)
def _channels_configured(cli: Cli) -> None:
    """SMS and Telegram count as configured, so that enrolling on them is not refused."""
    cli.env.update(CONFIGURED)


def _enrol(cli: Cli, *extra: str, ref: str = "AZ-1", consent: str = "console") -> str:
    result = cli(
        "patient",
        "enrol",
        "--ref",
        ref,
        "--program",
        "post-stroke-weekly",
        "--lang",
        "nl",
        "--tz",
        "Europe/Brussels",
        "--name",
        "Jan",
        "--consent",
        consent,
        *extra,
        "--format",
        "json",
    )
    assert result.code == 0, result.err
    return str(json.loads(result.out)["pseudonym"])


def _consent(cli: Cli, pseudonym: str) -> dict[str, str]:
    rows = json.loads(cli("patient", "consent", pseudonym, "--format", "json").out)
    return {row["channel"]: row["consent"] for row in rows}


def _audit(cli: Cli) -> str:
    result = cli("audit", "log", "--format", "json")
    assert result.code == 0, result.err
    return result.out


def test_a_new_number_withdraws_its_consent_until_granted_again(cli: Cli) -> None:
    who = _enrol(cli, "--sms", NUMBER, consent="sms,console")
    same = json.loads(cli("patient", "edit", who, "--sms", NUMBER, "--format", "json").out)
    assert same["changed"] == [] and same["consent_withdrawn"] == []  # the same number: kept
    assert _consent(cli, who)["sms"] == "granted"
    edited = cli("patient", "edit", who, "--sms", NEW_NUMBER)
    assert edited.code == 0, edited.err
    assert "sms consent withdrawn" in edited.out
    assert f"carebot patient consent {who} --grant sms" in edited.out
    assert _consent(cli, who) == {"sms": "withdrawn", "console": "granted"}
    exported = json.loads(cli("patient", "export", who).out)
    assert exported["contacts"]["sms"] == NEW_NUMBER
    assert cli("patient", "consent", who, "--grant", "sms").code == 0
    assert _consent(cli, who)["sms"] == "granted"
    log = _audit(cli)
    assert "patient.edit" in log and NEW_NUMBER not in log and NEW_NUMBER[3:] not in log


def test_a_new_zone_replans_what_has_not_gone_out_and_never_a_sent_slot_twice(cli: Cli) -> None:
    who = _enrol(cli)
    due = first_due()
    assert "1 sent" in cli_tick(cli, due + timedelta(minutes=1))
    before = json.loads(cli("audit", "deliveries", "--format", "json").out)
    assert [d["status"] for d in before] == ["sent", "planned"]  # and next week's, Brussels
    edited = cli(
        "patient", "edit", who, "--tz", "America/New_York", "--lang", "en", "--format=json"
    )
    assert edited.code == 0, edited.err
    assert json.loads(edited.out)["changed"] == ["timezone", "language"]
    assert json.loads(edited.out)["reminders_replaced"] == 1
    new_york = ZoneInfo("America/New_York")
    same_slot = datetime.combine(due.date(), due.time(), tzinfo=new_york)  # Monday 10:00 NY
    assert "nothing due" in cli_tick(cli, same_slot + timedelta(minutes=1))  # already sent
    week_two = same_slot + timedelta(days=7)
    out = cli_tick(cli, week_two + timedelta(minutes=1))
    assert "1 sent" in out and "Hello Jan" in out  # in the new language
    after = json.loads(cli("audit", "deliveries", "--format", "json").out)
    sent = [datetime.fromisoformat(d["due_at"]) for d in after if d["status"] == "sent"]
    assert sent == [due, week_two]  # the first untouched; the second at 10:00 New York time
    assert before[0] == after[0]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--tz", "Jan/Janssens"), "--tz is not a known time zone"),
        (("--lang", "de"), "the language (--lang) is not offered"),
        (("--name", "Jan\x1b[2J"), "may not hold control"),
        (("--program", "no-such-program"), "unknown program"),
        (("--sms", "Jan Janssens"), "the SMS number"),
        ((), "nothing to change"),
    ],
)
def test_a_bad_edit_is_refused_in_one_line_and_changes_nothing(
    cli: Cli, args: tuple[str, ...], said: str
) -> None:
    who = _enrol(cli)
    shown = cli("patient", "show", who, "--format", "json").out
    log = _audit(cli)
    result = cli("patient", "edit", who, *args)
    assert result.code == 1
    assert said in result.err and len(result.err.strip().splitlines()) == 1
    assert "Janssens" not in result.err and "\x1b" not in result.err
    assert cli("patient", "show", who, "--format", "json").out == shown
    assert _audit(cli) == log


def test_an_edit_to_another_patients_number_is_refused(cli: Cli) -> None:
    first = _enrol(cli, "--sms", NUMBER, consent="sms")
    second = _enrol(cli, "--sms", NEW_NUMBER, ref="AZ-2", consent="sms")
    result = cli("patient", "edit", second, "--sms", NUMBER)
    assert result.code == 1 and f"already the contact of {first}" in result.err
    assert json.loads(cli("patient", "export", second).out)["contacts"]["sms"] == NEW_NUMBER
    assert _consent(cli, second)["sms"] == "granted"


def test_end_cancels_what_is_pending_and_keeps_the_reason_as_a_code(cli: Cli) -> None:
    who = _enrol(cli)
    cli_tick(cli, first_due() - timedelta(days=1))  # plans the first reminders
    planned = len(json.loads(cli("audit", "deliveries", "--format", "json").out))
    assert planned >= 1
    refused = cli("patient", "end", who, "--reason", "moved to Jan's daughter")
    assert refused.code == 1 and "--reason takes one of" in refused.err
    assert "daughter" not in refused.err
    ended = cli("patient", "end", who, "--reason", "completed", "--format", "json")
    assert ended.code == 0, ended.err
    assert json.loads(ended.out) == {
        "pseudonym": who,
        "status": "ended",
        "reason": "completed",
        "reminders_cancelled": planned,
    }
    listed = json.loads(cli("patient", "list", "--format", "json").out)
    assert [p["status"] for p in listed] == ["ended"]
    deliveries = json.loads(cli("audit", "deliveries", "--format", "json").out)
    assert {(d["status"], d["error"]) for d in deliveries} == {("cancelled", "patient ended")}
    assert "nothing due" in cli_tick(cli, first_due() + timedelta(minutes=1))
    again = cli("patient", "end", who)
    assert again.code == 1 and "already ended" in again.err
    events = [e for e in json.loads(_audit(cli)) if e["action"] == "patient.end"]
    detail = events[0]["detail"]  # JSON in a string, or an object
    assert len(events) == 1
    assert (json.loads(detail) if isinstance(detail, str) else detail)["reason"] == "completed"


def test_find_gives_the_pseudonym_of_a_reference_and_exit_1_when_not_enrolled(
    cli: Cli,
) -> None:
    who = _enrol(cli, ref="AZ-778899")
    found = cli("patient", "find", "--ref", "AZ-778899", "--format", "json")
    assert found.code == 0, found.err
    assert json.loads(found.out)["pseudonym"] == who
    assert who in cli("patient", "find", "--ref", "AZ-778899").out
    missing = cli("patient", "find", "--ref", "AZ-000000", "--format", "csv")
    assert missing.code == 1 and missing.out == ""
    assert "no patient is enrolled with that reference" in missing.err
    assert "AZ-000000" not in missing.err
    log = _audit(cli)
    assert log.count("patient.find") == 3 and "778899" not in log


def test_a_new_program_starts_afresh_and_sends_nothing_for_a_slot_already_passed(
    cli: Cli,
) -> None:
    for name in ("test-weekly", "other-weekly"):
        write_program(cli.cwd, name=name)  # Mondays 10:00, from the day of enrolment
    cli.env["CAREBOT_SCHEDULES_DIR"] = str(cli.cwd / "schedules")
    cli.env["CAREBOT_TEMPLATES_DIR"] = str(cli.cwd / "templates")
    enrolled = cli(
        "patient", "enrol", "--ref", "AZ-5", "--program", "test-weekly", "--lang", "nl",
        "--tz", "Europe/Brussels", "--name", "Jan", "--consent", "console", "--format", "json",
    )  # fmt: skip
    who = json.loads(enrolled.out)["pseudonym"]
    due = first_due() - timedelta(days=7)  # the first Monday 10:00 after now
    if due <= datetime.now(due.tzinfo):
        due += timedelta(days=7)
    assert "1 sent" in cli_tick(cli, due + timedelta(minutes=1))
    store = store_for(cli)  # the nurse moves the patient half an hour after that send
    changes = editing.Changes(program="other-weekly")
    done = editing.edit(store, who, changes, actor="cli:nurse", now=due + timedelta(minutes=30))
    store.engine.dispose()
    assert done.changed == ["program"]
    assert "nothing due" in cli_tick(cli, due + timedelta(minutes=40))  # not 10:00 again
    out = cli_tick(cli, due + timedelta(days=7, minutes=1))
    assert "1 sent" in out
    deliveries = json.loads(cli("audit", "deliveries", "--format", "json").out)
    sent = [(d["program"], d["due_at"]) for d in deliveries if d["status"] == "sent"]
    assert [program for program, _ in sent] == ["test-weekly", "other-weekly"]
