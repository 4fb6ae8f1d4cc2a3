"""One small SVG bar chart of the HTML report: a y axis with ticks on the scale it is given
(shared by the charts of one kind), one bar per week, x labels thinned so that they never
overlap, and a marked gap where a value is a small cell, null, or a week carebot did not run."""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from bot.report.html_values import Cell, Scale, is_small, number, tick_label, written

WIDTH, HEIGHT = 360, 184
LEFT, RIGHT, TOP, BOTTOM = 44, 18, 10, 38
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
LABEL_SPACING = 46  # px between x labels: "23 Nov" at 10 px is about 32 px wide
MARK_TEXT_MIN = 18  # a slot this wide has room to write "<5" or "n/a" in its gap

SMALL_FILL, NULL_FILL, OUTAGE_FILL = "#fbd38d", "#e2e8f0", "#fed7d7"


@dataclass(frozen=True)
class Slot:
    """One bar's place: its x labels (the second line holds the year where it changes), its
    tooltip name, and whether carebot ran a cycle in it."""

    label: str
    year: str
    name: str
    ran: bool = True


def _fmt(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def label_step(count: int) -> int:
    """Label every n-th slot so that labels stand LABEL_SPACING apart or more."""
    return max(1, math.ceil(LABEL_SPACING / (PLOT_W / max(count, 1))))


def _y_axis(scale: Scale) -> list[str]:
    parts = []
    for tick in scale.ticks:
        y = TOP + PLOT_H - PLOT_H * tick / scale.top
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + PLOT_W}" y1="{_fmt(y)}" y2="{_fmt(y)}" '
            f'stroke="{"#4a5568" if tick == 0 else "#e2e8f0"}" stroke-width="1"/>'
            f'<text class="y" x="{LEFT - 6}" y="{_fmt(y)}" dominant-baseline="central" '
            f'text-anchor="end">{escape(tick_label(tick, scale.kind))}</text>'
        )
    return parts


def _x_labels(slots: list[Slot], slot_w: float) -> list[str]:
    step, parts = label_step(len(slots)), []
    for i in range(0, len(slots), step):
        x = _fmt(LEFT + slot_w * (i + 0.5))
        parts.append(
            f'<text class="x" x="{x}" y="{TOP + PLOT_H + 14}" text-anchor="middle">'
            f"{escape(slots[i].label)}</text>"
        )
        if slots[i].year:
            parts.append(
                f'<text class="year" x="{x}" y="{TOP + PLOT_H + 27}" text-anchor="middle">'
                f"{escape(slots[i].year)}</text>"
            )
    return parts


def _gap(x: float, width: float, fill: str, kind: str, text: str, tip: str) -> str:
    mark = ""
    if width >= MARK_TEXT_MIN and text:
        mark = (
            f'<text class="mark" x="{_fmt(x + width / 2)}" y="{TOP + PLOT_H - 5}" '
            f'text-anchor="middle">{escape(text)}</text>'
        )
    return (
        f'<g class="gap {kind}"><rect x="{_fmt(x)}" y="{TOP}" width="{_fmt(width)}" '
        f'height="{PLOT_H}" fill="{fill}"/>'
        f'<rect x="{_fmt(x)}" y="{TOP + PLOT_H - 3}" width="{_fmt(width)}" height="3" '
        f'fill="{"#dd6b20" if kind == "small" else "#a0aec0"}"/>{mark}'
        f"<title>{escape(tip)}</title></g>"
    )


def _slot(i: int, slot: Slot, value: Cell, scale: Scale, colour: str, slot_w: float) -> str:
    x, parts = LEFT + slot_w * i, []
    tip = f"{slot.name}: {written(value, scale.kind)}"
    if not slot.ran:
        tip += " (carebot did not run that week)"
        parts.append(
            f'<rect class="outage" x="{_fmt(x)}" y="{TOP}" width="{_fmt(slot_w)}" '
            f'height="{PLOT_H}" fill="{OUTAGE_FILL}"><title>{escape(tip)}</title></rect>'
        )
    amount = number(value)
    if amount is not None:
        if amount > 0:
            height = PLOT_H * amount / scale.top
            bar_w = max(slot_w * 0.72, 1.0)
            left = x + (slot_w - bar_w) / 2
            parts.append(
                f'<rect class="bar" data-value="{_fmt(amount)}" x="{_fmt(left)}"'
                f' y="{_fmt(TOP + PLOT_H - height)}" width="{_fmt(bar_w)}" '
                f'height="{_fmt(height)}" fill="{colour}"><title>{escape(tip)}</title></rect>'
            )
    elif is_small(value):
        parts.append(_gap(x, slot_w, SMALL_FILL, "small", str(value), tip + " (suppressed)"))
    elif slot.ran:  # a null: nothing to compute (an outage week is marked already)
        parts.append(_gap(x, slot_w, NULL_FILL, "null", "n/a", tip + " (nothing to compute)"))
    return "".join(parts)


def bar_chart(
    *, name: str, slots: list[Slot], values: list[Cell], scale: Scale, colour: str
) -> str:
    """The chart as an inline <svg> element (text only: every label escaped)."""
    slot_w = PLOT_W / max(len(slots), 1)
    parts = _y_axis(scale)
    parts += [
        _slot(i, slot, value, scale, colour, slot_w)
        for i, (slot, value) in enumerate(zip(slots, values, strict=True))
    ]
    parts.append(  # the baseline again, over the gaps and outage bands
        f'<line x1="{LEFT}" x2="{LEFT + PLOT_W}" y1="{TOP + PLOT_H}" y2="{TOP + PLOT_H}" '
        'stroke="#4a5568" stroke-width="1"/>'
    )
    parts += _x_labels(slots, slot_w)
    return (
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(name)}">'
        f"{''.join(parts)}</svg>"
    )
