"""`carebot report` on a reminder whose outcome is unknown (Telegram answered 500 after
sending it): `unconfirmed`, in delivery_rate's divisor and not sent, until an admin
resolves it as delivered."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlparse

from tests.conftest import Cli
from tests.fakes.telegram import FakeTelegram
from tests.helpers import cli_tick, first_due


def _week(cli: Cli, day: str) -> dict[str, object]:
    result = cli("report", "--until", day, "--weeks", "1", "--format", "json")
    assert result.code == 0, result.err
    week: dict[str, object] = json.loads(result.out)["weeks"][0]
    return week


def test_an_unconfirmed_reminder_counts_as_not_sent_until_resolved(
    wired: Cli, fake_telegram: FakeTelegram
) -> None:
    wired.env["CAREBOT_REPORT_SMALL_CELL"] = "0"
    enrolled = json.loads(
        wired(
            *("patient", "enrol", "--ref", "AZ-9", "--program", "post-stroke-weekly"),
            *("--lang", "nl", "--tz", "Europe/Brussels", "--name", "Jan"),
            *("--consent", "telegram", "--format", "json"),
        ).out
    )
    code = parse_qs(urlparse(enrolled["telegram_link"]).query)["start"][0]
    fake_telegram.push_update(555001, f"/start {code}")
    cli_tick(wired, datetime.now().astimezone())
    time.sleep(1.05)  # the fake's one message a second per chat runs on the real clock
    fake_telegram.fail_after_sending(500)
    due = first_due()
    cli_tick(wired, due + timedelta(minutes=1))
    day = due.date().isoformat()
    week = _week(wired, day)
    assert (week["due"], week["sent"], week["unconfirmed"]) == (1, 0, 1)
    assert (week["delivery_rate"], week["patients_active"], week["patients_reached"]) == (
        0.0,
        1,
        0,
    )
    [row] = json.loads(wired("audit", "unconfirmed", "--format", "json").out)
    resolved = wired("reminder", "resolve", str(row["reminder_id"]), "--delivered", "--note", "ok")
    assert resolved.code == 0, resolved.err
    week = _week(wired, day)
    assert (week["sent"], week["delivered"], week["unconfirmed"], week["delivery_rate"]) == (
        1,
        1,
        0,
        1.0,
    )
