"""`carebot report`: every figure of the report document v1 on a store with known data (see
scenario.py), the outage week, the cohort, `--program`, small cells, CSV and the table."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from bot.report.layout import CSV_COLUMNS, LABELS
from tests.conftest import Cli
from tests.report.scenario import UNTIL, Site, build

ZEROS = {
    "due": 0, "sent": 0, "delivered": 0, "read": 0, "failed": 0, "undeliverable": 0,
    "missed": 0, "cancelled": 0, "unconfirmed": 0, "delivery_rate": None,
    "patients_active": 0, "patients_reached": 0, "patients_replying": 0, "reply_share": None,
    "readings": 0, "bp_patients": 0, "bp_controlled_share": None, "median_systolic": None,
    "attention": 0, "urgent": 0, "urgent_resolution_median_minutes": None, "opt_outs": 0,
    "withdrawals": 0, "ran": True,
}  # fmt: skip
WEEK_A = ZEROS | {
    "week": "2026-06-01", "due": 6, "sent": 4, "delivered": 2, "read": 1, "failed": 1,
    "undeliverable": 1, "delivery_rate": 0.667, "patients_active": 6, "patients_reached": 4,
    "patients_replying": 4, "reply_share": 0.667, "readings": 4, "bp_patients": 3,
    "bp_controlled_share": 0.667, "median_systolic": 130.0, "attention": 2,
}  # fmt: skip
WEEK_B = ZEROS | {
    "week": "2026-06-08", "due": 7, "sent": 5, "undeliverable": 1, "cancelled": 1,
    "delivery_rate": 0.833, "patients_active": 6, "patients_reached": 5,
    "patients_replying": 4, "reply_share": 0.667, "readings": 1, "bp_patients": 1,
    "bp_controlled_share": 0.0, "median_systolic": 200.0, "attention": 1, "urgent": 2,
}  # fmt: skip
WEEK_C = ZEROS | {  # carebot did not run: its reminders were made `missed` afterwards
    "week": "2026-06-15", "due": 6, "missed": 6, "delivery_rate": 0.0, "patients_active": 6,
    "patients_replying": 1, "reply_share": 0.167, "ran": False,
}  # fmt: skip
WEEK_D = ZEROS | {
    "week": "2026-06-22", "due": 6, "sent": 5, "undeliverable": 1, "delivery_rate": 0.833,
    "patients_active": 6, "patients_reached": 5, "patients_replying": 3, "reply_share": 0.5,
    "opt_outs": 2,
}  # fmt: skip
TOTALS = ZEROS | {
    "due": 25, "sent": 14, "delivered": 2, "read": 1, "failed": 1, "undeliverable": 3,
    "missed": 6, "cancelled": 1, "delivery_rate": 0.583, "patients_active": 7,
    "patients_reached": 6, "patients_replying": 7, "reply_share": 1.0, "readings": 5,
    "bp_patients": 4, "bp_controlled_share": 0.5, "median_systolic": 137.5, "attention": 3,
    "urgent": 2, "opt_outs": 2, "ran": False,
}  # fmt: skip
COHORT = [
    {"week_since_enrolment": 1, "patients": 7, "replying": 5, "reply_share": 0.714},
    {"week_since_enrolment": 2, "patients": 6, "replying": 3, "reply_share": 0.5},
    {"week_since_enrolment": 3, "patients": 5, "replying": 1, "reply_share": 0.2},
]


@pytest.fixture
def site(wired: Cli) -> Site:
    return build(wired)


def report(site: Site, *args: str, threshold: int = 0, weeks: int = 4) -> Any:
    site.cli.env["CAREBOT_REPORT_SMALL_CELL"] = str(threshold)
    result = site.cli("report", "--until", UNTIL, "--weeks", str(weeks), *args)
    assert result.code == 0, result.err
    return result.out


def document(site: Site, *args: str, threshold: int = 0, weeks: int = 4) -> Any:
    return json.loads(report(site, "--format", "json", *args, threshold=threshold, weeks=weeks))


def test_every_figure_per_week_and_for_the_period(site: Site) -> None:
    doc = document(site, "--program", "test-weekly")
    assert doc["format"] == "carebot.report" and doc["version"] == 1
    assert doc["program"] == "test-weekly" and doc["small_cell_threshold"] == 0
    assert doc["period"] == {"from": "2026-06-01", "until": "2026-06-28", "weeks": 4}
    assert doc["weeks"] == [WEEK_A, WEEK_B, WEEK_C, WEEK_D]
    assert doc["totals"] == TOTALS
    assert doc["cohort"] == COHORT
    for who in site.who.values():
        assert who not in json.dumps(doc)
    # from week B on, only L1's follow-up starts in the period; its third week is not over
    assert document(site, "--program", "test-weekly", weeks=3)["cohort"] == [
        {"week_since_enrolment": 1, "patients": 1, "replying": 1, "reply_share": 1.0},
        {"week_since_enrolment": 2, "patients": 1, "replying": 0, "reply_share": 0.0},
    ]


def test_program_counts_its_own_patients_and_an_unknown_one_is_refused(site: Site) -> None:
    everyone = document(site)
    assert everyone["program"] is None
    assert [w["due"] for w in everyone["weeks"]] == [7, 8, 7, 7]  # O1 of other-weekly too
    other = document(site, "--program", "other-weekly")
    assert [(w["due"], w["sent"], w["missed"]) for w in other["weeks"]] == [
        (1, 1, 0), (1, 1, 0), (1, 0, 1), (1, 1, 0),
    ]  # fmt: skip
    assert other["totals"]["patients_replying"] == 0 and other["cohort"][0]["patients"] == 1
    log = json.loads(site.cli("audit", "log", "--format", "json").out)
    refused = site.cli("report", "--program", "no-such-program")
    assert refused.code == 1 and refused.out == ""
    assert refused.err.strip().splitlines() == [
        "error: no program 'no-such-program' in the store; known: other-weekly, test-weekly"
    ]
    assert json.loads(site.cli("audit", "log", "--format", "json").out) == log  # nothing written
    typed = site.cli("report", "--program", "Jan Peeters")  # a name typed in its place
    assert typed.code == 1 and "Jan" not in typed.err and "no program of that name" in typed.err


def test_small_cells_are_suppressed_in_json_csv_the_table_and_the_page(site: Site) -> None:
    doc = document(site, "--program", "test-weekly", threshold=5)
    a, b = doc["weeks"][0], doc["weeks"][1]
    assert doc["small_cell_threshold"] == 5
    assert (a["due"], a["sent"], a["delivered"], a["cancelled"]) == (6, "<5", "<5", 0)
    assert a["delivery_rate"] == 0.667 and a["reply_share"] == 0.667  # over 6 patients
    assert (a["bp_patients"], a["bp_controlled_share"], a["median_systolic"]) == ("<5",) * 3
    assert (b["sent"], b["urgent"], b["urgent_resolution_median_minutes"]) == (5, "<5", None)
    assert doc["totals"]["median_systolic"] == "<5"  # 4 patients: fewer than 5
    assert doc["cohort"][2] == {
        "week_since_enrolment": 3, "patients": 5, "replying": "<5", "reply_share": 0.2,
    }  # fmt: skip
    seven = document(site, "--program", "test-weekly", threshold=7)
    assert seven["weeks"][0]["due"] == "<7"  # 6 reminders: under 7
    assert seven["weeks"][0]["reply_share"] == "<7" and seven["totals"]["patients_active"] == 7
    rows = list(
        csv.DictReader(
            io.StringIO(report(site, "--format", "csv", "--program", "test-weekly", threshold=5))
        )
    )
    assert rows[0]["sent"] == "<5" and rows[0]["median_systolic"] == "<5"
    site.cli.env["COLUMNS"] = "200"
    table = report(site, "--program", "test-weekly", threshold=5)
    sent = [line.split("│") for line in table.splitlines() if line.startswith("│ sent ")]
    assert [cell.strip() for cell in sent[0][2:7]] == ["<5", "5", "0", "5", "14"]
    page = site.cli.cwd / "report.html"
    report(site, "--html", str(page), "--format", "json", threshold=5)
    html = page.read_text()
    assert "&lt;5" in html
    for who in site.who.values():
        assert who not in html and who not in table


def test_csv_has_the_weeks_then_a_totals_row(site: Site) -> None:
    rows = list(
        csv.reader(io.StringIO(report(site, "--format", "csv", "--program", "test-weekly")))
    )
    assert rows[0] == CSV_COLUMNS
    assert [r[0] for r in rows[1:]] == [
        "2026-06-01",
        "2026-06-08",
        "2026-06-15",
        "2026-06-22",
        "total",
    ]
    parsed = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert parsed[2]["ran"] == "false" and parsed[2]["missed"] == "6"
    assert parsed[0]["median_systolic"] == "130.0" and parsed[2]["median_systolic"] == ""
    assert parsed[-1]["due"] == "25" and parsed[-1]["reply_share"] == "1.0"


def test_the_table_never_cuts_a_header_at_80_columns_even_over_52_weeks(site: Site) -> None:
    site.cli.env["COLUMNS"] = "80"
    site.cli.env["CAREBOT_REPORT_SMALL_CELL"] = "0"
    result = site.cli("report", "--until", UNTIL, "--weeks", "52")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert max(len(line) for line in lines) <= 80
    doc = json.loads(site.cli("report", "--until", UNTIL, "--weeks", "52", "--format", "json").out)
    heads = [w["week"] for w in doc["weeks"]] + ["total"]
    for head in heads:
        assert sum(f"│ {head} " in line or f" {head} │" in line for line in lines) == 1, head
    for label in LABELS.values():
        assert len(lines_of(lines, label)) == len(lines_of(lines, "figure")), label
    longest = site.cli("report", "--until", UNTIL, "--weeks", "520", "--format", "json")
    assert len(json.loads(longest.out)["weeks"]) == 520  # a column per week in one query
    outage = [line for line in lines if line.startswith("│ carebot ran ")]
    assert any("NO" in line for line in outage) and any("yes" in line for line in outage)


def lines_of(lines: list[str], head: str) -> list[str]:
    return [line for line in lines if line.startswith(f"│ {head} ")]


def test_a_cycle_late_on_sunday_utc_ran_in_that_week_whatever_the_session_zone(
    cli: Cli,
) -> None:
    if cli.env["CAREBOT_DATABASE_URL"].startswith("postgresql"):
        # a session whose zone is already Monday: its date() would move the cycle on a week
        cli.env["CAREBOT_DATABASE_URL"] += "?options=-c%20timezone%3DPacific/Auckland"
    assert cli("tick", "--at", "2026-06-07T23:30:00+00:00", "--quiet").code == 0
    result = cli("report", "--until", "2026-06-14", "--weeks", "2", "--format", "json")
    assert result.code == 0, result.err
    assert [w["ran"] for w in json.loads(result.out)["weeks"]] == [True, False]
