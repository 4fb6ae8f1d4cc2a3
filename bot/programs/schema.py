"""The shape of a program file, as one typed model: every key, its type and its range.

A program file is written by a nurse or an admin, so every mistake in it is refused when it
is loaded, in one line that names the key path (`thresholds.urgent_systolic_high: must be a
number`), never at 10:00 on Monday and never as a TypeError in the middle of a reply's
triage. The model is strict: a number written in quotes is text, not a number, and a key
carebot does not know is refused rather than ignored. The order of the thresholds is checked
here too (`thresholds_in_order`); what needs more than the file itself (template files,
channel classes) is checked in `parse`.
"""

from __future__ import annotations

from datetime import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

from bot.channels.base import SENSITIVITY
from bot.programs.model import ProgramError
from bot.triage.classify import DEFAULT_THRESHOLDS

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LANGUAGES = ("nl", "fr", "en")
"""The languages carebot reads replies in and answers in (triage, STOP, HELP, emergency)."""


class _Table(BaseModel):
    """A TOML table: strict types, no key carebot would ignore."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _clock_text(value: Any) -> Any:
    """A TOML local time (`10:00:00`, unquoted) as the text a quoted one would be."""
    return value.isoformat("minutes") if isinstance(value, time) else value


class QuietHours(_Table):
    start: str
    end: str

    _clock = field_validator("start", "end", mode="before")(_clock_text)


class Cadence(_Table):
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] | None = None
    time: str | None = None
    cron: str | None = None
    start_offset_days: int = Field(default=0, ge=0)
    duration_weeks: int | None = Field(default=None, gt=0)
    catch_up_grace_hours: float = Field(default=6, ge=0)
    quiet_hours: QuietHours | None = None

    _clock = field_validator("time", mode="before")(_clock_text)


class Channels(_Table):
    order: list[str] = Field(min_length=1)
    templates: dict[str, str] = {}
    options: dict[str, dict[str, Any]] = {}


class TemplateSpec(_Table):
    sensitivity: str
    file: str | None = Field(default=None, min_length=1)

    @field_validator("sensitivity")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value not in SENSITIVITY:
            raise ValueError(f"must be one of {', '.join(SENSITIVITY)}")
        return value


_DEFAULT = DEFAULT_THRESHOLDS


class Thresholds(_Table):
    """Reading limits in mmHg and mmol/L (triage's defaults); `thresholds_in_order` checks
    their order."""

    attention_systolic_high: float = Field(default=_DEFAULT.attention_systolic_high, gt=0)
    attention_systolic_low: float = Field(default=_DEFAULT.attention_systolic_low, gt=0)
    attention_diastolic_high: float = Field(default=_DEFAULT.attention_diastolic_high, gt=0)
    attention_glucose_low: float = Field(default=_DEFAULT.attention_glucose_low, gt=0)
    attention_glucose_high: float = Field(default=_DEFAULT.attention_glucose_high, gt=0)
    urgent_systolic_high: float = Field(default=_DEFAULT.urgent_systolic_high, gt=0)
    urgent_diastolic_high: float = Field(default=_DEFAULT.urgent_diastolic_high, gt=0)
    urgent_glucose_low: float = Field(default=_DEFAULT.urgent_glucose_low, gt=0)
    urgent_glucose_high: float = Field(default=_DEFAULT.urgent_glucose_high, gt=0)


class OnCall(_Table):
    channel: str
    address: str = ""


class ProgramFile(_Table):
    """A whole program file (legacy top-level keys of a channel are taken out before)."""

    name: str
    description: str = ""
    languages: list[str] = Field(default_factory=lambda: list(LANGUAGES), min_length=1)
    cadence: Cadence
    channels: Channels
    templates: dict[str, TemplateSpec]
    emergency: dict[str, str]
    # A short number such as 112, 911 or 119, for every patient of the program whatever
    # their country (a program run for one country's patients abroad, say).
    emergency_number: str | None = Field(default=None, pattern=r"^[0-9]{2,6}$")
    # What an admin's `reminder resolve` does with a send whose outcome is unknown by default:
    # hold it (never send twice) or send it again.
    on_unconfirmed: Literal["hold", "resend"] = "hold"
    thresholds: Thresholds = Field(default_factory=Thresholds)
    on_call: OnCall | None = None

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value: list[str]) -> list[str]:
        for lang in value:
            if lang not in LANGUAGES:
                raise ValueError(f"each must be one of {', '.join(LANGUAGES)}")
        if len(set(value)) != len(value):
            raise ValueError("names a language twice")
        return value


# Each pair (lower, higher) that must be in that order: the attention range inside the urgent.
THRESHOLD_ORDER = (
    ("attention_systolic_low", "attention_systolic_high"),
    ("attention_systolic_high", "urgent_systolic_high"),
    ("attention_diastolic_high", "urgent_diastolic_high"),
    ("urgent_glucose_low", "attention_glucose_low"),
    ("attention_glucose_low", "attention_glucose_high"),
    ("attention_glucose_high", "urgent_glucose_high"),
)


def thresholds_in_order(raw: dict[str, Any], model: Thresholds) -> dict[str, float]:
    """The thresholds the file gives (as written), once each pair is in order: an attention
    range inside the urgent one. The key blamed is one the file sets."""
    given = dict(raw.get("thresholds", {}))
    values = model.model_dump()
    for low, high in THRESHOLD_ORDER:
        if values[low] < values[high]:
            continue
        if high in given:
            raise ProgramError(f"thresholds.{high}: must be above {low} ({values[low]:g})")
        raise ProgramError(f"thresholds.{low}: must be below {high} ({values[high]:g})")
    return given


# Pydantic's error types, in the words of a program file (no input is echoed).
_WORDS = {
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "string_type": "must be text (in quotes)",
    "list_type": 'must be a list, such as ["a", "b"]',
    "dict_type": "must be a table",
    "model_type": "must be a table",
    "model_attributes_type": "must be a table",
    "extra_forbidden": "unknown setting",
    "missing": "is missing",
    "bool_type": "must be true or false",
    "string_pattern_mismatch": "must be a short number such as 112 (digits only)",
}


def _path(loc: tuple[int | str, ...]) -> str:
    """`thresholds.urgent_low`, `languages[1]`: the key path as a TOML user writes it."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path or "program"


def _words(error: ErrorDetails) -> str:
    ctx = error.get("ctx", {})
    kind = error["type"]
    if kind == "greater_than":
        return f"must be more than {ctx['gt']:g}"
    if kind == "greater_than_equal":
        return f"must be {ctx['ge']:g} or more"
    if kind in ("too_short", "too_long"):
        return "must not be empty" if kind == "too_short" else "is too long"
    if kind == "literal_error":
        return f"must be one of {ctx['expected']}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return _WORDS.get(kind, error["msg"])


def problem(exc: ValidationError) -> str:
    """One line for a refused program file: the keys that are wrong (the first three) and
    why, in the order of the file's model."""
    lines: list[str] = []
    for error in exc.errors(include_url=False, include_input=False):
        line = f"{_path(error['loc'])}: {_words(error)}"
        if line not in lines:
            lines.append(line)
    return "; ".join(lines[:3]) + ("; ..." if len(lines) > 3 else "")
