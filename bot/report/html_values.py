"""What the HTML report makes of one value of the report document: a number, a small cell
("<5"), or nothing to compute (null); how it is written; and the scales and dates of its charts.
Pure functions, no markup: the page and its charts escape what these return."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime

Cell = int | float | str | None


def number(value: object) -> float | None:
    """The value as a number, or None for a small cell, a null or anything else (a bool is not
    a number here: `ran` is a flag, and a figure that came as `true` is not a count of 1)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return float(value)


def is_small(value: object) -> bool:
    """A suppressed small cell: the document writes it as "<N", N the threshold."""
    return isinstance(value, str) and value.startswith("<")


def written(value: object, kind: str) -> str:
    """The value as an admin reads it in a table (not escaped): 1,234 / 40% / 131 / <5 / n/a."""
    if is_small(value):
        return str(value)
    amount = number(value)
    if amount is None:
        return "n/a" if value is None else str(value)
    if kind == "share":
        return f"{amount * 100:.0f}%"
    if kind in ("mmhg", "minutes"):
        unit = " min" if kind == "minutes" else ""
        return f"{amount:,.0f}{unit}"
    return f"{amount:,.0f}" if amount == int(amount) else f"{amount:,.1f}"


@dataclass(frozen=True)
class Scale:
    """A chart's vertical scale, from 0 to `top`, with its tick values (top is a tick, and
    never below the largest value, so that no bar is clipped)."""

    top: float
    ticks: tuple[float, ...]
    kind: str


def share_scale() -> Scale:
    """Every share on the same 0-100% scale, whatever its values."""
    return Scale(top=1.0, ticks=(0.0, 0.25, 0.5, 0.75, 1.0), kind="share")


def count_scale(values: list[float], kind: str = "count") -> Scale:
    """0 to a round number at or above the largest value, in at most 4 steps of 1, 2 or 5 x 10^k
    (whole numbers: a count has no half patient)."""
    largest = max(values, default=0.0)
    if largest <= 0:
        return Scale(top=1.0, ticks=(0.0, 1.0), kind=kind)
    raw = largest / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(step, 1.0)
    steps = math.ceil(largest / step)
    return Scale(top=step * steps, ticks=tuple(step * i for i in range(steps + 1)), kind=kind)


def tick_label(value: float, kind: str) -> str:
    """A short y-axis label: 50%, 900, 1,200, 15k."""
    if kind == "share":
        return f"{value * 100:.0f}%"
    if value >= 10_000:
        return f"{value / 1000:,.0f}k"
    return f"{value:,.0f}"


def week_date(text: object) -> date | None:
    """A week's Monday from its ISO date, or None when the document holds something else."""
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        return None


def day_label(day: date, *, year: bool = True) -> str:
    """5 Oct 2026 (month names in English, whatever the machine's locale)."""
    month = ("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec").split()[day.month - 1]
    return f"{day.day} {month}" + (f" {day.year}" if year else "")


def moment_label(text: object) -> str:
    """The generation time in UTC, e.g. 2 Dec 2026, 06:00 UTC; the text itself if unreadable."""
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        return str(text)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return f"{day_label(moment.date())}, {moment:%H:%M} UTC"
