"""carebot's refusals share one base, so the CLI turns every one into a single line and exit
1, and a refusal added later needs no new line in bot/cli/errors.py."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from bot.admin.backup import BackupError
from bot.channels.addresses import AddressError
from bot.cli.errors import CarebotGroup
from bot.errors import CarebotError
from bot.patients.enrolment import PatientError
from bot.programs.model import ProgramError
from bot.store import crypto
from bot.store.audit_heads import HeadError
from bot.store.db import StoreError
from bot.store.keyring import ErasedError
from bot.store.ledger import LedgerError
from bot.store.rotation import RotationError


@pytest.mark.parametrize(
    "error",
    [
        AddressError,
        BackupError,
        crypto.DecryptionError,
        ErasedError,
        HeadError,
        crypto.KeyringError,
        LedgerError,
        PatientError,
        ProgramError,
        RotationError,
        StoreError,
    ],
)
def test_every_refusal_is_a_carebot_error(error: type[Exception]) -> None:
    assert issubclass(error, CarebotError)


def test_the_former_name_of_the_keyring_error_still_works() -> None:
    assert crypto.KeyError_ is crypto.KeyringError


class WardError(CarebotError):
    """A refusal no CLI module lists."""


def test_the_cli_shows_any_carebot_error_as_one_line_and_exits_1() -> None:
    app = typer.Typer(cls=CarebotGroup, add_completion=False)

    @app.command("refuse")
    def refuse() -> None:
        raise WardError("the ward is closed")

    @app.command("other")
    def other() -> None:  # a second command, so that `refuse` is a subcommand
        raise ValueError("Jan Peeters, +32470123456")

    refused = CliRunner().invoke(app, ["refuse"])
    assert (refused.exit_code, refused.output) == (1, "error: the ward is closed\n")
    failed = CliRunner().invoke(app, ["other"])
    assert (failed.exit_code, failed.output) == (1, "error: unexpected ValueError\n")
