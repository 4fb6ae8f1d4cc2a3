"""Blood pressure and blood sugar readings in a patient's free-text reply, in nl, fr and en.

`parse_readings("bloeddruk 150 op 95, suiker 7,8")` gives `Readings(150, 95, 7.8)`. Blood
pressure comes out in mmHg, glucose in mmol/L rounded to one decimal:

- `128/79`, `128 / 79`, `150 op 95`, `148 over 94`, `13 sur 8`, `bovendruk 165 onderdruk 98`,
  `systolic 150 diastolic 95`; French `tension 13/8` or `12,5/8` is in cmHg and becomes
  130/80, 125/80 — only next to a blood-pressure word (or `cmHg`), because `13/8` alone is
  more often the 13th of August. A bare `a/b` with no such word must also look like a
  blood pressure (70-260 over 40-160, 10 or more apart), so that `50/50` or `60/40` is none.
- `7.8 mmol/L`, `7,8 mmol`, `140 mg/dL` (divided by 18), `1,4 g/L` and `1g40` (g/L: 1.4 g/L
  is 1400 mg/L, so 140 mg/dL, divided by 18: 7.8 mmol/L); after a glucose word (suiker,
  glycémie, sugar...) a bare number under 35 is mmol/L and one from 35 up is mg/dL, the unit
  Belgian meters show. A lone decimal beside a blood pressure (`130/80 en 6,5`) is
  taken as the glucose the weekly reminder asked for.

Dates, clock times and phone numbers are blanked out before any number is read, and a value
outside the physiological bounds below is never returned: when in doubt, no reading. When a
reply holds several readings, `parse_readings` keeps the first of each kind and
`find_readings` returns them all (triage flags on every one of them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.inbound import reading_words as words
from bot.inbound.text import fold

SYSTOLIC_BOUNDS = (50, 300)
DIASTOLIC_BOUNDS = (20, 200)
GLUCOSE_BOUNDS = (0.5, 50.0)
MG_DL_PER_MMOL_L = 18.0


@dataclass(frozen=True)
class Readings:
    """The readings found in one reply; None where the reply gave none."""

    systolic: int | None = None  # mmHg
    diastolic: int | None = None  # mmHg
    glucose_mmol_l: float | None = None  # rounded to 1 decimal


@dataclass(frozen=True)
class AllReadings:
    """Every plausible reading in one reply, in the order the patient wrote them."""

    pressures: tuple[tuple[int, int], ...] = ()
    glucoses: tuple[float, ...] = ()


_BEFORE = r"(?<![0-9])(?<![0-9][.,])"
_AFTER = r"(?![0-9])(?![.,][0-9])"
_PAIR = re.compile(
    rf"{_BEFORE}(?P<sys>[0-9]{{1,3}}(?:[.,][0-9])?)"
    r"(?P<sep>\s*[/\\]\s*|\s+(?:op|over|sur)\s+|\s*-\s*)"
    rf"(?P<dia>[0-9]{{1,3}}(?:[.,][0-9])?){_AFTER}(?:\s*(?P<unit>mm|cm)\s*hg)?"
)
_LABELLED = re.compile(
    r"\b(?:bovendruk|bovenste|boven|systolis\w*|systolic|systolique|systole|sys|max\w*)"
    rf"\s*[:=]?\s*{_BEFORE}(?P<sys>[0-9]{{1,3}}(?:[.,][0-9])?){_AFTER}\s*(?:[mc]m\s*hg)?"
    r"\s*[,;/]?\s*(?:en|et|and|&)?\s*"
    r"(?:onderdruk|onderste|onder|diastolis\w*|diastolic|diastolique|diastole|dia|min\w*)"
    rf"\s*[:=]?\s*{_BEFORE}(?P<dia>[0-9]{{1,3}}(?:[.,][0-9])?){_AFTER}"
)
_DATE_PAIR = re.compile(rf"{_BEFORE}[0-9]{{1,2}}\s*[/\-]\s*[0-9]{{1,2}}{_AFTER}")
_GNUM = rf"(?<![0-9/])(?<![0-9][.,])(?P<num>[0-9]{{1,3}}(?:[.,][0-9]{{1,2}})?){_AFTER}"
_NUMBER = re.compile(rf"{_GNUM}(?!\s*/\s*[0-9])")
_SENTENCE_END = re.compile(r"[!?;\n]|\.(?![0-9])")
_WORD_REACH = 40  # how far after "suiker" a number may stand and still be its value
_BEFORE_WORD = re.compile(
    rf"{_GNUM}(?P<gap>\s*(?:(?:voor|van|de|du|for|pour|la|het|my|ma|mijn|le|mon)\s+){{0,2}})"
    rf"(?:{words.GLUCOSE_WORDS})\b"
)
_WITH_UNIT = re.compile(rf"{_GNUM}(?=\s*(?:mmol|mg|gr?\s*/|g\s+par|gramm))")
_G_AND_CENTIGRAMS = re.compile(r"(?<![0-9.,])(?P<g>[0-9])\s?g\s?(?P<cg>[0-9]{2})(?![0-9])")


def parse_readings(text: str) -> Readings:
    """The first blood pressure and the first glucose reading in `text`, normalised."""
    found = find_readings(text)
    systolic, diastolic = found.pressures[0] if found.pressures else (None, None)
    glucose = found.glucoses[0] if found.glucoses else None
    return Readings(systolic=systolic, diastolic=diastolic, glucose_mmol_l=glucose)


def find_readings(text: str) -> AllReadings:
    """Every plausible blood pressure (mmHg) and glucose (mmol/L) in `text`, in order."""
    masked = _mask(fold(text))
    pressures, rest = _pressures(masked)
    glucoses = _glucoses(rest, beside_pressure=bool(pressures))
    return AllReadings(pressures=tuple(pressures), glucoses=tuple(glucoses))


def plausible_pressure(systolic: int, diastolic: int) -> bool:
    """Within the physiological bounds, and systolic above diastolic."""
    return (SYSTOLIC_BOUNDS[0] <= systolic <= SYSTOLIC_BOUNDS[1]
            and DIASTOLIC_BOUNDS[0] <= diastolic <= DIASTOLIC_BOUNDS[1]
            and systolic > diastolic)


def _usual_pressure(systolic: int, diastolic: int) -> bool:
    """A bare `a/b` with no blood-pressure word must look like one: not `50/50`, `300/200`."""
    return 70 <= systolic <= 260 and 40 <= diastolic <= 160 and systolic - diastolic >= 10


def _blank(match: re.Match[str]) -> str:
    return " " * len(match.group(0))


def _mask(text: str) -> str:
    text = words.HBA1C.sub("hbaic", text)
    for mask in words.MASKS:
        text = mask.sub(_blank, text)
    return text


def _number(raw: str) -> float:
    return float(raw.replace(",", "."))


def _pressures(text: str) -> tuple[list[tuple[int, int]], str]:
    """Blood pressures in reading order, and the text with them blanked out."""
    found: list[tuple[int, tuple[int, int]]] = []
    spans: list[tuple[int, int]] = []
    for match in _LABELLED.finditer(text):
        pair = _pressure(match["sys"], match["dia"], bp_context=True, unit=None)
        if pair is not None:
            found.append((match.start(), pair))
            spans.append(match.span())
    text = _blank_spans(text, spans)
    for match in _PAIR.finditer(text):
        context = match["unit"] == "cm" or _bp_context(text, match.start(), match.end())
        if match["sep"].strip() == "-" and not context:
            continue  # "6-8" is a range; "tension 14-9" is a tension
        pair = _pressure(match["sys"], match["dia"], bp_context=context, unit=match["unit"])
        if pair is not None:
            found.append((match.start(), pair))
            spans.append(match.span())
    text = _DATE_PAIR.sub(_blank, _blank_spans(text, spans))
    return [pair for _, pair in sorted(found)], text


def _blank_spans(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _bp_context(text: str, start: int, end: int) -> bool:
    """A blood-pressure word close by, and no date preposition right before."""
    before = text[max(0, start - 40):start]
    if words.DATE_BEFORE.search(before):
        return False
    return bool(words.BP_WORD.search(before) or words.BP_WORD.search(text[end:end + 25]))


def _pressure(sys_raw: str, dia_raw: str, *, bp_context: bool,
              unit: str | None) -> tuple[int, int] | None:
    """mmHg when both are whole and plausible; else cmHg (x10) when the context says so."""
    systolic, diastolic = _number(sys_raw), _number(dia_raw)
    whole = systolic.is_integer() and diastolic.is_integer()
    if unit != "cm" and whole and plausible_pressure(int(systolic), int(diastolic)):
        if bp_context or unit == "mm" or _usual_pressure(int(systolic), int(diastolic)):
            return int(systolic), int(diastolic)
    # cmHg: "13/8", "12,5/8"; "12/03" with its leading zero is a date, not a tension.
    if (unit != "mm" and bp_context and 7 <= systolic <= 26 and 4 <= diastolic <= 15
            and not dia_raw.startswith("0")):
        pair = round(systolic * 10), round(diastolic * 10)
        if plausible_pressure(*pair):
            return pair
    return None


def _glucoses(text: str, *, beside_pressure: bool) -> list[float]:
    """Glucose readings in mmol/L in reading order, from words, units and the g/L shorthand."""
    found: dict[int, float | None] = {}
    for match in _G_AND_CENTIGRAMS.finditer(text):
        grams = int(match["g"]) + int(match["cg"]) / 100
        found[match.start()] = _in_bounds(grams * 1000 / 10 / MG_DL_PER_MMOL_L)
    text = _G_AND_CENTIGRAMS.sub(_blank, text)
    for word in words.GLUCOSE_WORD.finditer(text):
        _after_word(text, word.end(), found)
    for match in _BEFORE_WORD.finditer(text):
        if any(c in match["num"] for c in ".,"):
            _keep(found, match.start("num"), _glucose(text, match.end("num"), match["num"], True))
    for match in _WITH_UNIT.finditer(text):
        if not _other_measure_before(text, match.start()):
            _keep(found, match.start("num"), _glucose(text, match.end("num"), match["num"], False))
    values = [value for _, value in sorted(found.items()) if value is not None]
    if not values and beside_pressure:
        values = _lone_decimal(text)
    return values


def _after_word(text: str, start: int, found: dict[int, float | None]) -> None:
    """The first number after a glucose word that is a glucose, within the same sentence."""
    end = min(len(text), start + _WORD_REACH + 12)  # a window, so long texts stay linear
    for match in _NUMBER.finditer(text, start, end):
        gap = text[start:match.start()]
        if (match.start() - start > _WORD_REACH or _SENTENCE_END.search(gap)
                or words.BP_WORD.search(gap) or words.OTHER_MEASURE.search(gap)
                or (match.end() == end < len(text))):  # cut off by the window: unsure
            return
        value = _glucose(text, match.end("num"), match["num"], True)
        if value is not None:
            _keep(found, match.start("num"), value)
            return


def _keep(found: dict[int, float | None], position: int, value: float | None) -> None:
    if found.get(position) is None:
        found[position] = value


def _glucose(text: str, end: int, raw: str, after_word: bool) -> float | None:
    """The value at text[..end] in mmol/L, by its unit, or None when it counts something else."""
    value = _number(raw)
    unit = words.GLUCOSE_UNIT.match(text, end)
    if unit is not None and (unit["mg"] is None or after_word):
        if unit["mmol"]:
            return _in_bounds(value)
        if unit["gl"]:
            return _in_bounds(value * 1000 / 10 / MG_DL_PER_MMOL_L)
        return _in_bounds(value / MG_DL_PER_MMOL_L)
    if not after_word or words.NOT_A_READING_AFTER.match(text, end):
        return None
    if end < len(text) and text[end].isalpha():
        return None
    # After a glucose word: under 35 is mmol/L, from 35 up the mg/dL of Belgian meters.
    return _in_bounds(value if value < 35 else value / MG_DL_PER_MMOL_L)


def _in_bounds(mmol_l: float) -> float | None:
    value = round(mmol_l, 1)
    return value if GLUCOSE_BOUNDS[0] <= value <= GLUCOSE_BOUNDS[1] else None


def _other_measure_before(text: str, start: int) -> bool:
    """Cholesterol 5,2 mmol/L is not a glucose: another measure named shortly before."""
    before = text[max(0, start - 30):start]
    return bool(words.OTHER_MEASURE.search(before)) and not words.GLUCOSE_WORD.search(before)


def _lone_decimal(text: str) -> list[float]:
    """`130/80 en 6,5`: the one decimal beside a blood pressure is the glucose asked for."""
    candidates = [
        match for match in _NUMBER.finditer(text)
        if any(c in match["num"] for c in ".,")
        and 2 <= _number(match["num"]) < 35
        and not words.NOT_A_READING_AFTER.match(text, match.end())
        and not (match.end() < len(text) and text[match.end()].isalpha())
        and not _other_measure_before(text, match.start())
    ]
    if len(candidates) != 1:
        return []
    value = _in_bounds(_number(candidates[0]["num"]))
    return [] if value is None else [value]
