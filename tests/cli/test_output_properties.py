"""Arbitrary Unicode in the store, printed by every command that shows it, in every format:
nothing raises, no raw control, C1 or bidi character comes out, JSON parses back to the same
data, and no CSV cell can start a formula."""

from __future__ import annotations

import csv
import io
import json
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli.output import FORMULA_START
from bot.config import Settings
from bot.store.store import Store
from bot.text import is_unsafe
from tests.conftest import Cli
from tests.helpers import cli_on
from tests.hostile import PROGRAM, Seeded, seed
from tests.incli import Result

# Every category but lone surrogates, which no store can hold (its fields are UTF-8).
CHARS = st.characters(exclude_categories=["Cs"])
FRAGMENTS = st.sampled_from(
    [
        "[/bold]",
        "[/]",
        "[bold]",
        "[link=https://evil.example]x[/link]",
        ":warning:",
        "\\",
        "\x1b[2J",
        "\x1b]0;title\x07",
        "\x9b31m",
        "\x85",
        "\x7f",
        "\x00",
        "\r",
        "\t",
        "\n",
        "\u202e",
        "\u202a",
        "\u2066",
        "\u2069",
        "\u200e",
        "\u200f",
        "\u061c",
        "\u200b",
        "\ufeff",
        "\u2028",
        "\U000e0041",
        "=",
        "+",
        "-",
        "@",
        '=HYPERLINK("x")',
        "{{ 7*7 }}",
        "é",
        "😀",
    ]
)
HOSTILE = st.lists(st.one_of(st.text(CHARS, max_size=8), FRAGMENTS), max_size=6).map("".join)
FORMATS = ("table", "json", "csv")
PROPERTY = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def run(cli: Cli, settings: Settings) -> Cli:
    """The `carebot` command (in process) on the test's store."""
    return cli_on(cli, settings)


def shown(result: Result, fmt: str) -> Any:
    """Check one output; the parsed JSON for json, else None."""
    assert result.code == 0, result.err
    assert [c for c in result.out if is_unsafe(c) and c not in "\r\n"] == []
    if fmt == "json":
        return json.loads(result.out)
    if fmt == "csv":
        for row in list(csv.reader(io.StringIO(result.out)))[1:]:
            for value in row:
                assert not value.startswith(FORMULA_START), value
                assert "\r" not in value and "\n" not in value, value
    return None


def planted(store: Store, text: str) -> Seeded:
    return seed(store, text, ref=f"PROP-{uuid.uuid4().hex[:12]}")


@PROPERTY
@given(text=HOSTILE)
def test_replies_show(run: Cli, store: Store, text: str) -> None:
    seeded = planted(store, text)
    for fmt in FORMATS:
        data = shown(run("replies", "show", str(seeded.reply_id), "--format", fmt), fmt)
        if data is not None:
            assert data["text"] == text and data["readings"]["note"] == text


@PROPERTY
@given(text=HOSTILE)
def test_patient_show(run: Cli, store: Store, text: str) -> None:
    seeded = planted(store, text)
    for fmt in FORMATS:
        data = shown(run("patient", "show", seeded.pseudonym, "--format", fmt), fmt)
        if data is not None:
            assert data["reminders"] == {seeded.clear: 1}
            assert (seeded.clear or "?") in data["addresses"]


@PROPERTY
@given(text=HOSTILE)
def test_program_preview(run: Cli, store: Store, text: str) -> None:
    planted(store, text)
    for fmt in FORMATS:
        data = shown(run("program", "preview", PROGRAM, "--format", fmt), fmt)
        if data is not None:
            assert len(data) == 1 and data[0]["message"].startswith(f"Dag {text},")


@PROPERTY
@given(text=HOSTILE)
def test_audit_deliveries(run: Cli, store: Store, text: str) -> None:
    seeded = planted(store, text)
    for fmt in FORMATS:
        data = shown(
            run("audit", "deliveries", "--patient", seeded.pseudonym, "--format", fmt), fmt
        )
        if data is not None:
            assert [(r["status"], r["error"], r["provider_id"]) for r in data] == [
                (seeded.clear, seeded.clear, seeded.clear)
            ]


@PROPERTY
@given(text=HOSTILE)
def test_report(run: Cli, store: Store, text: str) -> None:
    planted(store, text)
    for fmt in FORMATS:
        data = shown(run("report", "--weeks", "2", "--format", fmt), fmt)
        if data is not None:
            assert len(data["weeks"]) == 2 and data["format"] == "carebot.report"
