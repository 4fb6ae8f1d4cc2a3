"""`carebot demo --keep DIR` leaves a site that opens from DIR, its month ending now;
`carebot report --until DATE --weeks N` chooses the period; the shipped program's first
reminder comes in the week after enrolment."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.conftest import Cli

ENROL = (
    "patient", "enrol", "--ref", "AZ-1", "--program", "post-stroke-weekly", "--lang", "nl",
    "--tz", "Europe/Brussels", "--name", "Jan", "--consent", "console", "--format", "json",
)  # fmt: skip


@pytest.mark.subprocess
def test_demo_keep_leaves_a_site_that_opens_from_its_folder(cli: Cli) -> None:
    site = cli.cwd / "demo"
    assert cli("demo", "--keep", str(site)).code == 0
    assert (site / "carebot.key").stat().st_mode & 0o777 == 0o600
    for name in ("CAREBOT_DATABASE_URL", "CAREBOT_MASTER_KEY", "CAREBOT_PSEUDONYM_SECRET"):
        del cli.env[name]  # nothing but what the demo left in the folder
    cli.cwd = site
    listed = cli("patient", "list", "--format", "json")
    assert listed.code == 0, listed.err
    assert len(json.loads(listed.out)) == 3
    deliveries = json.loads(cli("audit", "deliveries", "--format", "json").out)
    sent = [datetime.fromisoformat(d["due_at"]) for d in deliveries if d["status"] == "sent"]
    assert sent and max(sent) <= datetime.now(UTC)  # the simulated month ends now
    assert max(sent) >= datetime.now(UTC) - timedelta(days=8)  # ...not a month ago either
    assert cli("audit", "verify").code == 0


def _week_rows(out: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(out)))


def test_report_until_a_date_counts_the_weeks_ending_there(cli: Cli) -> None:
    assert cli(*ENROL).code == 0
    now = datetime.now(UTC)
    assert cli("tick", "--at", (now + timedelta(days=8)).isoformat(), "--quiet").code == 0
    monday = date.fromisoformat(
        json.loads(cli("audit", "deliveries", "--format", "json").out)[0]["due_at"][:10]
    )
    week = monday - timedelta(days=monday.weekday())
    rows = _week_rows(
        cli("report", "--until", monday.isoformat(), "--weeks", "3", "--format", "csv").out
    )
    assert [r["week"] for r in rows[:3]] == [str(week - timedelta(weeks=i)) for i in (2, 1, 0)]
    assert [r["week"] for r in rows][-1] == "total"
    assert [r["due"] for r in rows] == ["0", "0", "<5", "<5"]  # one reminder: a small cell
    before = _week_rows(
        cli("report", "--until", str(monday - timedelta(days=1)), "--format", "csv").out
    )
    assert len(before) == 9 and all(r["due"] == "0" for r in before)
    assert cli("report", "--until", "yesterday").code == 2


def test_the_shipped_program_starts_in_the_week_after_enrolment(cli: Cli) -> None:
    enrolled_at = datetime.now(UTC)
    assert cli(*ENROL).code == 0
    assert cli("tick", "--at", enrolled_at.isoformat(), "--quiet").code == 0
    planned = json.loads(cli("audit", "deliveries", "--format", "json").out)
    assert planned, "the first Monday is within a week, so within the planning horizon"
    first = datetime.fromisoformat(planned[0]["due_at"])
    assert timedelta(0) < first - enrolled_at <= timedelta(days=7)
    local = first.astimezone().date()
    assert local.isocalendar().week != enrolled_at.date().isocalendar().week
