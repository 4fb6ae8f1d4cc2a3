"""What the CLI prints of patients' and the store's text is data: never markup, never a
terminal command, never a spreadsheet formula; error lines never repeat what was typed."""

from __future__ import annotations

import csv
import io
import json
import logging
import stat
from pathlib import Path

import pytest

from bot.cli.output import json_dumps
from bot.config import Settings
from bot.logs import setup_logging
from bot.store.store import Store
from bot.text import is_unsafe
from tests.conftest import Cli
from tests.helpers import cli_on, first_due, store_for
from tests.hostile import seed


@pytest.fixture
def run(cli: Cli, settings: Settings) -> Cli:
    """The `carebot` command (in process) on the test's store."""
    return cli_on(cli, settings)


MARKUP = "[/bold] see [link=https://evil.example]here[/link] :warning: [/]"
TERMINAL = "\x1b]0;owned\x07\x1b[2J\x9b31m\u202eevil\u2066\u200b\x7f"


def raw_unsafe(text: str) -> list[str]:
    """Unsafe characters in output, line ends apart."""
    return [c for c in text if is_unsafe(c) and c not in "\r\n"]


def test_a_reply_with_markup_and_escapes_is_shown_as_typed_and_never_interpreted(
    run: Cli, store: Store
) -> None:
    seeded = seed(store, MARKUP + TERMINAL, ref="AZ-1")
    result = run("replies", "show", str(seeded.reply_id))
    assert result.code == 0, result.err
    assert MARKUP in result.out  # not parsed: no MarkupError, no hidden link, no emoji
    assert "\\x1b]0;owned\\x07\\x1b[2J\\x9b31m\\u202eevil\\u2066\\u200b\\x7f" in result.out
    assert raw_unsafe(result.out) == []


def test_a_name_with_markup_does_not_break_program_preview(run: Cli, store: Store) -> None:
    seed(store, "[/]Jan\u202e[link=x]", ref="AZ-1")
    result = run("program", "preview", "post-stroke-weekly")
    assert result.code == 0, result.err
    assert "Dag [/]Jan\\u202e[link=x]," in result.out
    assert raw_unsafe(result.out) == []


def test_json_escapes_what_a_terminal_would_act_on_and_parses_back_the_same(
    run: Cli, store: Store
) -> None:
    text = "Hélène " + TERMINAL + "\U000e0001 \u2028"
    seeded = seed(store, text, ref="AZ-1")
    for args in (
        ["replies", "show", str(seeded.reply_id)],
        ["patient", "show", seeded.pseudonym],
        ["audit", "deliveries"],
        ["program", "preview", "post-stroke-weekly"],
    ):
        result = run(*args, "--format", "json")
        assert result.code == 0, result.err
        assert raw_unsafe(result.out) == [], args
        assert "Hélène" in result.out or args[0] != "replies"  # accents stay readable
    shown = json.loads(run("replies", "show", str(seeded.reply_id), "--format", "json").out)
    assert shown["text"] == text and shown["readings"]["note"] == text
    assert json.loads(json_dumps({"k": text})) == {"k": text}
    assert "\\udb40\\udc01" in json_dumps(text)  # above the BMP: a surrogate pair escape


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("https://evil.example","x")', "+1+2", "-2+3", "@SUM(A1)", "\tA1", "\r=1"]
)
def test_csv_cells_never_start_a_formula(run: Cli, store: Store, text: str) -> None:
    seeded = seed(store, text, ref="AZ-1")
    result = run("audit", "deliveries", "--format", "csv", "--patient", seeded.pseudonym)
    assert result.code == 0, result.err
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert len(rows) == 1
    for value in rows[0].values():
        assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    assert rows[0]["error"] in ("'" + text, text.replace("\t", "\\t").replace("\r", "\\r"))
    assert raw_unsafe(result.out) == []


def test_tick_prints_a_console_message_with_the_name_made_visible(run: Cli, store: Store) -> None:
    seed(store, "Jan\x1b[2J\u202e", ref="AZ-1")
    result = run("tick", "--at", first_due().isoformat())
    assert result.code == 0, result.err
    assert "Dag Jan\\x1b[2J\\u202e," in result.out
    assert raw_unsafe(result.out) == []


