"""The `patient` group: its commands from a lazy table, as the root's (see `bot.cli.lazy`).

`carebot patient list` imports bot/cli/patient_view_cmd.py and what it needs, never the
modules that change an enrolment (the program catalog, templates, triage and planning behind
them). Adding a command is one line in `COMMANDS`, in the order `carebot patient --help`
lists them.
"""

from __future__ import annotations

import typer

from bot.cli.lazy import Lazy, LazyGroup

COMMANDS: dict[str, Lazy] = {
    "enrol": Lazy(
        "bot.cli.patient_cmd:enrol",
        """Enrol a patient with their consent; prints the pseudonym (and, for a channel the
        patient links, such as Telegram, the one-time link). A consent on a channel that is not
        configured is refused, unless --allow-unconfigured.""",
        cls="EnrolCommand",
    ),
    "list": Lazy(
        "bot.cli.patient_view_cmd:list_",
        """Enrolled patients, by pseudonym: program, language, zone, status, the channels they
        consented to, and those a reminder can reach now.""",
    ),
    "show": Lazy(
        "bot.cli.patient_view_cmd:show",
        "One patient: enrolment, channels and consent, reminder counts (no personal data).",
    ),
    "pause": Lazy(
        "bot.cli.patient_cmd:pause", "Pause a patient: what falls due while paused is cancelled."
    ),
    "resume": Lazy(
        "bot.cli.patient_cmd:resume",
        "Resume a patient at their next occurrence, with no burst of the missed ones.",
    ),
    "consent": Lazy(
        "bot.cli.patient_cmd:consent",
        """Record consent given or withdrawn (on paper, by phone) and show the current state.
        Granting a channel that is not configured is refused, unless --allow-unconfigured.""",
    ),
    "erase": Lazy(
        "bot.cli.patient_cmd:erase",
        "Erase a patient for good: their data key is destroyed (crypto-shredding).",
    ),
    "export": Lazy(
        "bot.cli.patient_cmd:export",
        "The patient's own data, decrypted, as JSON (an audited access).",
    ),
    "edit": Lazy(
        "bot.cli.patient_edit_cmd:edit",
        """Change a patient's address, zone, language, name or program. A new address withdraws
        that channel's consent until it is granted again; a new zone, language or program
        replans the reminders not yet sent.""",
        cls="EditCommand",
    ),
    "end": Lazy(
        "bot.cli.patient_edit_cmd:end",
        "End a patient's follow-up: status `ended`, the reminders not yet sent cancelled.",
    ),
    "find": Lazy(
        "bot.cli.patient_edit_cmd:find",
        "The pseudonym of a hospital reference (exit 1 when it is not enrolled). Audited.",
    ),
    "import": Lazy(
        "bot.cli.patient_import_cmd:import_",
        """Enrol the patients of a CSV file (columns ref, program, lang, tz, name, one per
        typed address such as sms and x, and consent, its channels separated by `;`). Every row
        is checked first: if one is refused, none is written, and the refused rows are listed
        by row number, column and reason (never the cell's value).""",
    ),
}


class PatientGroup(LazyGroup):
    """`carebot patient`: its commands from `COMMANDS`."""

    table = COMMANDS


app = typer.Typer(
    cls=PatientGroup, help="Patients: enrolment, consent and their data.", no_args_is_help=True
)

__all__ = ["COMMANDS", "PatientGroup", "app"]
