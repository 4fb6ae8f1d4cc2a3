"""Properties of the reply parsers on any text: they never raise, and never return a reading
outside the physiological bounds (systolic 50-300 mmHg, diastolic 20-200 mmHg and below
systolic, glucose 0.5-50 mmol/L)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.triage.classify import FLAGS, classify
from bot.triage.keywords import keyword_of
from bot.triage.readings import Readings, find_readings, parse_readings
from bot.triage.warning_signs import SIGNS, warning_signs

WORDS = [
    "bloeddruk",
    "tension",
    "TA",
    "bp",
    "blood pressure",
    "suiker",
    "glycémie",
    "glucose",
    "sugar",
    "bovendruk",
    "onderdruk",
    "systolic",
    "diastolic",
    "max",
    "min",
    "op",
    "over",
    "sur",
    "mmol",
    "mmol/L",
    "mg/dL",
    "mg",
    "g/L",
    "g",
    "cmHg",
    "mmHg",
    "le",
    "om",
    "u",
    "h",
    ":",
    "+32",
    "0470",
    "keer",
    "x",
    "%",
    "hba1c",
    "type",
    "pijn op de borst",
    "geen",
    "pas",
    "no",
    "STOP",
    "/start",
    "-",
    "/",
    ",",
    ".",
    "\\",
    "é",
    "½",
    "٣",
    "🙏",
]
NUMBERS = st.one_of(
    st.integers(min_value=0, max_value=10_000).map(str),
    st.tuples(st.integers(0, 999), st.integers(0, 99), st.sampled_from([",", "."])).map(
        lambda t: f"{t[0]}{t[2]}{t[1]}"
    ),
)
PIECES = st.one_of(st.sampled_from(WORDS), NUMBERS, st.text(max_size=3))
SEPARATORS = st.sampled_from(["", " ", "  ", "/", " / ", "-", ",", ":", "\n"])
READING_LIKE = st.lists(st.tuples(PIECES, SEPARATORS), max_size=14).map(
    lambda parts: "".join(piece + sep for piece, sep in parts)
)


def _within_bounds(readings: Readings) -> bool:
    pressure_ok = (readings.systolic is None) == (readings.diastolic is None) and (
        readings.systolic is None
        or readings.diastolic is None
        or (
            50 <= readings.systolic <= 300
            and 20 <= readings.diastolic <= 200
            and readings.systolic > readings.diastolic
        )
    )
    glucose_ok = readings.glucose_mmol_l is None or 0.5 <= readings.glucose_mmol_l <= 50
    return pressure_ok and glucose_ok


def _check(text: str) -> None:
    assert _within_bounds(parse_readings(text))
    found = find_readings(text)
    for systolic, diastolic in found.pressures:
        assert _within_bounds(Readings(systolic, diastolic))
    for glucose in found.glucoses:
        assert _within_bounds(Readings(glucose_mmol_l=glucose))
        assert glucose == round(glucose, 1)
    triage = classify(text)
    assert list(triage.flags) == [flag for flag in FLAGS if flag in triage.flags]
    assert set(warning_signs(text)) <= set(SIGNS)
    assert keyword_of(text) in (None, "stop", "start", "help")


@settings(max_examples=300)
@given(st.text())
def test_any_text_parses_without_error_and_within_bounds(text: str) -> None:
    _check(text)


@settings(max_examples=500)
@given(READING_LIKE)
def test_text_made_of_numbers_units_and_keywords_parses_within_bounds(text: str) -> None:
    _check(text)


@given(st.integers(0, 999), st.integers(0, 999), st.sampled_from(["", "tension ", "bp "]))
def test_any_pair_of_numbers_gives_a_plausible_pressure_or_none(
    first: int, second: int, word: str
) -> None:
    assert _within_bounds(parse_readings(f"{word}{first}/{second}"))
