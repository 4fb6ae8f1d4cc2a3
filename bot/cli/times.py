"""`--tz local|utc`: the times of a listing in the patient's own zone, or in UTC.

People read a patient's times as the patient lives them ("the reply came at 10:05 their
time"), so a table shows each patient's zone by default; scripts get UTC by default, so that
their output does not change with a patient's zone. Either way a time is ISO 8601 with its
offset, and so names one instant. A reply from an unknown sender has no zone: UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from bot.cli.common import Format


class Zone(StrEnum):
    local = "local"
    utc = "utc"


ZoneOption = typer.Option(
    None,
    "--tz",
    help="times in the patient's zone (local, the default for tables) or in utc "
    "(the default for json and csv); ISO 8601 with offset either way",
)


def shown(value: datetime | None, zone: str | None, mode: Zone | None, fmt: Format) -> str | None:
    """The time in the zone asked for (or the format's default), ISO 8601 with offset."""
    if value is None:
        return None
    when = value if value.tzinfo else value.replace(tzinfo=UTC)
    local = (mode or (Zone.local if fmt is Format.table else Zone.utc)) is Zone.local
    if local and zone:
        try:
            return when.astimezone(ZoneInfo(zone)).isoformat()
        except (ZoneInfoNotFoundError, ValueError):
            pass  # an erased patient's zone is blank: UTC then
    return when.astimezone(UTC).isoformat()
