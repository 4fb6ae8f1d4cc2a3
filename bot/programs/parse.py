"""Program files: reading a TOML program with its templates, and refusing a bad one at once.

A program is refused when it is loaded, with the reason, if a template is above a channel's
sensitivity ceiling, uses a variable carebot does not provide, or fails a channel's own check
of its text (too long for SMS) or of its options, or if its schedule cannot be computed.
Nothing is checked for the first time at 10:00 on Monday.
"""

from __future__ import annotations

import hashlib
import tomllib
from datetime import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apscheduler.triggers.cron import CronTrigger
from jinja2 import TemplateSyntaxError, meta

from bot.channels import addresses, registry
from bot.channels.base import SENSITIVITY, sensitivity_rank
from bot.programs import render
from bot.programs.model import Program, ProgramError, Template, is_name
from bot.triage.classify import Thresholds

if TYPE_CHECKING:
    from bot.config import Settings

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The top-level settings of a program file.
KEYS = (
    "name",
    "description",
    "languages",
    "cadence",
    "channels",
    "templates",
    "emergency",
    "thresholds",
    "on_call",
    "on_unconfirmed",
)
ON_UNCONFIRMED = ("hold", "resend")


def _cadence_cron(cadence: dict[str, Any]) -> str:
    if "cron" in cadence:
        cron = str(cadence["cron"])
        try:
            CronTrigger.from_crontab(cron, timezone="UTC")
        except ValueError as exc:
            raise ProgramError(f"cadence.cron is not a valid cron expression: {exc}") from exc
        return cron
    days = cadence.get("days", [])
    if not days or any(day not in DAYS for day in days):
        raise ProgramError(f"cadence.days must list days among {', '.join(DAYS)}")
    at = _clock(cadence.get("time"), "cadence.time")
    return f"{at.minute} {at.hour} * * {','.join(days)}"


def _clock(value: Any, what: str) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError as exc:
        raise ProgramError(f"{what} must be a local time such as 10:00") from exc


def _program_folder(templates_dir: Path, name: str) -> Path:
    """templates/<name>/, resolved, and refused if it (a symlink) leads elsewhere."""
    try:
        root = templates_dir.resolve(strict=True)
        folder = (templates_dir / name).resolve(strict=True)
    except OSError as exc:
        raise ProgramError(f"program {name}: no templates folder templates/{name}/") from exc
    if folder.parent != root or not folder.is_dir():
        raise ProgramError(f"program {name}: templates/{name}/ leads outside the templates folder")
    return folder


def _template_path(folder: Path, name: str, lang: str, file: str) -> Path:
    """A template file, resolved (symlinks followed) and confined to its program's folder:
    a program file must never be able to read the master key, or any file but its own."""
    relative = Path(file.replace("{lang}", lang))
    if relative.is_absolute() or "\0" in file or "\\" in file:
        raise ProgramError(f"template {name}: file must be a path inside templates/{folder.name}/")
    try:
        path = (folder / relative).resolve(strict=True)
    except (OSError, RuntimeError) as exc:  # missing, or a symlink loop
        raise ProgramError(f"template {name}: no {lang} file ({relative.name})") from exc
    if not path.is_relative_to(folder):
        raise ProgramError(f"template {name}: file leads outside templates/{folder.name}/")
    if not path.is_file():
        raise ProgramError(f"template {name}: no {lang} file ({relative.name})")
    return path


def _read_templates(raw: dict[str, Any], languages: list[str], folder: Path) -> dict[str, Template]:
    templates: dict[str, Template] = {}
    for name, spec in raw.items():
        level = spec.get("sensitivity")
        if level not in SENSITIVITY:
            raise ProgramError(f"template {name}: sensitivity must be one of {SENSITIVITY}")
        file = spec.get("file", f"{name}.{{lang}}.j2")
        if not isinstance(file, str) or not file:
            raise ProgramError(f"template {name}: file must be a file name")
        texts = {}
        for lang in languages:
            path = _template_path(folder, name, lang, file)
            texts[lang] = path.read_text(encoding="utf-8").strip()
        templates[name] = Template(sensitivity=level, text=texts)
    if "reminder" not in templates:
        raise ProgramError("a program needs a template named `reminder`")
    return templates


