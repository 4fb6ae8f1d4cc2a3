"""The `carebot` command: one Typer app, one module per noun."""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError

from bot.cli import (
    audit_cmd,
    backup_cmd,
    export_cmd,
    keys_cmd,
    ops,
    patient_cmd,
    patient_edit_cmd,
    patient_import_cmd,
    program_cmd,
    reminder_cmd,
    replies_cmd,
    report_cmd,
    status_cmd,
)
from bot.cli.errors import USER_ERRORS, CarebotGroup, print_error
from bot.config import get_settings, settings_error
from bot.logs import setup_logging

app = typer.Typer(
    cls=CarebotGroup,  # refusals in one line, never echoing the refused value
    help="carebot: personalised follow-up messages for patients, and their replies for nurses.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,  # a traceback's locals could hold personal data
    add_completion=False,
)
app.add_typer(program_cmd.app, name="program")
app.add_typer(patient_cmd.app, name="patient")
patient_edit_cmd.register(patient_cmd.app)
patient_import_cmd.register(patient_cmd.app)
app.add_typer(replies_cmd.app, name="replies")
app.add_typer(audit_cmd.app, name="audit")
app.add_typer(reminder_cmd.app, name="reminder")
app.add_typer(keys_cmd.app, name="keys")
app.add_typer(ops.db_app, name="db")
app.add_typer(export_cmd.app, name="export")
ops.register(app)
app.command("report")(report_cmd.report)
app.command("status")(status_cmd.status)
app.command("backup")(backup_cmd.backup)
app.command("restore")(backup_cmd.restore)

__all__ = ["USER_ERRORS", "app", "main"]


def main() -> None:
    """Entry point of the `carebot` console script."""
    try:
        settings = get_settings()
    except ValidationError as exc:  # every command refuses to start on a bad setting
        print_error(settings_error(exc))
        sys.exit(1)
    setup_logging(settings.carebot_log_level)
    try:
        app()
    except USER_ERRORS as exc:
        print_error(str(exc))
        sys.exit(1)
    except Exception as exc:  # an unexpected failure: say what kind, never what data
        print_error(f"unexpected {type(exc).__name__}")
        sys.exit(1)
