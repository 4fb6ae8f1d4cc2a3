"""`carebot audit unconfirmed` and `carebot reminder resolve`, end to end: a Telegram send
answered 5xx after Telegram sent it (so its outcome is unknown, and Telegram has no look-up)
is held `unconfirmed`, listed, and decided by an admin; and a program that says
`on_unconfirmed = "resend"` sends it once more by itself."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from sqlmodel import select

from bot.config import REPO_ROOT
from bot.store.models import AuditEvent, Reminder
from tests.conftest import Cli
from tests.fakes.telegram import FakeTelegram
from tests.helpers import cli_tick, first_due, store_for

CHAT = 555001
NOTE = "called Jan Peeters, he got it"


def _bound(cli: Cli, fake: FakeTelegram) -> str:
    """A patient enrolled on Telegram, their chat bound; returns the pseudonym."""
    result = cli(
        *("patient", "enrol", "--ref", "AZ-9", "--program", "post-stroke-weekly"),
        *("--lang", "nl", "--tz", "Europe/Brussels", "--name", "Jan"),
        *("--consent", "telegram", "--format", "json"),
    )
    assert result.code == 0, result.err
    enrolled = json.loads(result.out)
    code = parse_qs(urlparse(enrolled["telegram_link"]).query)["start"][0]
    fake.push_update(CHAT, f"/start {code}")
    cli_tick(cli, datetime.now().astimezone())
    time.sleep(1.05)  # the fake's one message a second per chat runs on the real clock
    return str(enrolled["pseudonym"])


def _unconfirmed(cli: Cli) -> list[dict[str, object]]:
    result = cli("audit", "unconfirmed", "--format", "json")
    assert result.code == 0, result.err
    return list(json.loads(result.out))


def _status(cli: Cli, reminder_id: object) -> str:
    rows = json.loads(cli("audit", "deliveries", "--format", "json").out)
    return str(next(r["status"] for r in rows if r["reminder_id"] == reminder_id))


@pytest.fixture
def held(wired: Cli, fake_telegram: FakeTelegram) -> tuple[Cli, dict[str, object]]:
    """One reminder `unconfirmed` after Telegram sent it and answered 500."""
    pseudonym = _bound(wired, fake_telegram)
    fake_telegram.fail_after_sending(500)
    cli_tick(wired, first_due() + timedelta(minutes=1))
    [row] = _unconfirmed(wired)
    assert row["pseudonym"] == pseudonym
    return wired, row


def test_an_unknown_outcome_is_held_and_listed_with_its_channel_and_age(
    held: tuple[Cli, dict[str, object]], fake_telegram: FakeTelegram
) -> None:
    cli, row = held
    assert (row["channel"], row["program"], row["attempts"]) == (
        "telegram",
        "post-stroke-weekly",
        1,
    )
    assert row["since"] and row["age"] and row["due_at"]
    assert "outcome unknown" in str(row["error"])
    cli_tick(cli, first_due() + timedelta(hours=1))  # never sent again by itself
    assert len([s for s in fake_telegram.sent if "Jan" in s.text]) == 1
    table = cli("audit", "unconfirmed")
    assert table.code == 0 and str(row["reminder_id"]) in table.out and "telegram" in table.out
    csv = cli("audit", "unconfirmed", "--format", "csv")
    assert csv.out.splitlines()[0].startswith("reminder_id,pseudonym,program,channel,due_at,since")


@pytest.mark.parametrize(
    ("flag", "status"),
    [("--delivered", "delivered"), ("--drop", "cancelled"), ("--resend", "planned")],
)
def test_resolving_gives_the_chosen_status_audited_without_the_note(
    held: tuple[Cli, dict[str, object]], flag: str, status: str
) -> None:
    cli, row = held
    rid = str(row["reminder_id"])
    result = cli("reminder", "resolve", rid, flag, "--note", NOTE)
    assert result.code == 0, result.err
    assert _status(cli, row["reminder_id"]) == status
    assert _unconfirmed(cli) == []
    store = store_for(cli)
    try:
        with store.session() as session:
            reminder = session.get(Reminder, row["reminder_id"])
            assert reminder is not None and reminder.note_enc
            assert NOTE.encode() not in reminder.note_enc
            note = store.decrypt(
                session,
                reminder.pseudonym,
                reminder.note_enc,
                table="reminder",
                column="note",
                row=reminder.id or 0,
            )
            assert note == NOTE
            events = session.exec(select(AuditEvent)).all()
            [event] = [e for e in events if e.action == "reminder.resolve"]
            assert event.actor == "cli:nurse-test" and flag[2:] in str(event.detail)
            assert all("Peeters" not in str(e.detail) for e in events)
    finally:
        store.engine.dispose()


def test_a_resend_goes_at_the_next_tick(
    held: tuple[Cli, dict[str, object]], fake_telegram: FakeTelegram
) -> None:
    cli, row = held
    assert cli("reminder", "resolve", str(row["reminder_id"]), "--resend", "--note", "x").code == 0
    time.sleep(1.05)
    cli_tick(cli, first_due() + timedelta(minutes=30))
    assert len([s for s in fake_telegram.sent if "Jan" in s.text]) == 2
    assert _status(cli, row["reminder_id"]) == "sent"


def test_only_an_unconfirmed_reminder_can_be_resolved_and_nothing_changes_otherwise(
    held: tuple[Cli, dict[str, object]],
) -> None:
    cli, row = held
    rid = str(row["reminder_id"])
    assert cli("reminder", "resolve", rid, "--drop", "--note", "first").code == 0
    again = cli("reminder", "resolve", rid, "--delivered", "--note", "second")
    assert again.code == 1 and again.err.count("\n") == 1
    assert "cancelled, not unconfirmed" in again.err
    assert _status(cli, row["reminder_id"]) == "cancelled"
    missing = cli("reminder", "resolve", "99999", "--drop", "--note", "x")
    assert (missing.code, missing.err.strip()) == (1, "error: no reminder 99999")
    bad = cli("reminder", "resolve", "abc", "--drop", "--note", "x")
    assert bad.code == 2


def test_exactly_one_decision_and_a_note_are_needed(held: tuple[Cli, dict[str, object]]) -> None:
    cli, row = held
    rid = str(row["reminder_id"])
    for args in ([rid, "--note", "x"], [rid, "--drop", "--resend", "--note", "x"], [rid, "--drop"]):
        result = cli("reminder", "resolve", *args)
        assert result.code == 2, args
    assert [r["reminder_id"] for r in _unconfirmed(cli)] == [row["reminder_id"]]


def _resend_program(cli: Cli, folder: Path) -> None:
    """The shipped program, with `on_unconfirmed = "resend"`, added to the store."""
    text = (REPO_ROOT / "schedules" / "post-stroke-weekly.toml").read_text()
    (folder / "schedules").mkdir(exist_ok=True)
    path = folder / "schedules" / "post-stroke-weekly.toml"
    path.write_text('on_unconfirmed = "resend"\n' + text)
    result = cli("program", "add", str(path))
    assert result.code == 0, result.err


def test_on_unconfirmed_resend_sends_once_more_by_itself_then_holds(
    wired: Cli, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    _resend_program(wired, tmp_path)
    _bound(wired, fake_telegram)
    due = first_due()
    fake_telegram.fail_after_sending(500)
    cli_tick(wired, due + timedelta(minutes=1))  # unknown: planned once more
    time.sleep(1.05)
    fake_telegram.fail_after_sending(500)
    cli_tick(wired, due + timedelta(minutes=10))  # sent again, unknown again: held
    time.sleep(1.05)
    cli_tick(wired, due + timedelta(minutes=20))
    assert len([s for s in fake_telegram.sent if "Jan" in s.text]) == 2
    [row] = _unconfirmed(wired)
    assert row["attempts"] == 2
    log = json.loads(wired("audit", "log", "--limit", "500", "--format", "json").out)
    assert [e["action"] for e in log].count("send.resend-unconfirmed") == 1


def test_a_program_with_another_on_unconfirmed_is_refused(cli: Cli, tmp_path: Path) -> None:
    text = (REPO_ROOT / "schedules" / "post-stroke-weekly.toml").read_text()
    (tmp_path / "schedules").mkdir(exist_ok=True)
    path = tmp_path / "schedules" / "post-stroke-weekly.toml"
    path.write_text('on_unconfirmed = "twice"\n' + text)
    result = cli("program", "add", str(path))
    assert result.code == 1 and "on_unconfirmed: must be one of 'hold' or 'resend'" in result.err
    assert result.err.count("\n") == 1


def test_a_resend_past_the_catch_up_grace_is_refused_and_nothing_changes(
    held: tuple[Cli, dict[str, object]],
) -> None:
    cli, row = held
    store = store_for(cli)
    try:
        with store.session() as session:
            reminder = session.get(Reminder, row["reminder_id"])
            assert reminder is not None
            reminder.due_at = datetime.now().astimezone() - timedelta(hours=7)  # grace: 6 h
            session.add(reminder)
    finally:
        store.engine.dispose()
    result = cli("reminder", "resolve", str(row["reminder_id"]), "--resend", "--note", "x")
    assert result.code == 1 and "past its catch-up grace" in result.err
    assert [r["reminder_id"] for r in _unconfirmed(cli)] == [row["reminder_id"]]