def _check_templates(program: Program, settings: Settings) -> None:
    for channel in program.channels:
        if not registry.known(channel):
            raise ProgramError(f"unknown channel {channel!r}; known: {', '.join(registry.NAMES)}")
        name = program.channel_templates.get(channel, "reminder")
        template = program.templates.get(name)
        if template is None:
            raise ProgramError(f"channel {channel} uses template {name!r}, which is not defined")
        if sensitivity_rank(template.sensitivity) > sensitivity_rank(registry.ceiling(channel)):
            raise ProgramError(
                f"template {name} is {template.sensitivity} but channel {channel} "
                f"carries {registry.ceiling(channel)} at most"
            )
        problems = registry.kind(channel).check_options(
            program.channel_options.get(channel, {}), templates=list(program.templates)
        )
        if problems:
            raise ProgramError(f"channels.options.{channel}: {'; '.join(problems)}")
    sample = render.longest_sample(
        program,
        emergency_number=settings.carebot_emergency_number,
        hospital=settings.carebot_hospital_contact,
    )
    for name, template in program.templates.items():
        for lang, source in template.text.items():
            _check_source(program, name, lang, source, sample)


def _check_source(
    program: Program, name: str, lang: str, source: str, sample: dict[str, object]
) -> None:
    where = f"template {name} ({lang})"
    try:
        parsed = render.ENV.parse(source)
    except TemplateSyntaxError as exc:
        raise ProgramError(f"{where}: syntax error on line {exc.lineno}: {exc.message}") from exc
    unknown = meta.find_undeclared_variables(parsed) - set(render.VARIABLES)
    if unknown:
        raise ProgramError(f"{where} uses unknown variable(s): {', '.join(sorted(unknown))}")
    longest: str | None = None
    for channel in program.channels:
        if program.channel_templates.get(channel, "reminder") != name:
            continue
        longest = longest or render.render_source(source, sample)
        problem = registry.kind(channel).check_text(
            longest, options=program.channel_options.get(channel, {})
        )
        if problem:
            raise ProgramError(f"{where} {problem}")


def _on_call(raw: Any) -> tuple[str, str] | None:
    """The `[on_call]` channel and address: a channel whose class allows notices, and an
    address it accepts ("" for a channel that takes none, the console)."""
    if not raw:
        return None
    channel = str(raw.get("channel", ""))
    if not registry.known(channel) or not registry.kind(channel).notices:
        able = [name for name in registry.NAMES if registry.kind(name).notices]
        raise ProgramError(f"on_call.channel must be one of {', '.join(able)}")
    if not registry.takes_address(channel):
        return channel, ""
    try:
        return channel, registry.normalise(channel, str(raw.get("address", "")))
    except addresses.AddressError as exc:
        raise ProgramError(f"on_call: {exc}") from exc


def _legacy_keys() -> dict[str, tuple[str, str]]:
    """Older top-level program settings each channel still reads: key -> (channel, option)."""
    return {
        key: (name, option)
        for name in registry.NAMES
        for key, option in registry.kind(name).program_keys.items()
    }


def _channel_options(program: dict[str, Any], channels: list[str]) -> dict[str, dict[str, Any]]:
    raw = program["channels"].get("options", {})
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        raise ProgramError("channels.options must hold one table per channel")
    unused = sorted(set(raw) - set(channels))
    if unused:
        raise ProgramError(f"channels.options names channel(s) not in channels.order: {unused}")
    options = {str(name): dict(table) for name, table in raw.items()}
    for key, (channel, option) in _legacy_keys().items():
        if key not in program or channel not in channels:
            continue  # an older key for a channel the program does not use changes nothing
        if option in options.get(channel, {}):
            raise ProgramError(f"set {key} or channels.options.{channel}.{option}, not both")
        options.setdefault(channel, {})[option] = program[key]
    return options


