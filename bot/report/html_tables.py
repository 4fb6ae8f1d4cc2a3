"""The tables of the HTML report: the totals of the period, the cohort (reply share by week
since enrolment) and every figure of every week, the last in a box of its own that scrolls
when it is wider or taller than the page. Every value is escaped: the document is data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from bot.report.html_values import day_label, is_small, number, week_date, written

Figure = tuple[str, str, str]  # key in the document, label, kind (count|share|mmhg|minutes)


def cell(value: object, kind: str) -> str:
    """A <td>: a small cell and a null are written as such and marked, never as 0."""
    text = escape(written(value, kind))
    if is_small(value):
        return f'<td class="small" title="fewer than the small-cell threshold">{text}</td>'
    if number(value) is None:
        return f'<td class="null" title="nothing to compute">{text}</td>'
    return f"<td>{text}</td>"


def totals_table(totals: Mapping[str, object], groups: Sequence[tuple[str, list[Figure]]]) -> str:
    """The period's totals, one row per figure, under the heading of its group."""
    rows = []
    for heading, figures in groups:
        rows.append(f'<tr class="group"><th colspan="2">{escape(heading)}</th></tr>')
        rows += [
            f'<tr><th scope="row">{escape(label)}</th>{cell(totals.get(key), kind)}</tr>'
            for key, label, kind in figures
        ]
    return f'<table class="totals"><tbody>{"".join(rows)}</tbody></table>'


def cohort_table(cohort: Sequence[Mapping[str, object]]) -> str:
    """Week since enrolment, patients, replying, reply share."""
    if not cohort:
        return '<p class="note">No patient was enrolled in the period.</p>'
    rows = "".join(
        "<tr>"
        f'<th scope="row">{escape(str(row.get("week_since_enrolment")))}</th>'
        f"{cell(row.get('patients'), 'count')}{cell(row.get('replying'), 'count')}"
        f"{cell(row.get('reply_share'), 'share')}</tr>"
        for row in cohort
    )
    return (
        '<div class="scroll short"><table class="cohort"><thead><tr>'
        "<th>week since enrolment</th><th>patients</th><th>replying</th><th>reply share</th>"
        f"</tr></thead><tbody>{rows}</tbody></table></div>"
    )


def weeks_table(weeks: Sequence[Mapping[str, object]], figures: Sequence[Figure]) -> str:
    """Every figure of every week, the week (with its year) as the first, sticky, column."""
    head = "".join(f"<th>{escape(label)}</th>" for _, label, _ in figures)
    rows = []
    for week in weeks:
        day = week_date(week.get("week"))
        name = escape(day_label(day) if day else str(week.get("week")))
        ran = week.get("ran") is not False
        rows.append(
            f'<tr{"" if ran else " class=outage"}><th scope="row">{name}</th>'
            f"<td>{'yes' if ran else 'no (outage)'}</td>"
            + "".join(cell(week.get(key), kind) for key, _, kind in figures)
            + "</tr>"
        )
    return (
        '<div class="scroll"><table class="weeks"><thead><tr><th>week of</th>'
        f"<th>carebot ran</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )
