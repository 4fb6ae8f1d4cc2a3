"""The admins' report as one self-contained HTML page: tables and inline SVG bar charts, no
scripts and nothing fetched from elsewhere, so it opens on a locked-down hospital PC."""

from __future__ import annotations

import os
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

SERIES = [
    ("sent", "#2b6cb0"),
    ("failed", "#c53030"),
    ("patients_replying", "#2f855a"),
    ("urgent", "#b7791f"),
    ("opt_outs", "#6b46c1"),
]


def _chart(weeks: list[dict[str, Any]], field: str, colour: str) -> str:
    # a suppressed "<5" or a null gets no bar: it is shown as its text, never as a 0
    shown = [w[field] for w in weeks]
    values = [v if isinstance(v, int) and not isinstance(v, bool) else 0 for v in shown]
    top = max(values + [1])
    width, height, bar = 40 * len(values) + 20, 140, 28
    bars = []
    for i, (week, value, label) in enumerate(zip(weeks, values, shown, strict=True)):
        h = round(100 * value / top)
        x = 10 + 40 * i
        bars.append(
            f'<rect x="{x}" y="{110 - h}" width="{bar}" height="{h}" fill="{colour}">'
            f"<title>{escape(str(week['week']))}: {escape(str(label))}</title></rect>"
            f'<text x="{x + bar / 2}" y="{105 - h}" font-size="10" '
            f'text-anchor="middle">{escape(str(label))}</text>'
            f'<text x="{x + bar / 2}" y="125" font-size="8" text-anchor="middle">'
            f"{escape(str(week['week'])[5:])}</text>"
        )
    return (
        f"<figure><figcaption>{escape(field.replace('_', ' '))} per week</figcaption>"
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(field)} per week">{"".join(bars)}</svg></figure>'
    )


def render_html(document: Mapping[str, Any], *, title: str = "carebot report") -> str:
    """The whole page of a report document (format v1), its small cells suppressed."""
    weeks: list[dict[str, Any]] = list(document["weeks"])
    keys = list(weeks[0]) if weeks else ["week"]
    head = "".join(f"<th>{escape(k.replace('_', ' '))}</th>" for k in keys)
    rows = "".join(
        "<tr>"
        + "".join(f"<td>{escape('-' if w[k] is None else str(w[k]))}</td>" for k in keys)
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