def _on_unconfirmed(value: Any) -> str:
    """What becomes of a send whose outcome cannot be known: held for an admin, or sent once
    more within the grace (for a low-harm nudge, where two is better than none)."""
    if value not in ON_UNCONFIRMED:
        raise ProgramError(f"on_unconfirmed must be one of {', '.join(ON_UNCONFIRMED)}")
    return str(value)


def parse_program(
    source: str, *, templates_dir: Path, settings: Settings, origin: str = "program"
) -> Program:
    """Parse and validate a program's TOML text; ProgramError says what is wrong. The
    settings give the values a template is sized with (emergency number, hospital contact)."""
    try:
        raw = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise ProgramError(f"{origin} is not valid TOML: {exc}") from exc
    try:
        return _build(raw, templates_dir, settings)
    except KeyError as exc:
        raise ProgramError(f"{origin} misses the setting {exc.args[0]!r}") from exc
    except (TypeError, ValueError) as exc:
        raise ProgramError(f"{origin}: {exc}") from exc


def _build(raw: dict[str, Any], templates_dir: Path, settings: Settings) -> Program:
    unknown_keys = sorted(set(raw) - set(KEYS) - set(_legacy_keys()))
    if unknown_keys:  # a setting carebot would ignore is refused
        raise ProgramError(f"unknown setting(s): {', '.join(unknown_keys)}; known: {KEYS}")
    name = raw["name"]
    if not isinstance(name, str) or not is_name(name):
        raise ProgramError("name must be a slug: a-z, 0-9 and -, at most 63 characters")
    languages = list(raw.get("languages", ["nl", "fr", "en"]))
    cadence = raw["cadence"]
    quiet = cadence.get("quiet_hours") or {}
    thresholds = dict(raw.get("thresholds", {}))
    unknown = set(thresholds) - set(Thresholds.__dataclass_fields__)
    if unknown:
        raise ProgramError(f"unknown threshold(s): {', '.join(sorted(unknown))}")
    emergency = {lang: str(raw["emergency"][lang]) for lang in languages}
    channels = raw["channels"]
    program = Program(
        name=name,
        description=str(raw.get("description", "")),
        languages=languages,
        cron=_cadence_cron(cadence),
        start_offset_days=int(cadence.get("start_offset_days", 0)),
        duration_weeks=int(cadence["duration_weeks"]) if cadence.get("duration_weeks") else None,
        catch_up_grace_hours=float(cadence.get("catch_up_grace_hours", 6)),
        quiet_start=_clock(quiet["start"], "quiet_hours.start").isoformat("minutes")
        if quiet
        else None,
        quiet_end=_clock(quiet["end"], "quiet_hours.end").isoformat("minutes") if quiet else None,
        channels=list(channels["order"]),
        channel_templates=dict(channels.get("templates", {})),
        templates=_read_templates(
            raw["templates"], languages, _program_folder(templates_dir, name)
        ),
        emergency=emergency,
        thresholds=thresholds,
        on_call=_on_call(raw.get("on_call")),
        channel_options=_channel_options(raw, list(channels["order"])),
        on_unconfirmed=_on_unconfirmed(raw.get("on_unconfirmed", "hold")),
    )
    _check_templates(program, settings)
    return program


def load_program_file(
    path: Path, *, templates_dir: Path, settings: Settings
) -> tuple[Program, str]:
    """Read and validate a program file; returns it with the SHA-256 of its source."""
    try:
        resolved = path.resolve(strict=True)
        if not resolved.is_file():  # a folder, a device or a pipe is no program file
            raise ProgramError(f"{path.name} is not a program file")
        source = resolved.read_text(encoding="utf-8")
    except (OSError, RuntimeError) as exc:
        raise ProgramError(
            f"cannot read {path.name}: {getattr(exc, 'strerror', None) or 'not found'}"
        ) from exc
    except UnicodeDecodeError as exc:
        raise ProgramError(f"{path.name} is not UTF-8 text") from exc
    program = parse_program(
        source, templates_dir=templates_dir, settings=settings, origin=path.name
    )
    return program, hashlib.sha256(source.encode()).hexdigest()
