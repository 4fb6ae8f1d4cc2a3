"""The admins' report as one self-contained HTML page: tables and inline SVG bar charts, no
scripts and nothing fetched from elsewhere, so it opens on a locked-down hospital PC."""

from __future__ import annotations

import os
from html import escape
from pathlib import Path

from bot.report.figures import Week

SERIES = [
    ("sent", "#2b6cb0"),
    ("failed", "#c53030"),
    ("replies", "#2f855a"),
    ("urgent", "#b7791f"),
    ("opt_outs", "#6b46c1"),
]


def _chart(weeks: list[Week], field: str, colour: str) -> str:
    values = [int(getattr(w, field)) for w in weeks]
    top = max(values + [1])
    width, height, bar = 40 * len(values) + 20, 140, 28
    bars = []
    for i, (week, value) in enumerate(zip(weeks, values, strict=True)):
        h = round(100 * value / top)
        x = 10 + 40 * i
        bars.append(
            f'<rect x="{x}" y="{110 - h}" width="{bar}" height="{h}" fill="{colour}">'
            f"<title>{escape(week.week)}: {value}</title></rect>"
            f'<text x="{x + bar / 2}" y="{105 - h}" font-size="10" '
            f'text-anchor="middle">{value}</text>'
            f'<text x="{x + bar / 2}" y="125" font-size="8" text-anchor="middle">'
            f"{escape(week.week[5:])}</text>"
        )
    return (
        f"<figure><figcaption>{escape(field.replace('_', ' '))} per week</figcaption>"
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(field)} per week">{"".join(bars)}</svg></figure>'
    )


def render_html(weeks: list[Week], *, title: str = "carebot report") -> str:
    """The whole page."""
    head = "".join(f"<th>{escape(k.replace('_', ' '))}</th>" for k in Week.__dataclass_fields__)
    rows = "".join(
        "<tr>"
        + "".join(f"<td>{escape(str(getattr(w, k)))}</td>" for k in Week.__dataclass_fields__)
        + "</tr>"
        for w in weeks
    )
    charts = "".join(_chart(weeks, field, colour) for field, colour in SERIES)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em;color:#1a202c}}
table{{border-collapse:collapse}}td,th{{border:1px solid #cbd5e0;padding:4px 8px;text-align:right}}
figure{{display:inline-block;margin:1em}}</style></head>
<body><h1>{escape(title)}</h1>
<p>Counts per week (weeks start on Monday, UTC). No patient can be identified from this page.</p>
<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>
{charts}
</body></html>
"""


def write_private(path: Path, text: str) -> None:
    """Write the page readable by its owner only (0600), like every file carebot writes, even
    over an older file that was more open: the figures are the hospital's, not the world's."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(text)
