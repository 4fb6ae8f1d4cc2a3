"""Start-up: `carebot --help` imports no store, no SDK and not the settings; `patient list` no
SDK, no Alembic and nothing enrolment needs (the program catalog, Jinja2, the triage,
APScheduler); no `--help` reads the settings; and the listings (from the lazy tables) say what
each command's own help says."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys

import pytest
import typer
from typer import _click as click  # typer's own copy of click
from typer.main import get_group

from bot.cli import COMMANDS, Carebot, lazy
from bot.cli import patient_group as patient
from bot.cli.lazy import Lazy, LazyGroup
from tests.conftest import CAREBOT, Cli

STORE = {"sqlmodel", "sqlalchemy", "alembic", "sqlcipher3", "cryptography"}
SDKS = {"telegram", "twilio", "tweepy"}
SETTINGS = {"pydantic", "pydantic_settings", "phonenumbers", "bot.config"}
ENROLMENT = {
    "jinja2",
    "apscheduler",
    "bot.triage",
    "bot.programs.catalog",
    "bot.patients.enrolment",
}
# A secret too short to pass: every command refuses to start on it, no --help reads it.
BAD_SETTING = {"CAREBOT_TELEGRAM_WEBHOOK_SECRET": "sesame42"}


# Runs the console script as `python CAREBOT ARGS` would, then names every module it imported
# (sys.modules at exit: `-X importtime` does not list those `importlib.import_module` loads,
# which is how the lazy tables load theirs).
PROBE = """
import atexit, runpy, sys
atexit.register(lambda: sys.stderr.write("\\nimported: " + " ".join(sys.modules) + "\\n"))
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def _imported(cli: Cli, *args: str) -> set[str]:
    """The modules the real `carebot ARGS` imports (`bot.triage.classify`, `bot.triage`,
    `bot`...)."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, CAREBOT, *args],
        cwd=cli.cwd,
        env=cli.env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = re.search(r"^imported: (.*)$", proc.stderr, re.MULTILINE)
    assert found, proc.stderr[-2000:]
    return set(found.group(1).split())


def test_help_imports_neither_the_store_nor_an_sdk_nor_the_settings(cli: Cli) -> None:
    imported = _imported(cli, "--help")
    assert {"typer", "bot.cli.lazy"} <= imported
    unwanted = STORE | SDKS | SETTINGS
    assert not imported & unwanted, sorted(imported & unwanted)


def test_no_help_reads_the_settings_and_every_command_does(cli: Cli) -> None:
    cli.env.update(BAD_SETTING)
    for args, code in (
        ((), 2),  # a group given no command shows its help, exit 2 (a usage error)
        (("--help",), 0),
        (("patient",), 2),
        (("patient", "--help"), 0),
        (("patient", "list", "--help"), 0),
        (("patient", "enrol", "--help"), 0),
        (("replies", "--help"), 0),
        (("replies", "resolve", "--help"), 0),
    ):
        shown = cli(*args)
        assert (shown.code, shown.err) == (code, ""), args
        assert "Usage: carebot" in shown.out, args
    for args in (("patient", "list"), ("replies",), ("status",)):  # a group's own callback too
        refused = cli(*args)
        assert refused.code == 1, args
        assert refused.err.startswith("error: bad setting: CAREBOT_TELEGRAM_WEBHOOK_SECRET")
        assert refused.err.count("\n") == 1 and "sesame42" not in refused.err + refused.out


def test_a_command_starts_before_it_runs_and_a_help_never(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    started: list[str] = []

    def start() -> None:
        started.append("settings")
        raise typer.Exit(7)  # as a bad setting would: the command itself never runs

    monkeypatch.setattr(lazy, "start", start)
    for args, code in (
        (["patient", "list", "--help"], 0),
        (["replies", "resolve", "--help"], 0),
        (["tick"], 7),
        (["patient", "list"], 7),
        (["replies"], 7),  # a group's own callback, run as its command
        (["program", "list"], 7),
    ):
        started.clear()
        group = get_group(typer.Typer(cls=Carebot, add_completion=False))
        with pytest.raises(SystemExit) as exited:
            group.main(args, prog_name="carebot")
        assert (exited.value.code, started) == (code, ["settings"] if code else []), args
    capsys.readouterr()


def test_patient_list_imports_no_sdk_and_no_alembic(cli: Cli) -> None:
    cli.env.update(
        {
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "TWILIO_AUTH_TOKEN": "0" * 32,
            "TWILIO_FROM": "+3278000000",
            "TELEGRAM_BOT_TOKEN": "123456:" + "A" * 35,
            "TELEGRAM_BOT_USERNAME": "carebot_test_bot",
        }
    )
    assert cli("init").code == 0
    enrolled = cli(
        "patient", "enrol", "--ref", "R-1", "--program", "post-stroke-weekly", "--lang", "nl",
        "--tz", "Europe/Brussels", "--name", "Jan", "--consent", "sms,telegram",
        "--sms", "+32470000001",
    )  # fmt: skip
    assert enrolled.code == 0, enrolled.err
    listed = cli("patient", "list")
    assert "sms" in listed.out and "telegram" in listed.out  # both channels were looked at
    imported = _imported(cli, "patient", "list")
    assert {"sqlmodel", "bot.patients.queries", "bot.cli.patient_view_cmd"} <= imported
    unwanted = SDKS | ENROLMENT | {"alembic", "bot.cli.patient_cmd", "bot.cli.patient_edit_cmd"}
    assert not imported & unwanted, sorted(imported & unwanted)


def _root_help(group: click.Command, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit):
        group.main(["--help"], prog_name="carebot")
    return capsys.readouterr().out


def _first_paragraph(help: str | None) -> str:
    """A command's help as a listing shows it: the first paragraph, its words."""
    return " ".join(inspect.cleandoc(help or "").split("\n\n")[0].split())


