"""The report document v1 stays what docs/formats/report-v1.md says: carebot's real output
validates against report-v1.schema.json, and a key the page does not document fails."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import jsonschema
import pytest

from bot.config import REPO_ROOT
from bot.report.document import FIGURES, count_cell, document, over_patients
from bot.report.figures import CohortWeek, Figures, period
from tests.conftest import Cli
from tests.report.scenario import UNTIL, build

FORMATS = REPO_ROOT / "docs" / "formats"
DOCUMENTED = re.compile(r"^\| `([a-z_]+)` \|", re.MULTILINE)


def documented() -> set[str]:
    return set(DOCUMENTED.findall((FORMATS / "report-v1.md").read_text()))


def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FORMATS / "report-v1.schema.json").read_text())
    return loaded


def keys(value: Any) -> Iterator[str]:
    """Every key of every object in a JSON value."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from keys(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from keys(inner)


def test_real_output_validates_and_every_key_is_documented(wired: Cli) -> None:
    site = build(wired)
    validator = jsonschema.Draft202012Validator(schema())
    for threshold in ("0", "5"):
        site.cli.env["CAREBOT_REPORT_SMALL_CELL"] = threshold
        for extra in ((), ("--program", "test-weekly")):
            result = site.cli("report", "--until", UNTIL, "--format", "json", *extra)
            assert result.code == 0, result.err
            printed = json.loads(result.out)
            validator.validate(printed)
            undocumented = set(keys(printed)) - documented()
            assert not undocumented, f"keys not in report-v1.md: {sorted(undocumented)}"
    assert "<5" in json.dumps(printed) and printed["cohort"]


def test_the_schema_and_the_page_list_the_same_keys() -> None:
    loaded = schema()
    jsonschema.Draft202012Validator.check_schema(loaded)
    objects = [loaded, loaded["properties"]["period"]] + [
        loaded["$defs"][name] for name in ("week", "figures", "cohort_week")
    ]
    in_schema = {key for obj in objects for key in obj["properties"]}
    assert set(FIGURES) <= in_schema
    assert in_schema == documented()


def test_a_key_the_schema_does_not_know_fails_it() -> None:
    now = datetime(2026, 12, 2, 6, tzinfo=UTC)
    empty = document(
        span=period(weeks=1, until=now),
        program=None,
        threshold=5,
        weeks=[Figures()],
        totals=Figures(),
        cohort=[CohortWeek(1, 3, 0)],
        now=now,
    )
    validator = jsonschema.Draft202012Validator(schema())
    validator.validate(empty)
    for place in (empty, empty["weeks"][0], empty["totals"], empty["cohort"][0]):
        place["pseudonym"] = "P-0000-0000"
        assert not validator.is_valid(empty)
        del place["pseudonym"]


@pytest.mark.parametrize(
    ("value", "threshold", "shown"),
    [(0, 5, 0), (1, 5, "<5"), (4, 5, "<5"), (5, 5, 5), (1, 0, 1), (2, 3, "<3")],
)
def test_a_count_from_1_to_threshold_minus_1_is_suppressed(
    value: int, threshold: int, shown: int | str
) -> None:
    assert count_cell(value, threshold) == shown


@pytest.mark.parametrize(
    ("value", "patients", "threshold", "shown"),
    [(0.5, 4, 5, "<5"), (0.5, 5, 5, 0.5), (None, 0, 5, None), (0.0, 1, 0, 0.0)],
)
def test_a_rate_over_fewer_patients_than_the_threshold_is_suppressed(
    value: float | None, patients: int, threshold: int, shown: float | str | None
) -> None:
    assert over_patients(value, patients, threshold) == shown