ENROL = (
    "patient",
    "enrol",
    "--ref",
    "AZ-000123",
    "--program",
    "post-stroke-weekly",
    "--lang",
    "nl",
    "--tz",
    "Europe/Brussels",
    "--consent",
    "console",
    "--name",
)


def _enrol_with(option: str, value: str) -> list[str]:
    """The enrolment (named Jo) with one option's value replaced."""
    args = [*ENROL, "Jo"]
    args[args.index(option) + 1] = value
    return args


@pytest.mark.parametrize(
    "name",
    ["Jan\x1b[2J", "Jan\u202enaJ", "Ja\u200bn", "Jan\x85", "Jan\u2066", "Jan\x7f", "Jan\nJanssens"],
)
def test_a_name_with_control_or_bidi_characters_is_refused_and_nothing_is_written(
    run: Cli, name: str
) -> None:
    assert run("patient", "list").code == 0
    assert run("audit", "seal").code == 0  # so that no unsealed event's age is in the line
    events = run("audit", "verify").out
    result = run(*ENROL, name)
    assert result.code == 1
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "control, bidi or zero-width" in lines[0]
    assert name not in result.err and raw_unsafe(result.err) == []
    assert json.loads(run("patient", "list", "--format", "json").out) == []
    assert run("audit", "verify").out == events
    assert run(*ENROL, "Hélène-Marie O'Brien").code == 0  # ordinary names still pass


@pytest.mark.parametrize(
    "args",
    [
        _enrol_with("--tz", "Jan Janssens"),
        _enrol_with("--lang", "Jan Janssens"),
        _enrol_with("--consent", "Jan Janssens"),
        _enrol_with("--program", "Jan Janssens"),
        ["tick", "--at", "Jan Janssens"],
        ["audit", "deliveries", "--since", "Jan Janssens"],
        ["patient", "show", "Jan Janssens"],
        ["patient", "consent", "P-0000-0000", "--grant", "Jan Janssens"],
        ["audit", "deliveries", "--format", "Jan Janssens"],
        ["patient", "show", "P-0000-0000", "Jan Janssens"],
    ],
)
def test_an_error_line_never_repeats_the_value_that_was_typed(run: Cli, args: list[str]) -> None:
    result = run(*args)
    assert result.code in (1, 2)
    assert "Jan Janssens" not in result.err + result.out
    assert "Janssens" not in result.err + result.out


def test_a_mistyped_time_zone_says_so_without_repeating_it(run: Cli) -> None:
    result = run(*_enrol_with("--tz", "Jan Janssens"))
    assert result.code == 1
    assert result.err.strip() == (
        "error: --tz is not a known time zone (use an IANA name such as Europe/Brussels)"
    )


def test_the_html_report_is_written_readable_by_its_owner_only(run: Cli, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text("old")
    page.chmod(0o644)  # an older, more open file is tightened too
    result = run("report", "--weeks", "2", "--html", str(page))
    assert result.code == 0, result.err
    assert stat.S_IMODE(page.stat().st_mode) == 0o600
    assert page.read_text().startswith("<!doctype html>")
    fresh = tmp_path / "fresh.html"
    assert run("report", "--html", str(fresh), "--format", "json").code == 0
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600


@pytest.mark.subprocess
def test_the_real_command_shows_a_hostile_reply_as_data(cli: Cli) -> None:
    """One real subprocess: what reaches a terminal through the `carebot` script itself."""
    assert cli("patient", "list").code == 0
    opened = store_for(cli)
    seeded = seed(opened, MARKUP + TERMINAL, ref="AZ-9")
    opened.engine.dispose()
    result = cli("replies", "show", str(seeded.reply_id))
    assert result.code == 0, result.err
    assert MARKUP in result.out and raw_unsafe(result.out) == []
    table = cli("audit", "deliveries")
    assert table.code == 0 and raw_unsafe(table.out) == []


def test_a_log_line_shows_escapes_and_bidi_characters_visibly(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    setup_logging("INFO")
    try:
        logging.getLogger("carebot.test").warning("got %s", "\x1b]0;owned\x07\u202e")
        try:
            raise RuntimeError("bad \x1b[2J")
        except RuntimeError:
            logging.getLogger("carebot.test").exception("failed")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    err = capsys.readouterr().err
    assert "got \\x1b]0;owned\\x07\\u202e" in err and "bad \\x1b[2J" in err
    assert raw_unsafe(err) == []
