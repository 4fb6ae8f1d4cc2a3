"""`carebot status`: each channel's health, the last cycle, who no channel can reach, and
whose reminders keep ending undeliverable or missed. Reads the store only."""

from __future__ import annotations

import sys
from typing import Any

import typer

from bot.admin.status import snapshot
from bot.cli.common import Format, FormatOption, console, emit, store
from bot.cli.output import json_dumps, say


def status(
    streak: int = typer.Option(
        2, "--streak", min=2, max=520, help="how many ended reminders in a row make a streak"
    ),
    fmt: Format = FormatOption,
) -> None:
    """Channels (configured, last success, last error, down since), the last tick, patients
    with no reachable consented channel, and undeliverable streaks."""
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
