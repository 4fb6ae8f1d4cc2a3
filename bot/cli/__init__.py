"""The `carebot` command: one Typer app, one module per noun."""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError

from bot.addresses import AddressError
from bot.cli import (
    audit_cmd,
    keys_cmd,
    ops,
    patient_cmd,
    program_cmd,
    replies_cmd,
    report_cmd,
)
from bot.cli.common import err_console
from bot.config import get_settings, settings_error
from bot.logs import setup_logging
from bot.patients import PatientError
from bot.programs import ProgramError
from bot.store.crypto import DecryptionError, KeyError_
from bot.store.db import StoreError
from bot.store.keyring import ErasedError

app = typer.Typer(
    help="carebot: personalised follow-up messages for patients, and their replies for nurses.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,  # a traceback's locals could hold personal data
    add_completion=False,
)
app.add_typer(program_cmd.app, name="program")
app.add_typer(patient_cmd.app, name="patient")
app.add_typer(replies_cmd.app, name="replies")
app.add_typer(audit_cmd.app, name="audit")
app.add_typer(keys_cmd.app, name="keys")
app.add_typer(ops.db_app, name="db")
ops.register(app)
app.command("report")(report_cmd.report)

# Refusals a user can cause: one line, exit 1, never a traceback.
USER_ERRORS = (PatientError, ProgramError, AddressError, KeyError_, StoreError, ErasedError,
               DecryptionError)


def main() -> None:
    """Entry point of the `carebot` console script."""
    try:
        settings = get_settings()
    except ValidationError as exc:  # every command refuses to start on a bad setting
        err_console.print(f"error: {settings_error(exc)}", markup=False, highlight=False,
                          soft_wrap=True)
        sys.exit(1)
    setup_logging(settings.carebot_log_level)
    try:
        app()
    except USER_ERRORS as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(1)
    except Exception as exc:  # an unexpected failure: say what kind, never what data
        err_console.print(f"error: unexpected {type(exc).__name__}",
                          markup=False, highlight=False)
        sys.exit(1)
