"""Report documents of format v1 made by hand for the HTML report's tests: any number of
weeks, small cells, nulls and an outage week where a test asks for them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

COUNTS = (
    "due sent delivered read failed undeliverable missed cancelled unconfirmed patients_active "
    "patients_reached patients_replying readings bp_patients attention urgent opt_outs "
    "withdrawals"
).split()


def figures(seed: int) -> dict[str, Any]:
    """One week's (or the period's) figures, varied by `seed`, none suppressed."""
    row: dict[str, Any] = {key: 20 + (seed * 7 + i * 3) % 40 for i, key in enumerate(COUNTS)}
    row |= {"due": 60 + seed % 9, "sent": 55 + seed % 7, "cancelled": 0}
    row |= {"delivery_rate": 0.9, "reply_share": round(0.3 + (seed % 5) / 10, 2)}
    row |= {"bp_controlled_share": 0.65, "median_systolic": 132 + seed % 9}
    row |= {"urgent_resolution_median_minutes": 42, "ran": True}
    return row


def document(weeks: int = 8, *, program: str | None = "post-stroke-weekly") -> dict[str, Any]:
    """A v1 document of `weeks` weeks ending with the week of 2026-11-30 (a Monday)."""
    last = date(2026, 11, 30)
    first = last - timedelta(weeks=weeks - 1)
    rows = [{"week": (first + timedelta(weeks=i)).isoformat()} | figures(i) for i in range(weeks)]
    cohort = [
        {"week_since_enrolment": n, "patients": 40 - n, "replying": 20 - n,
         "reply_share": round((20 - n) / (40 - n), 2)}
        for n in range(1, min(weeks, 12) + 1)
    ]  # fmt: skip
    return {
        "format": "carebot.report",
        "version": 1,
        "generated_at": "2026-12-02T06:00:00+00:00",
        "program": program,
        "period": {"from": first.isoformat(), "until": "2026-12-06", "weeks": weeks},
        "small_cell_threshold": 5,
        "weeks": rows,
        "totals": figures(99),
        "cohort": cohort,
    }


def with_gaps(doc: dict[str, Any]) -> dict[str, Any]:
    """The document with small cells, nulls and an outage in its last weeks."""
    weeks = doc["weeks"]
    weeks[-2] |= dict.fromkeys(COUNTS, 0) | {"ran": False, "delivery_rate": None}
    weeks[-2] |= {"reply_share": None, "bp_controlled_share": None, "median_systolic": None}
    weeks[-2]["urgent_resolution_median_minutes"] = None
    weeks[-3] |= {"urgent": "<5", "opt_outs": "<5", "withdrawals": 0, "reply_share": "<5"}
    weeks[-3] |= {"urgent_resolution_median_minutes": "<5", "median_systolic": None}
    weeks[-1]["delivery_rate"] = None
    doc["cohort"][-1] |= {"patients": "<5", "replying": "<5", "reply_share": "<5"}
    doc["totals"]["withdrawals"] = "<5"
    return doc
