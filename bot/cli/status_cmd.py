"""`carebot status`: each channel's health, the last cycle, who no channel can reach, whose
reminders keep ending undeliverable or missed, and the audit events not sealed yet. Reads
the store only."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import typer

from bot.admin.status import snapshot
from bot.cli.audit_cmd import ago
from bot.cli.common import Format, FormatOption, console, emit, store
from bot.cli.output import json_dumps, say


def status(
    streak: int = typer.Option(
        2, "--streak", min=2, max=520, help="how many ended reminders in a row make a streak"
    ),
    fmt: Format = FormatOption,
) -> None:
    """Channels (configured, last success, last error, down since), the last tick, patients
    with no reachable consented channel, undeliverable streaks, and the audit events not
    sealed yet (how many, the oldest one's age)."""
    s = store()
    with s.session() as session:
        data = snapshot(session, s.settings, at_least=streak)
    if fmt is Format.json:
        sys.stdout.write(json_dumps(data) + "\n")
        return
    if fmt is Format.csv:  # one table a script can read: the channels
        emit(data["channels"], fmt)
        return
    _tables(data)


def _tables(data: dict[str, Any]) -> None:
    emit(
        [
            {**row, "configured": "yes" if row["configured"] else "no"}
            for row in data["channels"]
        ],
        Format.table,
        title="channels",
        columns=("channel", "configured", "last_success", "last_error", "last_error_at",
                 "down_since"),
    )  # fmt: skip
    tick = data["last_tick"]
    if tick is None:
        say(console, "last tick: never")
    else:
        say(
            console,
            f"last tick: {tick['at']}, {tick['planned']} planned, {tick['sent']} sent, "
            f"{tick['failed']} failed",
        )
    lost = data["unreachable_patients"]["count"]
    say(console, f"patients with no reachable consented channel: {lost}")
    streaks = data["undeliverable_streaks"]
    if streaks:
        emit(streaks, Format.table, title="undeliverable streaks")
    else:
        say(console, "undeliverable streaks: none")
    say(console, _audit_line(data["audit"]))


def _audit_line(log: dict[str, Any]) -> str:
    """`audit log: every event sealed`, or how many wait, how old the oldest, how many are
    refused."""
    waiting = log["unsealed"]
    if not waiting:
        return "audit log: every event sealed"
    now, age = datetime.now(UTC), timedelta(seconds=log["oldest_unsealed_age_seconds"] or 0)
    plural = "" if waiting == 1 else "s"
    line = (
        f"audit log: {waiting} event{plural} not sealed yet, "
        f"the oldest written {ago(now - age, now)} ago"
    )
    if log["refused"]:
        line += (
            f", {log['refused']} of them written or edited without the audit key "
            "(see `carebot audit verify`)"
        )
    return line
