"""The admins' report as one self-contained HTML page, rendered from the report document
(format v1, the object `carebot report --format json` prints): the period, the program and
when it was made; small charts, one per figure, on scales shared by the figures of one kind;
the totals, the cohort and a table of every figure. No script and nothing fetched (a
Content-Security-Policy forbids both), so it opens on a locked-down hospital PC; every value
of the document is escaped, since a program's name is data, never markup."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from bot.report.html_chart import Slot, bar_chart, label_step
from bot.report.html_style import CSP, STYLE, legend
from bot.report.html_tables import Figure, cohort_table, totals_table, weeks_table
from bot.report.html_values import (
    Scale,
    count_scale,
    day_label,
    moment_label,
    number,
    share_scale,
    week_date,
    written,
)

# The figures charted on one scale: all reminder counts together, all shares on 0-100%...
Group = tuple[str, str, list[Figure]]  # heading, bar colour, figures
GROUPS: list[Group] = [
    ("Reminders", "#2b6cb0", [
        ("due", "due", "count"), ("sent", "sent", "count"),
        ("delivered", "delivered", "count"), ("read", "read", "count"),
        ("failed", "failed", "count"), ("undeliverable", "undeliverable", "count"),
        ("missed", "missed", "count"), ("cancelled", "cancelled", "count"),
        ("unconfirmed", "unconfirmed", "count"),
    ]),
    ("Patients", "#2f855a", [
        ("patients_active", "active", "count"), ("patients_reached", "reached", "count"),
        ("patients_replying", "replying", "count"),
        ("bp_patients", "with a blood pressure reading", "count"),
    ]),
    ("Shares", "#6b46c1", [
        ("delivery_rate", "delivery rate", "share"), ("reply_share", "reply share", "share"),
        ("bp_controlled_share", "blood pressure controlled (systolic < 140)", "share"),
    ]),
    ("Replies and readings", "#b7791f", [
        ("readings", "readings", "count"), ("attention", "for attention", "count"),
        ("urgent", "urgent", "count"),
    ]),
    ("Consent", "#c53030", [
        ("opt_outs", "opt-outs (patients' own)", "count"),
        ("withdrawals", "withdrawals (by nurses)", "count"),
    ]),
    ("Medians", "#4a5568", [
        ("median_systolic", "median systolic (mmHg)", "mmhg"),
        ("urgent_resolution_median_minutes", "median minutes to resolve an urgent reply",
         "minutes"),
    ]),
]  # fmt: skip
FIGURES: list[Figure] = [figure for _, _, figures in GROUPS for figure in figures]


def _week_slots(weeks: Sequence[Mapping[str, Any]]) -> list[Slot]:
    """Each week's labels; the year under the first label and wherever it changes."""
    step, shown, slots = label_step(len(weeks)), None, []
    for i, week in enumerate(weeks):
        day = week_date(week.get("week"))
        label = day_label(day, year=False) if day else str(week.get("week"))
        year = ""
        if day and i % step == 0 and day.year != shown:
            year, shown = str(day.year), day.year
        name = f"week of {day_label(day)}" if day else label
        slots.append(Slot(label=label, year=year, name=name, ran=week.get("ran") is not False))
    return slots


def _scale(weeks: Sequence[Mapping[str, Any]], figures: list[Figure]) -> Scale:
    kind = figures[0][2]
    if kind == "share":
        return share_scale()
    values = [number(week.get(key)) for week in weeks for key, _, _ in figures]
    return count_scale([v for v in values if v is not None], kind)


