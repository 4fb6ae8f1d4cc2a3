"""The `carebot` command: one root group, one module per noun, each imported on first use.

Adding a command or a group is one line in `COMMANDS` (see `bot.cli.lazy`): its name, where
it lives, and the one-line help `carebot --help` shows.
"""

from __future__ import annotations

import sys

import typer
from typer.main import get_group

from bot.cli.errors import USER_ERRORS, print_error
from bot.cli.lazy import Lazy, LazyGroup

# In the order `carebot --help` lists them.
COMMANDS: dict[str, Lazy] = {
    "init": Lazy(
        "bot.cli.ops:init",
        "Create the master key (mode 0600), the pseudonym secret, `.env` and the store.",
    ),
    "tick": Lazy(
        "bot.cli.ops:tick_cmd",
        "One planning + dispatch cycle, then exit (for cron or a systemd timer). Exit 3 when "
        "reminders were left planned for a consented channel this process has no settings for.",
    ),
    "run": Lazy(
        "bot.cli.ops:run_cmd",
        "Scheduler, dispatcher and inbound (polling; webhooks too when CAREBOT_PUBLIC_URL is "
        "set), until stopped.",
    ),
    "reply": Lazy(
        "bot.cli.ops:reply_cmd",
        "Simulate an inbound message from a patient, as if it came on the console channel.",
    ),
    "demo": Lazy(
        "bot.cli.ops:demo_cmd",
        "A simulated month for three synthetic patients, in a temporary store. No network.",
    ),
    "serve": Lazy(
        "bot.cli.ops:serve_cmd",
        "The webhook endpoints only (Twilio SMS and status, Telegram, /healthz).",
    ),
    "report": Lazy(
        "bot.cli.report_cmd:report",
        "Per week (Monday to Sunday, UTC) and for the period, for the N weeks ending with the "
        "week of --until: reminders and their outcomes, patients reached and replying, blood "
        "pressure, urgent replies, opt-outs, whether carebot ran, and replies by week since "
        "enrolment. Small counts are shown as <5 (CAREBOT_REPORT_SMALL_CELL).",
    ),
    "status": Lazy(
        "bot.cli.status_cmd:status",
        "Channels (configured, last success, last error, down since), the last tick, patients "
        "with no reachable consented channel, undeliverable streaks, and the audit events not "
        "sealed yet (how many, the oldest one's age).",
    ),
    "backup": Lazy(
        "bot.cli.backup_cmd:backup",
        "An encrypted online copy of the store (SQLCipher, keyed like the store).",
    ),
    "restore": Lazy(
        "bot.cli.backup_cmd:restore",
        "Replace the store with a backup, then erase again everyone erased since it was made.",
    ),
    "program": Lazy(
        "bot.cli.program_cmd:app", "Programs: cadence, channels, templates and thresholds."
    ),
    "patient": Lazy("bot.cli.patient_group:app", "Patients: enrolment, consent and their data."),
    "replies": Lazy(
        "bot.cli.replies_cmd:app", "The nurses' queue of patient replies, urgent first."
    ),
    "audit": Lazy("bot.cli.audit_cmd:app", "Audit: what went out, and the tamper-evident log."),
    "reminder": Lazy(
        "bot.cli.reminder_cmd:app", "Reminders: decide on those whose outcome is unknown."
    ),
    "keys": Lazy("bot.cli.keys_cmd:app", "Key management."),
    "db": Lazy("bot.cli.ops:db_app", "The store's schema."),
    "export": Lazy("bot.cli.export_cmd:app", "Export the records for the hospital's own systems."),
}


class Carebot(LazyGroup):
    """The root command: refusals in one line (`CarebotGroup`), commands from `COMMANDS`."""

    table = COMMANDS


app = get_group(
    typer.Typer(
        cls=Carebot,
        help="carebot: personalised follow-up messages for patients, and their replies for nurses.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,  # a traceback's locals could hold personal data
        add_completion=False,
    )
)

__all__ = ["COMMANDS", "USER_ERRORS", "app", "main"]


def main() -> None:
    """Entry point of the `carebot` console script. The settings are read when a command
    runs (`bot.cli.lazy.start`): a bad one stops every command, and no `--help`."""
    try:
        app()
    except USER_ERRORS as exc:
        print_error(str(exc))
        sys.exit(1)
    except Exception as exc:  # an unexpected failure: say what kind, never what data
        print_error(f"unexpected {type(exc).__name__}")
        sys.exit(1)
