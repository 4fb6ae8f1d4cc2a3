"""Triage of one patient reply: the flags that order the nurses' queue.

`classify("bloeddruk 185/100")` flags the reply `urgent` and `attention`. The flags, in the
order of FLAGS:

- `urgent`: a warning sign (`bot.triage.warning_signs`), or a reading at an urgent
  threshold, or a meter that shows HI or LO. The patient is told at once to call the
  emergency number.
- `attention`: a reading outside the attention thresholds. A reading at an urgent level is
  outside them too, so it carries both flags: each flag keeps one meaning ("a reading is out
  of range", "call now"), a count of out-of-range readings stays a count, and a nurse who
  filters on `attention` still sees it. A reply that names a body part or a sense with a
  change ("my knee is swollen") and no warning sign is `attention` too: never plain.
- `opt-out`: the reply is a one-word stop keyword, or asks in words for the messages to stop
  (`bot.triage.optout`); `info`: a one-word help keyword.

When a reply holds several readings ("gisteren 190/105, nu 150/90"), every one of them counts
for the flags, so that a bad value is never hidden by a good one written before it;
`Triage.readings` keeps the first of each kind, as `parse_readings` does. Thresholds come from
the program file; the field names of `Thresholds` are those of its `[thresholds]` table.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from bot.triage import grammar
from bot.triage.keywords import keyword_of
from bot.triage.normalise import normalise
from bot.triage.optout import stop_request
from bot.triage.readings import AllReadings, Readings, find_readings, first_readings
from bot.triage.warning_signs import warning_signs


@dataclass(frozen=True)
class Thresholds:
    """Reading limits of a program (post-stroke defaults), in mmHg and mmol/L."""

    attention_systolic_high: int = 140  # attention when systolic >= this
    attention_systolic_low: int = 90  # attention when systolic < this
    attention_diastolic_high: int = 90  # attention when diastolic >= this
    attention_glucose_low: float = 4.0  # attention when glucose < this
    attention_glucose_high: float = 10.0  # attention when glucose > this
    urgent_systolic_high: int = 180  # urgent when systolic >= this
    urgent_diastolic_high: int = 110  # urgent when diastolic >= this
    urgent_glucose_low: float = 3.0  # urgent when glucose < this
    urgent_glucose_high: float = 20.0  # urgent when glucose > this


DEFAULT_THRESHOLDS = Thresholds()
FLAGS = ("urgent", "attention", "opt-out", "info")


@dataclass(frozen=True)
class Triage:
    """What carebot made of one reply."""

    flags: tuple[str, ...]  # subset of FLAGS, in FLAGS order
    readings: Readings
    signs: tuple[str, ...]  # from warning_signs()
    keyword: str | None  # from keyword_of()


def classify(
    text: str, thresholds: Thresholds = DEFAULT_THRESHOLDS, *, language: str | None = None
) -> Triage:
    """Readings, warning signs, keyword and flags of one reply.

    `language` is the patient's, when known: it decides how a bare glucose number is read.
    """
    found = find_readings(text, language=language)
    signs = warning_signs(text)
    keyword = keyword_of(text)
    reading_urgent = _any_urgent(found, thresholds) or bool(found.glucose_codes)
    raised = {
        "urgent": bool(signs) or reading_urgent,
        "attention": _any_attention(found, thresholds)
        or reading_urgent
        or (not signs and grammar.body_changes(normalise(text))),
        "opt-out": keyword == "stop" or (keyword is None and stop_request(text)),
        "info": keyword == "help",
    }
    return Triage(
        flags=tuple(flag for flag in FLAGS if raised[flag]),
        readings=first_readings(found),
        signs=signs,
        keyword=keyword,
    )


def _any_urgent(found: AllReadings, limits: Thresholds) -> bool:
    return any(
        systolic >= limits.urgent_systolic_high or diastolic >= limits.urgent_diastolic_high
        for systolic, diastolic in found.pressures
    ) or any(
        glucose < limits.urgent_glucose_low or glucose > limits.urgent_glucose_high
        for glucose in found.glucoses
    )


def _any_attention(found: AllReadings, limits: Thresholds) -> bool:
    return any(
        systolic >= limits.attention_systolic_high
        or systolic < limits.attention_systolic_low
        or diastolic >= limits.attention_diastolic_high
        for systolic, diastolic in found.pressures
    ) or any(
        glucose < limits.attention_glucose_low or glucose > limits.attention_glucose_high
        for glucose in found.glucoses
    )


def with_flags(triage: Triage, extra: tuple[str, ...]) -> Triage:
    """The same triage with more flags (from the channel, not the text), in FLAGS order."""
    unknown = set(extra) - set(FLAGS)
    if unknown:
        raise ValueError(f"unknown flag(s): {', '.join(sorted(unknown))}")
    flags = tuple(flag for flag in FLAGS if flag in triage.flags or flag in extra)
    return dataclasses.replace(triage, flags=flags)