def _group(weeks: Sequence[Mapping[str, Any]], totals: Mapping[str, Any], group: Group) -> str:
    """A heading and a grid of small charts, one per figure of the group."""
    heading, colour, figures = group
    shared = len({kind for _, _, kind in figures}) == 1  # medians: each its own unit
    slots, scale = _week_slots(weeks), _scale(weeks, figures)
    charts = []
    for key, label, kind in figures:
        svg = bar_chart(
            name=f"{label} per week",
            slots=slots,
            values=[week.get(key) for week in weeks],
            scale=scale if shared else _scale(weeks, [(key, label, kind)]),
            colour=colour,
        )
        total = escape(written(totals.get(key), kind))
        charts.append(
            f"<figure><figcaption><b>{escape(label)}</b> "
            f'<span class="total">whole period: {total}</span></figcaption>{svg}</figure>'
        )
    note = f"one scale for these {len(figures)} charts" if shared else "each on its own scale"
    note = f' <span class="note">{note}</span>' if len(figures) > 1 else ""
    grid = f'<div class="grid">{"".join(charts)}</div>'
    return f"<section><h3>{escape(heading)}{note}</h3>{grid}</section>"


def _cohort(cohort: Sequence[Mapping[str, Any]]) -> str:
    chart = ""
    if cohort:
        slots = [
            Slot(label=str(row.get("week_since_enrolment")), year="",
                 name=f"week {row.get('week_since_enrolment')} since enrolment")
            for row in cohort
        ]  # fmt: skip
        chart = bar_chart(
            name="reply share by week since enrolment",
            slots=slots,
            values=[row.get("reply_share") for row in cohort],
            scale=share_scale(),
            colour="#6b46c1",
        )
        chart = (
            "<figure><figcaption><b>reply share by week since enrolment</b></figcaption>"
            f"{chart}</figure>"
        )
    return f"<section><h2>Cohort</h2>{chart}{cohort_table(cohort)}</section>"


def _header(document: Mapping[str, Any], weeks: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    """The page's title and its header: program, period, generation time, small cells."""
    program = document.get("program")
    who = str(program) if program is not None else "all programs"
    period = document.get("period") or {}
    first, last = week_date(period.get("from")), week_date(period.get("until"))
    span = (
        f"{day_label(first)} to {day_label(last)}"
        if first and last
        else f"{period.get('from')} to {period.get('until')}"
    )
    threshold = document.get("small_cell_threshold")
    small = (
        f"counts from 1 to {threshold - 1} are shown as &lt;{threshold}, and so are rates "
        f"over fewer than {threshold} patients"
        if isinstance(threshold, int) and threshold > 1
        else "no small-cell suppression"
    )
    title = f"carebot report: {who}, {span}"
    header = (
        f"<header><h1>carebot report</h1><dl>"
        f"<dt>Program</dt><dd>{escape(who)}</dd>"
        f"<dt>Period</dt><dd>{escape(span)} ({len(weeks)} weeks; weeks start on Monday, UTC)</dd>"
        f"<dt>Generated</dt><dd>{escape(moment_label(document.get('generated_at')))}</dd>"
        f"<dt>Small cells</dt><dd>{small}</dd></dl></header>"
    )
    return escape(title), header


def render_html(document: Mapping[str, Any]) -> str:
    """The whole page for a report document of format v1 (ValueError on any other)."""
    if document.get("format") != "carebot.report" or document.get("version") != 1:
        raise ValueError("not a carebot.report document of version 1")
    weeks = list(document.get("weeks") or [])
    totals = document.get("totals") or {}
    title, header = _header(document, weeks)
    groups = "".join(_group(weeks, totals, group) for group in GROUPS)
    heads = [(heading, figures) for heading, _, figures in GROUPS]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><style>{STYLE}</style></head>
<body>{header}
<p class="privacy">Counts only, after small-cell suppression: no patient can be identified
from this page.</p>
<section><h2>Per week</h2>{legend()}{groups}</section>
<div class="pair"><section><h2>Totals of the period</h2>
<p class="note">Patients are counted once over the period.</p>{totals_table(totals, heads)}
</section>{_cohort(document.get("cohort") or [])}</div>
<section><h2>Every figure, every week</h2>{weeks_table(weeks, FIGURES)}</section>
</body></html>
"""


def write_private(path: Path, text: str) -> None:
    """Write the page readable by its owner only (0600), like every file carebot writes, even
    over an older file that was more open: the figures are the hospital's, not the world's."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(text)
