"""Start-up: `carebot --help` imports no store and no SDK, `patient list` no SDK and no Alembic,
and the root listing (from the lazy table) says what each command's own help says."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import typer
from typer import _click as click  # typer's own copy of click
from typer.main import get_group

from bot.cli import COMMANDS, Carebot
from tests.conftest import CAREBOT, Cli

STORE = {"sqlmodel", "sqlalchemy", "alembic", "sqlcipher3", "cryptography"}
SDKS = {"telegram", "twilio", "tweepy"}


def _imported(cli: Cli, *args: str) -> set[str]:
    """The top-level packages the real `carebot ARGS` imports (`python -X importtime`)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", CAREBOT, *args],
        cwd=cli.cwd,
        env=cli.env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    names = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*([\w.]+)$", proc.stderr, re.MULTILINE)
    assert names, "no import timings"
    return {name.split(".")[0] for name in names}


def test_help_imports_neither_the_store_nor_an_sdk(cli: Cli) -> None:
    imported = _imported(cli, "--help")
    assert "typer" in imported
    assert not imported & (STORE | SDKS), sorted(imported & (STORE | SDKS))


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
    assert "sqlmodel" in imported
    assert not imported & (SDKS | {"alembic"}), sorted(imported & (SDKS | {"alembic"}))


def _root_help(group: click.Command, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit):
        group.main(["--help"], prog_name="carebot")
    return capsys.readouterr().out


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


def test_an_unknown_command_is_refused_in_one_line(cli: Cli) -> None:
    result = cli("nosuch")
    assert result.code == 2
    assert result.err.startswith("error: no such command")