@pytest.mark.parametrize(
    ("group", "table"), [(Carebot, COMMANDS), (patient.PatientGroup, patient.COMMANDS)]
)
def test_each_entry_says_what_its_command_says(
    group: type[LazyGroup], table: dict[str, Lazy]
) -> None:
    made = get_group(typer.Typer(cls=group, add_completion=False))
    ctx = click.Context(made)
    commands = {name: made.get_command(ctx, name) for name in table}
    stale = [
        name
        for name, entry in table.items()
        if _first_paragraph(entry.help) != _first_paragraph(getattr(commands[name], "help", None))
    ]
    assert not stale, f"update these entries to their command's help: {stale}"


def test_the_listing_says_what_each_command_says(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    group = get_group(typer.Typer(cls=Carebot, add_completion=False))
    listed = _root_help(group, capsys)  # from the table
    assert not group.commands  # nothing imported for it
    ctx = click.Context(group)
    for name in COMMANDS:
        assert group.get_command(ctx, name) is not None
    assert set(group.commands) == set(COMMANDS)
    assert _root_help(group, capsys) == listed  # from the commands' own help
    assert all(name in listed for name in COMMANDS)


@pytest.mark.parametrize("columns", ["60", "80", "100", "160"])
def test_the_patient_listing_is_the_one_its_commands_make(
    columns: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    group = get_group(typer.Typer(cls=patient.PatientGroup, add_completion=False))
    listed = _root_help(group, capsys)  # from the table
    assert not group.commands
    ctx = click.Context(group)
    for name in patient.COMMANDS:
        assert group.get_command(ctx, name) is not None
    assert _root_help(group, capsys) == listed, f"COLUMNS={columns}"  # the commands' own


def test_an_unknown_command_is_refused_in_one_line(cli: Cli) -> None:
    result = cli("nosuch")
    assert result.code == 2
    assert result.err.startswith("error: no such command")
