"""A program file is checked against one typed model: every bad key is refused when the file
is added, in one line naming its key path, and nothing is stored. A definition stored by an
older carebot still loads."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from bot.config import REPO_ROOT, Settings
from bot.programs import schema
from bot.programs.model import Program
from bot.programs.parse import parse_program
from bot.triage.classify import DEFAULT_THRESHOLDS
from tests.conftest import Cli
from tests.helpers import write_program

THRESHOLDS = "\n[thresholds]\n"


def _set(key: str, value: str) -> tuple[str, str]:
    """Replace the line `key = ...` of the test program."""
    return (rf"(?m)^{re.escape(key)} = .*$", f"{key} = {value}")


def _add(text: str) -> tuple[str, str]:
    """Append lines to the end of the test program (its last table is [emergency])."""
    return (r"\Z", "\n" + text + "\n")


def _cadence(text: str) -> tuple[str, str]:
    return (r"(?m)^\[cadence\]$", "[cadence]\n" + text)


CASES = [
    (
        _add(THRESHOLDS + 'urgent_systolic_high = "high"'),
        "thresholds.urgent_systolic_high: must be a number",
    ),
    (
        _add(THRESHOLDS + "urgent_systolic_high = 130"),
        ("thresholds.urgent_systolic_high: must be above attention_systolic_high (140)"),
    ),
    (
        _add(THRESHOLDS + "attention_systolic_high = 200"),
        ("thresholds.attention_systolic_high: must be below urgent_systolic_high (180)"),
    ),
    (
        _add(THRESHOLDS + "attention_systolic_low = 150"),
        ("thresholds.attention_systolic_low: must be below attention_systolic_high (140)"),
    ),
    (
        _add(THRESHOLDS + "urgent_diastolic_high = 90"),
        ("thresholds.urgent_diastolic_high: must be above attention_diastolic_high (90)"),
    ),
    (
        _add(THRESHOLDS + "urgent_glucose_low = 5.0"),
        ("thresholds.urgent_glucose_low: must be below attention_glucose_low (4)"),
    ),
    (
        _add(THRESHOLDS + "urgent_glucose_high = 9.5"),
        ("thresholds.urgent_glucose_high: must be above attention_glucose_high (10)"),
    ),
    (
        _add(THRESHOLDS + "urgent_glucose_low = -1"),
        ("thresholds.urgent_glucose_low: must be more than 0"),
    ),
    (_add(THRESHOLDS + "urgent_pulse_high = 120"), "thresholds.urgent_pulse_high: unknown setting"),
    (_set("languages", '"nl"'), 'languages: must be a list, such as ["a", "b"]'),
    (_set("languages", '["nl", "de"]'), "languages: each must be one of nl, fr, en"),
    (_set("languages", '["nl", "nl"]'), "languages: names a language twice"),
    (_set("languages", "[]"), "languages: must not be empty"),
    (_cadence("duration_weeks = 0"), "cadence.duration_weeks: must be more than 0"),
    (_cadence("duration_weeks = -4"), "cadence.duration_weeks: must be more than 0"),
    (_cadence("duration_weeks = 2.5"), "cadence.duration_weeks: must be a whole number"),
    (_cadence("duration_weeks = true"), "cadence.duration_weeks: must be a whole number"),
    (_set("catch_up_grace_hours", "-1"), "cadence.catch_up_grace_hours: must be 0 or more"),
    (_set("catch_up_grace_hours", '"6"'), "cadence.catch_up_grace_hours: must be a number"),
    (_set("start_offset_days", "-7"), "cadence.start_offset_days: must be 0 or more"),
    (_cadence("dayz = 1"), "cadence.dayz: unknown setting"),
    (_set("time", '"ten"'), "cadence.time: must be a local time such as 10:00"),
    (
        _set("days", '["monday"]'),
        ("cadence.days[0]: must be one of 'mon', 'tue', 'wed', 'thu', 'fri', 'sat' or 'sun'"),
    ),
    (_set("description", '"test program"\ncolour = "blue"'), "colour: unknown setting"),
    (_set("name", "7"), "name: must be text (in quotes)"),
    (_set("order", '"console"'), 'channels.order: must be a list, such as ["a", "b"]'),
    (
        _set("order", '["pigeon"]'),
        (
            "channels.order: unknown channel 'pigeon'; known: console, sms, telegram, voice,"
            " whatsapp, x"
        ),
    ),
    (
        _set("sensitivity", '"secret"'),
        ("templates.reminder.sensitivity: must be one of public, personal, health"),
    ),
    (
        _set("fr", '"Appelez le 112."\nde = "Rufen Sie 112 an."'),
        ("emergency.de: not a language carebot speaks"),
    ),
    (_set("fr", "1"), "emergency.fr: must be text (in quotes)"),
    ((r"(?m)^fr = .*$", ""), "emergency.fr: is missing (one text per language)"),
    (_set("en", '"Call {{ numbr }}."'), "emergency.en: unknown variable(s): numbr"),
    ((r'(?m)^name = "test-weekly"$', ""), "name: is missing"),
    (
        _set("description", '"x"\non_unconfirmed = "retry"'),
        ("on_unconfirmed: must be one of 'hold' or 'resend'"),
    ),
    (
        _set("description", '"x"\nemergency_number = "1-1-2"'),
        ("emergency_number: must be a short number such as 112 (digits only)"),
    ),
    (
        _set("description", '"x"\nemergency_number = 911'),
        ("emergency_number: must be text (in quotes)"),
    ),
]


@pytest.mark.parametrize(("edit", "message"), CASES, ids=[m for _, m in CASES])
def test_carebot_program_add_refuses_a_bad_program_file_in_one_line_naming_the_key(
    cli: Cli, edit: tuple[str, str], message: str
) -> None:
    path = write_program(cli.cwd)
    pattern, replacement = edit
    text, count = re.subn(pattern, replacement.replace("\\", "\\\\"), path.read_text(), count=1)
    assert count == 1, pattern
    path.write_text(text)
    cli.env["CAREBOT_TEMPLATES_DIR"] = str(cli.cwd / "templates")
    added = cli("program", "add", str(path))
    assert added.code == 1, added.out
    assert added.err.splitlines() == [f"error: {message}"]
    (cli.cwd / "shipped").mkdir()  # no shipped program to add on first use
    cli.env["CAREBOT_SCHEDULES_DIR"] = str(cli.cwd / "shipped")
    assert json.loads(cli("program", "list", "--format", "json").out) == []


def test_a_program_with_the_new_settings_is_stored_with_them(cli: Cli) -> None:
    path = write_program(cli.cwd)
    text = path.read_text().replace(
        'description = "test program"',
        'description = "test program"\non_unconfirmed = "resend"\nemergency_number = "911"',
    )
    path.write_text(text + THRESHOLDS + "urgent_systolic_high = 170\nurgent_glucose_low = 2.5\n")
    cli.env["CAREBOT_TEMPLATES_DIR"] = str(cli.cwd / "templates")
    added = cli("program", "add", str(path))
    assert added.code == 0, added.err
    shown = json.loads(cli("program", "show", "test-weekly", "--format", "json").out)
    assert shown["emergency_number"] == "911"
    program = parse_program(
        path.read_text(),
        templates_dir=cli.cwd / "templates",
        settings=Settings(_env_file=None),  # type: ignore[call-arg]
    )
    assert (program.on_unconfirmed, program.emergency_number) == ("resend", "911")
    assert program.thresholds == {"urgent_systolic_high": 170, "urgent_glucose_low": 2.5}
    assert Program.from_json(program.to_json()) == program


def test_a_definition_stored_before_the_new_settings_still_loads_and_is_unchanged() -> None:
    shipped = (REPO_ROOT / "schedules" / "post-stroke-weekly.toml").read_text(encoding="utf-8")
    program = parse_program(
        shipped,
        templates_dir=REPO_ROOT / "templates",
        settings=Settings(_env_file=None),  # type: ignore[call-arg]
    )
    stored = json.loads(program.to_json())
    # What an older carebot wrote: no on_unconfirmed, no emergency_number, and a setting
    # since moved into the channel options.
    assert "on_unconfirmed" not in stored and "emergency_number" not in stored
    stored["max_sms_segments"] = 2
    loaded = Program.from_json(json.dumps(stored))
    assert (loaded.on_unconfirmed, loaded.emergency_number) == ("hold", None)
    assert loaded.templates == program.templates and loaded.thresholds == program.thresholds


def test_the_models_thresholds_are_triages_with_its_defaults() -> None:
    assert schema.Thresholds().model_dump() == dataclasses.asdict(DEFAULT_THRESHOLDS)


def test_a_toml_local_time_is_read_like_a_quoted_one(tmp_path: Path) -> None:
    path = write_program(tmp_path, cadence='days = ["mon"]\ntime = 10:30:00')
    program = parse_program(
        path.read_text(),
        templates_dir=tmp_path / "templates",
        settings=Settings(_env_file=None),  # type: ignore[call-arg]
    )
    assert program.cron == "30 10 * * mon"
