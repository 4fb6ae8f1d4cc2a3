"""The report document, format v1 (docs/formats/report-v1.md): what `carebot report
--format json` prints, what the CSV and the terminal table show and what the HTML renderer
is handed, with its small cells already suppressed.

Small cells: a count from 1 to threshold-1 becomes the string "<T" (T the threshold), and a
rate or median computed over fewer than T patients too; 0 stays 0 and None (nothing to
compute) stays None. A threshold of 0 suppresses nothing.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from bot.report import facts as facts_of
from bot.report.figures import CohortWeek, Figures, Period, cohort, period, weekly
from bot.store.store import Store

FORMAT, VERSION = "carebot.report", 1
# The figures of a week and of the totals, in the document's order.
FIGURES = [f.name for f in fields(Figures) if f.name != "bases"]
RATES = frozenset({"delivery_rate", "reply_share", "bp_controlled_share"})
MEDIANS = frozenset({"median_systolic", "urgent_resolution_median_minutes"})
COUNTS = [name for name in FIGURES if name not in RATES | MEDIANS | {"ran"}]
Cell = int | float | str | bool | None


def build(
    store: Store,
    session: Session,
    *,
    weeks: int,
    until: datetime,
    program: str | None,
    threshold: int,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The v1 document of the `weeks` weeks ending with the week of `until`."""
    span = period(weeks=weeks, until=until)
    found = facts_of.load(store, session, mondays=span.mondays(), until=until, program=program)
    per_week, totals = weekly(found, span)
    return document(
        span=span,
        program=program,
        threshold=threshold,
        weeks=per_week,
        totals=totals,
        cohort=cohort(found, span),
        now=now or datetime.now(UTC),
    )


def document(
    *,
    span: Period,
    program: str | None,
    threshold: int,
    weeks: list[Figures],
    totals: Figures,
    cohort: list[CohortWeek],
    now: datetime,
) -> dict[str, Any]:
    """The document of computed figures, small cells suppressed."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "generated_at": now.astimezone(UTC).isoformat(timespec="seconds"),
        "program": program,
        "period": {
            "from": span.first.isoformat(),
            "until": span.until.astimezone(UTC).date().isoformat(),
            "weeks": span.weeks,
        },
        "small_cell_threshold": threshold,
        "weeks": [
            {"week": monday.isoformat(), **suppressed(figures, threshold)}
            for monday, figures in zip(span.mondays(), weeks, strict=True)
        ],
        "totals": suppressed(totals, threshold),
        "cohort": [_cohort_row(row, threshold) for row in cohort],
    }


def small(threshold: int) -> str:
    return f"<{threshold}"


def count_cell(value: int, threshold: int) -> int | str:
    """A count, or "<T" when it is from 1 to T-1."""
    return small(threshold) if 0 < value < threshold else value


def over_patients(value: float | None, patients: int, threshold: int) -> float | str | None:
    """A rate or median, or "<T" when computed over fewer than T patients."""
    if value is None:
        return None
    return small(threshold) if patients < threshold else value


def suppressed(figures: Figures, threshold: int) -> dict[str, Cell]:
    """One week's (or the period's) figures as the document holds them."""
    raw = asdict(figures)
    out: dict[str, Cell] = {}
    for name in FIGURES:
        value = raw[name]
        if name in COUNTS:
            out[name] = count_cell(value, threshold)
        elif name in RATES | MEDIANS:
            out[name] = over_patients(value, figures.bases.get(name, 0), threshold)
        else:
            out[name] = value
    return out


def _cohort_row(row: CohortWeek, threshold: int) -> dict[str, Cell]:
    share = round(row.replying / row.patients, 3) if row.patients else None
    return {
        "week_since_enrolment": row.week_since_enrolment,
        "patients": count_cell(row.patients, threshold),
        "replying": count_cell(row.replying, threshold),
        "reply_share": over_patients(share, row.patients, threshold),
    }
