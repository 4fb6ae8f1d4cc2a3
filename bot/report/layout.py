"""The report document laid out for people and spreadsheets: CSV rows (one per week and a
totals row), and terminal tables with the figures as rows and the weeks as columns, split
into as many tables as it takes for each to fit the terminal's width, so that no header
and no cell is ever cut.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text

from bot.report.document import FIGURES

LABELS = {
    "due": "reminders due",
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "failed": "failed",
    "undeliverable": "undeliverable",
    "missed": "missed",
    "cancelled": "cancelled",
    "unconfirmed": "unconfirmed",
    "delivery_rate": "delivery rate",
    "patients_active": "patients active",
    "patients_reached": "patients reached",
    "patients_replying": "patients replying",
    "reply_share": "reply share",
    "readings": "readings",
    "bp_patients": "patients with BP",
    "bp_controlled_share": "share systolic < 140",
    "median_systolic": "median systolic",
    "attention": "attention replies",
    "urgent": "urgent replies",
    "urgent_resolution_median_minutes": "urgent resolved (min)",
    "opt_outs": "opt-outs (patients)",
    "withdrawals": "withdrawals (nurses)",
    "ran": "carebot ran",
}
CSV_COLUMNS = ["week", *FIGURES]
TOTAL = "total"
# What a table of N columns takes beyond its cells: a border and two spaces of padding per
# column, and the closing border.
_PER_COLUMN, _CLOSING = 3, 1


def text(value: Any) -> str:
    """A cell as shown in a table: "<5" as it is, None as "-", a flag as yes or NO."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    return str(value)


def csv_rows(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per week, then the totals row (its `week` is "total")."""
    return [*document["weeks"], {"week": TOTAL, **document["totals"]}]


def _columns(document: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    weeks = [(str(w["week"]), w) for w in document["weeks"]]
    return [*weeks, (TOTAL, document["totals"])]


def _width(header: str, values: Sequence[str]) -> int:
    return max([len(header), *(len(v) for v in values)])


def figure_tables(document: Mapping[str, Any], *, width: int) -> list[Table]:
    """The figures as rows and the weeks (then the totals) as columns, a table per chunk of
    columns that fits `width` beside the labels."""
    label_width = max(len(label) for label in LABELS.values())
    columns = [
        (head, [text(row.get(name)) for name in FIGURES]) for head, row in _columns(document)
    ]
    chunks: list[list[tuple[str, list[str]]]] = [[]]
    used = label_width + _PER_COLUMN + _CLOSING
    for head, values in columns:
        need = _width(head, values) + _PER_COLUMN
        if chunks[-1] and used + need > width:
            chunks.append([])
            used = label_width + _PER_COLUMN + _CLOSING
        chunks[-1].append((head, values))
        used += need
    return [_table(chunk, label_width) for chunk in chunks]


def _table(chunk: list[tuple[str, list[str]]], label_width: int) -> Table:
    table = Table(box=box.SQUARE, show_edge=True, pad_edge=True)
    table.add_column("figure", min_width=label_width, no_wrap=True)
    for head, values in chunk:
        table.add_column(head, justify="right", no_wrap=True, min_width=_width(head, values))
    for i, name in enumerate(FIGURES):
        table.add_row(Text(LABELS[name]), *(Text(values[i]) for _, values in chunk))
    return table


def cohort_table(document: Mapping[str, Any]) -> Table:
    """Reply share by week since enrolment."""
    table = Table(box=box.SQUARE, title="reply share by week since enrolment")
    for head in ("week since enrolment", "patients", "replying", "reply share"):
        table.add_column(head, justify="right", no_wrap=True)
    for row in document["cohort"]:
        keys = ("week_since_enrolment", "patients", "replying", "reply_share")
        table.add_row(*(Text(text(row[key])) for key in keys))
    return table
