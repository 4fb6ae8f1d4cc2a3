"""`carebot audit seal`, and what `audit log` and `audit verify` say of events appended but
not sealed yet; a tick seals the events of its cycle."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from sqlalchemy import text

from bot.store import crypto
from bot.store.db import make_engine
from tests.conftest import Cli
from tests.helpers import cli_tick, first_due

ENROL = (
    *("patient", "enrol", "--ref", "AZ-1", "--program", "post-stroke-weekly", "--lang", "nl"),
    *("--tz", "Europe/Brussels", "--name", "Jan", "--consent", "console"),
)


def _log(cli: Cli) -> list[dict[str, object]]:
    result = cli("audit", "log", "--limit", "1000", "--format", "json")
    assert result.code == 0, result.err
    return list(json.loads(result.out))


def test_audit_log_lists_events_not_sealed_yet_last_and_marked(cli: Cli) -> None:
    assert cli(*ENROL).code == 0
    waiting = _log(cli)
    assert waiting and all(e["seq"] is None and e["hash"] is None for e in waiting)
    assert all(e["sealed"] is False for e in waiting)
    sealed = cli("audit", "seal")
    assert sealed.code == 0 and re.fullmatch(rf"{len(waiting)} events? sealed\n", sealed.out)
    assert cli("program", "pause", "post-stroke-weekly").code == 0
    mixed = _log(cli)
    flags = [bool(e["sealed"]) for e in mixed]
    assert flags == sorted(flags, reverse=True) and flags[-1] is False  # unsealed come last
    seqs = [e["seq"] for e in mixed if e["sealed"]]
    assert seqs == list(range(1, len(waiting) + 1))
    assert [e["action"] for e in mixed][: len(waiting)] == [e["action"] for e in waiting]
    table = cli("audit", "log")
    assert table.code == 0 and "sealed" in table.out


def test_audit_verify_counts_unsealed_events_with_the_oldest_ones_age(cli: Cli) -> None:
    assert cli(*ENROL).code == 0
    waiting = len(_log(cli))
    result = cli("audit", "verify")
    assert result.code == 0
    assert re.fullmatch(
        rf"audit chain intact: 0 events checked; {waiting} events? not sealed yet, the oldest "
        r"written \d+m ago \(sealed by the next tick, or now by `carebot audit seal`\)\n",
        result.out,
    )
    assert cli("audit", "seal").code == 0
    assert cli("audit", "verify").out == f"audit chain intact: {waiting} events checked\n"


def test_a_tick_seals_the_events_of_its_cycle(cli: Cli) -> None:
    assert cli(*ENROL).code == 0
    cli_tick(cli, first_due() + timedelta(minutes=1))
    events = _log(cli)
    assert "send.attempt" in [e["action"] for e in events]
    assert all(e["sealed"] for e in events)
    assert cli("audit", "verify").out == f"audit chain intact: {len(events)} events checked\n"


def test_a_sealed_event_edited_later_is_named_by_verify_with_exit_1(cli: Cli) -> None:
    assert cli(*ENROL).code == 0
    assert cli("audit", "seal").code == 0
    assert cli("program", "pause", "post-stroke-weekly").code == 0  # waits, unsealed
    master = crypto.decode_key(cli.env["CAREBOT_MASTER_KEY"], what="test")
    engine = make_engine(cli.env["CAREBOT_DATABASE_URL"], master)
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_event SET actor = 'someone' WHERE seq = 1"))
    engine.dispose()
    result = cli("audit", "verify")
    assert result.code == 1 and result.err.startswith(
        "error: audit chain broken at event 1: hash does not match the event "
        "(0 events intact before it)"
    )
    assert len(result.err.strip().splitlines()) == 1


def _newest_again(cli: Cli, detail: str | None) -> int:
    """Insert the newest audit event again, tag and all, as someone with the database but
    not the audit key could (with another `detail`, or as an exact copy); its id."""
    master = crypto.decode_key(cli.env["CAREBOT_MASTER_KEY"], what="test")
    engine = make_engine(cli.env["CAREBOT_DATABASE_URL"], master)
    what = ":detail" if detail is not None else "detail"
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO audit_event (at, actor, action, subject, detail, tag) "
                f"SELECT at, actor, action, subject, {what}, tag FROM audit_event "
                "WHERE id = (SELECT MAX(id) FROM audit_event)"
            ),
            {"detail": detail} if detail is not None else {},
        )
        added = connection.execute(text("SELECT MAX(id) FROM audit_event")).scalar()
    engine.dispose()
    assert isinstance(added, int)
    return added


def test_an_event_inserted_without_the_audit_key_is_refused_by_seal_and_named_by_verify(
    cli: Cli,
) -> None:
    assert cli(*ENROL).code == 0
    bad = _newest_again(cli, '{"n":1}')  # a copy of the newest event, given another detail
    genuine = len(_log(cli)) - 1
    sealed = cli("audit", "seal")
    named = f"error: event id {bad} was written or edited without the audit key"
    assert sealed.code == 1 and sealed.out == f"{genuine} event{'s' * (genuine != 1)} sealed\n"
    assert sealed.err == f"{named}: left unsealed\n"
    result = cli("audit", "verify")
    assert result.code == 1 and result.out == ""
    assert result.err == f"{named}: never sealed\n"


def test_an_exact_copy_of_an_event_is_refused_by_seal_and_named_by_verify(cli: Cli) -> None:
    assert cli(*ENROL).code == 0
    copy = _newest_again(cli, None)  # the newest event again, tag and all
    genuine = len(_log(cli)) - 1
    sealed = cli("audit", "seal")
    named = f"error: event id {copy} was written or edited without the audit key"
    assert sealed.code == 1 and sealed.out == f"{genuine} event{'s' * (genuine != 1)} sealed\n"
    assert sealed.err == f"{named}: left unsealed\n"
    assert cli("audit", "seal").err == f"{named}: left unsealed\n"  # still named, not re-read
    result = cli("audit", "verify")
    assert result.code == 1 and result.err == f"{named}: never sealed\n"
