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
from pydantic import ValidationError

from bot.channels import addresses, registry
from bot.channels.base import sensitivity_rank
from bot.programs import emergency, render, schema
from bot.programs.model import Program, ProgramError, Template, is_name

if TYPE_CHECKING:
    from bot.config import Settings

EMERGENCY_VARIABLES = frozenset({"emergency_number", "hospital"})


def _cadence_cron(cadence: schema.Cadence) -> str:
    if cadence.cron is not None:
        try:
            CronTrigger.from_crontab(cadence.cron, timezone="UTC")
        except ValueError as exc:
            raise ProgramError(f"cadence.cron: not a valid cron expression: {exc}") from exc
        return cadence.cron
    if not cadence.days:
        raise ProgramError(f"cadence.days: must list days among {', '.join(schema.DAYS)}")
    at = _clock(cadence.time, "cadence.time")
    return f"{at.minute} {at.hour} * * {','.join(cadence.days)}"


def _clock(value: str | None, what: str) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError as exc:
        raise ProgramError(f"{what}: must be a local time such as 10:00") from exc


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


def _read_templates(
    specs: dict[str, schema.TemplateSpec], languages: list[str], folder: Path
) -> dict[str, Template]:
    templates: dict[str, Template] = {}
    for name, spec in specs.items():
        level = spec.sensitivity
        file = spec.file or f"{name}.{{lang}}.j2"
        texts = {}
        for lang in languages:
            path = _template_path(folder, name, lang, file)
            texts[lang] = path.read_text(encoding="utf-8").strip()
        templates[name] = Template(sensitivity=level, text=texts)
    if "reminder" not in templates:
        raise ProgramError("templates.reminder: is missing (every program needs it)")
    return templates


def _check_templates(program: Program, settings: Settings) -> None:
    for channel in program.channels:
        if not registry.known(channel):
            raise ProgramError(
                f"channels.order: unknown channel {channel!r}; known: {', '.join(registry.NAMES)}"
            )
        name = program.channel_templates.get(channel, "reminder")
        template = program.templates.get(name)
        if template is None:
            raise ProgramError(f"channels.templates.{channel}: no template {name!r} is defined")
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
        emergency_number=program.emergency_number
        or emergency.longest(settings.carebot_emergency_number),
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


def _on_call(raw: schema.OnCall | None, *, region: str) -> tuple[str, str] | None:
    """The `[on_call]` channel and address: a channel whose class allows notices, and an
    address it accepts ("" for a channel that takes none, the console)."""
    if raw is None:
        return None
    channel = raw.channel
    if not registry.known(channel) or not registry.kind(channel).notices:
        able = [name for name in registry.NAMES if registry.kind(name).notices]
        raise ProgramError(f"on_call.channel: must be one of {', '.join(able)}")
    if not registry.takes_address(channel):
        return channel, ""
    try:
        return channel, registry.normalise(channel, raw.address, region=region)
    except addresses.AddressError as exc:
        raise ProgramError(f"on_call.address: {exc}") from exc


def _legacy_keys() -> dict[str, tuple[str, str]]:
    """Older top-level program settings each channel still reads: key -> (channel, option)."""
    return {
        key: (name, option)
        for name in registry.NAMES
        for key, option in registry.kind(name).program_keys.items()
    }


def _channel_options(
    raw: dict[str, dict[str, Any]], legacy: dict[str, Any], channels: list[str]
) -> dict[str, dict[str, Any]]:
    """`[channels.options.<name>]` as written, with the older top-level keys moved in."""
    unused = sorted(set(raw) - set(channels))
    if unused:
        raise ProgramError(f"channels.options.{unused[0]}: channel not in channels.order")
    options = {str(name): dict(table) for name, table in raw.items()}
    for key, (channel, option) in _legacy_keys().items():
        if key not in legacy or channel not in channels:
            continue  # an older key for a channel the program does not use changes nothing
        if option in options.get(channel, {}):
            raise ProgramError(f"set {key} or channels.options.{channel}.{option}, not both")
        options.setdefault(channel, {})[option] = legacy[key]
    return options


def parse_program(
    source: str, *, templates_dir: Path, settings: Settings, origin: str = "program"
) -> Program:
    """Parse and validate a program's TOML text; ProgramError says what is wrong, in one
    line naming the key. The settings give the values a template is sized with (emergency
    number, hospital contact)."""
    try:
        raw = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise ProgramError(f"{origin} is not valid TOML: {exc}") from exc
    legacy = {key: raw.pop(key) for key in _legacy_keys() if key in raw}
    try:
        model = schema.ProgramFile.model_validate(raw)
    except ValidationError as exc:
        raise ProgramError(schema.problem(exc)) from None
    return _build(model, raw, legacy, templates_dir, settings)


def _emergency(model: schema.ProgramFile) -> dict[str, str]:
    """The emergency text in each language; `{{ emergency_number }}` in it becomes the
    patient's number when it is sent."""
    for lang in model.languages:
        if lang not in model.emergency:
            raise ProgramError(f"emergency.{lang}: is missing (one text per language)")
    unknown_languages = sorted(set(model.emergency) - set(schema.LANGUAGES))
    if unknown_languages:
        raise ProgramError(f"emergency.{unknown_languages[0]}: not a language carebot speaks")
    texts = {lang: model.emergency[lang] for lang in model.languages}
    for lang, text in texts.items():
        try:
            unknown = meta.find_undeclared_variables(render.ENV.parse(text)) - EMERGENCY_VARIABLES
        except TemplateSyntaxError as exc:
            raise ProgramError(f"emergency.{lang}: syntax error: {exc.message}") from exc
        if unknown:
            raise ProgramError(
                f"emergency.{lang}: unknown variable(s): {', '.join(sorted(unknown))}"
            )
    return texts


def _quiet(cadence: schema.Cadence) -> tuple[str | None, str | None]:
    quiet = cadence.quiet_hours
    if quiet is None:
        return None, None
    start = _clock(quiet.start, "cadence.quiet_hours.start").isoformat("minutes")
    return start, _clock(quiet.end, "cadence.quiet_hours.end").isoformat("minutes")


def _build(
    model: schema.ProgramFile,
    raw: dict[str, Any],
    legacy: dict[str, Any],
    templates_dir: Path,
    settings: Settings,
) -> Program:
    if not is_name(model.name):
        raise ProgramError("name: must be a slug: a-z, 0-9 and -, at most 63 characters")
    cadence = model.cadence
    quiet_start, quiet_end = _quiet(cadence)
    order = list(model.channels.order)
    program = Program(
        name=model.name,
        description=model.description,
        languages=list(model.languages),
        cron=_cadence_cron(cadence),
        start_offset_days=cadence.start_offset_days,
        duration_weeks=cadence.duration_weeks,
        catch_up_grace_hours=cadence.catch_up_grace_hours,
        quiet_start=quiet_start,
        quiet_end=quiet_end,
        channels=order,
        channel_templates=dict(model.channels.templates),
        templates=_read_templates(
            model.templates, model.languages, _program_folder(templates_dir, model.name)
        ),
        emergency=_emergency(model),
        thresholds=schema.thresholds_in_order(raw, model.thresholds),
        on_call=_on_call(model.on_call, region=settings.carebot_default_region),
        channel_options=_channel_options(model.channels.options, legacy, order),
        emergency_number=model.emergency_number,
        on_unconfirmed=model.on_unconfirmed,
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
