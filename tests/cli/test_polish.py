"""The CLI's habits through the real `carebot` command: flags that take no value, `--format`
honoured, empty lists with their header, JSON objects as objects, fixed choices checked,
one-line errors and uncut tables when the output is not a terminal."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.conftest import Cli

ENROL = (
    "patient", "enrol", "--ref", "AZ-1", "--program", "post-stroke-weekly", "--lang", "nl",
    "--tz", "Europe/Brussels", "--name", "Jan", "--consent", "console",
)  # fmt: skip


def test_boolean_flags_take_no_value_and_show_both_spellings(cli: Cli) -> None:
    shown = cli("tick", "--help")
    assert shown.code == 0 and "--no-quiet" in shown.out and "<bool>" not in shown.out
    assert "<bool>" not in cli("patient", "list", "--help").out
    assert cli("tick", "--quiet", "true").code == 2  # a flag, not an option with a value


def test_enrol_and_replies_show_honour_format(cli: Cli) -> None:
    rows = list(csv.reader(io.StringIO(cli(*ENROL, "--format", "csv").out)))
    assert rows[0] == ["field", "value"] and rows[1][0] == "pseudonym"
    who = rows[1][1]
    assert cli("reply", who, "bloeddruk 150 op 95").code == 0
    data = json.loads(cli("replies", "show", "1", "--format", "json").out)
    readings = data["readings"]
    assert (readings["systolic"], readings["diastolic"]) == (150, 95)
    assert data["reviewed"] is False
    table = cli("replies", "show", "1").out
    assert "reviewed: false" in table and "False" not in table
    cells = dict(csv.reader(io.StringIO(cli("replies", "show", "1", "--format", "csv").out)))
    assert cells["reviewed"] == "false" and json.loads(cells["readings"])["systolic"] == 150


def test_empty_lists_print_their_header(cli: Cli) -> None:
    assert "pseudonym" in cli("patient", "list").out
    assert cli("patient", "list", "--format", "json").out.strip() == "[]"
    header = cli("patient", "list", "--format", "csv").out.strip()
    assert header.startswith("pseudonym,program,language,timezone,status")
    deliveries = cli("audit", "deliveries", "--format", "csv").out.strip()
    assert deliveries.startswith("reminder_id,pseudonym")
    assert "field" not in cli("replies", "--format", "csv").out
    assert cli("replies", "--format", "csv").out.startswith("id,pseudonym")


def test_audit_log_detail_is_a_json_object(cli: Cli) -> None:
    assert cli(*ENROL).code == 0
    events = json.loads(cli("audit", "log", "--format", "json").out)
    enrol = next(e for e in events if e["action"] == "patient.enrol")
    assert enrol["detail"]["program"] == "post-stroke-weekly"


@pytest.mark.parametrize(
    "args",
    [
        ("patient", "list", "--status", "bogus"),
        ("audit", "deliveries", "--status", "bogus"),
        ("audit", "deliveries", "--channel", "bogus"),
        ("report", "--until", "2026-02-30"),
        ("report", "--weeks", "0"),
    ],
)
def test_values_outside_a_fixed_set_are_refused_with_exit_2(cli: Cli, args: tuple[str]) -> None:
    result = cli(*args)
    assert result.code == 2, result
    assert len(result.err.strip().splitlines()) == 1 and "bogus" not in result.err


def test_errors_and_tables_are_not_wrapped_or_cut_when_not_a_terminal(cli: Cli) -> None:
    cli.env["COLUMNS"] = ""  # as a pipe or cron mail: no terminal, no width given
    who = json.loads(cli(*ENROL, "--format", "json").out)["pseudonym"]
    listed = cli("patient", "list").out
    assert who in listed and "Europe/Brussels" in listed  # no cell cut to `P-K09B-3…`
    refused = cli("patient", "list", "--status", "somewhere-over-the-rainbow-and-further")
    lines = refused.err.strip().splitlines()
    assert refused.code == 2 and len(lines) == 1 and len(lines[0]) > 80
    assert lines[0].startswith("error: ") and "active, paused, ended, erased" in lines[0]
