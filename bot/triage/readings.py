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
  Belgian meters show; in a French reply, 0.4 to 3.5 is g/L (Belgian and French meters show
  `1,26 g/L`, which as mmol/L would be a coma). Such a value has its unit *assumed*, and the
  reply says so. A lone decimal beside a blood pressure (`130/80 en 6,5`) is taken as the
  glucose the weekly reminder asked for (its unit assumed too). A meter's `HI` or `LO` after a
  glucose or meter word is a reading too high or too low to show: urgent.
- Several readings of a kind are all kept (`suiker 5,6 en 14,2 na het eten`, `bg 95 this
  morning and 380 after dinner`), in any order of their words (`onderdruk 95 bovendruk 152`).

Dates, clock times and phone numbers are blanked out before any number is read, and a value
outside the physiological bounds below is never returned: when in doubt, no reading. When a
reply holds several readings, `parse_readings` keeps the first of each kind and
`find_readings` returns them all (triage flags on every one of them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.triage import reading_words as words
from bot.triage.glucose import GlucoseReader
from bot.triage.normalise import normalise

SYSTOLIC_BOUNDS = (50, 300)
DIASTOLIC_BOUNDS = (20, 200)


@dataclass(frozen=True)
class Readings:
    """The readings found in one reply; None where the reply gave none."""

    systolic: int | None = None  # mmHg
    diastolic: int | None = None  # mmHg
    glucose_mmol_l: float | None = None  # rounded to 1 decimal
    glucose_unit_assumed: bool = False  # no unit written: read by plausibility
    glucose_code: str | None = None  # "HI" or "LO": the meter could not show a number


@dataclass(frozen=True)
class AllReadings:
    """Every plausible reading in one reply, in the order the patient wrote them."""

    pressures: tuple[tuple[int, int], ...] = ()
    glucoses: tuple[float, ...] = ()
    glucose_codes: tuple[str, ...] = ()  # "HI", "LO"
    unit_assumed: bool = False  # some glucose was read without a unit


_BEFORE = r"(?<![0-9])(?<![0-9][.,])"
_AFTER = r"(?![0-9])(?![.,][0-9])"
_PAIR = re.compile(
    rf"{_BEFORE}(?P<sys>[0-9]{{1,3}}(?:[.,][0-9])?)"
    r"(?P<sep>\s*[/\\]\s*|\s+(?:op|over|sur)\s+|\s*-\s*)"
    rf"(?P<dia>[0-9]{{1,3}}(?:[.,][0-9])?){_AFTER}(?:\s*(?P<unit>mm|cm)\s*hg)?"
)
_LABELLED = re.compile(
    r"\b(?:bovendruk|bovenste|boven|systolis\w*|systolic|systolique|systole|sys|max\w*|haute)"
    rf"\s*[:=]?\s*{_BEFORE}(?P<sys>[0-9]{{1,3}}(?:[.,][0-9])?){_AFTER}\s*(?:[mc]m\s*hg)?"
    r"\s*[,;/]?\s*(?:en|et|and|&)?\s*"
    r"(?:onderdruk|onderste|onder|diastolis\w*|diastolic|diastolique|diastole|dia|min\w*|basse)"
    rf"\s*[:=]?\s*{_BEFORE}(?P<dia>[0-9]{{1,3}}(?:[.,][0-9])?){_AFTER}"
)
_LABELLED_REVERSED = re.compile(
    r"\b(?:onderdruk|onderste|onder|diastolis\w*|diastolic|diastolique|diastole|dia|min\w*"
    r"|basse)"
    rf"\s*[:=]?\s*{_BEFORE}(?P<dia>[0-9]{{1,3}}(?:[.,][0-9])?){_AFTER}\s*(?:[mc]m\s*hg)?"
    r"\s*[,;/]?\s*(?:en|et|and|&)?\s*"
    r"(?:bovendruk|bovenste|boven|systolis\w*|systolic|systolique|systole|sys|max\w*|haute)"
    rf"\s*[:=]?\s*{_BEFORE}(?P<sys>[0-9]{{1,3}}(?:[.,][0-9])?){_AFTER}"
)
_DATE_PAIR = re.compile(rf"{_BEFORE}[0-9]{{1,2}}\s*[/\-]\s*[0-9]{{1,2}}{_AFTER}")


def parse_readings(text: str, *, language: str | None = None) -> Readings:
    """The first blood pressure and the first glucose reading in `text`, normalised."""
    return first_readings(find_readings(text, language=language))


def first_readings(found: AllReadings) -> Readings:
    """The first reading of each kind, as the reply's summary."""
    systolic, diastolic = found.pressures[0] if found.pressures else (None, None)
    glucose = found.glucoses[0] if found.glucoses else None
    return Readings(
        systolic=systolic,
        diastolic=diastolic,
        glucose_mmol_l=glucose,
        glucose_unit_assumed=found.unit_assumed,
        glucose_code=found.glucose_codes[0] if found.glucose_codes else None,
    )


def find_readings(text: str, *, language: str | None = None) -> AllReadings:
    """Every plausible blood pressure (mmHg) and glucose (mmol/L) in `text`, in order.

    `language` is the patient's ("nl", "fr", "en"): a bare glucose of 0.4-3.5 in a French
    reply is g/L. Unknown, a French glucose word (`glycémie`, `sucre`) decides.
    """
    masked = _mask(normalise(text))
    pressures, rest = _pressures(masked)
    french = language == "fr" or (language is None and bool(words.FRENCH_GLUCOSE.search(rest)))
    reader = GlucoseReader(rest, french=french)
    glucoses = reader.read(beside_pressure=bool(pressures))
    return AllReadings(
        pressures=tuple(pressures),
        glucoses=tuple(glucoses),
        glucose_codes=tuple(_codes(rest)),
        unit_assumed=reader.assumed,
    )


def _codes(text: str) -> list[str]:
    """`HI` / `LO` shown by a meter, after a glucose or meter word ("suiker HI", "meter says
    LO"), or just before a meter word ("HI op de meter")."""
    return [(match["code"] or match["code2"]).upper() for match in words.METER_CODE.finditer(text)]


def plausible_pressure(systolic: int, diastolic: int) -> bool:
    """Within the physiological bounds, and systolic above diastolic."""
    return (
        SYSTOLIC_BOUNDS[0] <= systolic <= SYSTOLIC_BOUNDS[1]
        and DIASTOLIC_BOUNDS[0] <= diastolic <= DIASTOLIC_BOUNDS[1]
        and systolic > diastolic
    )


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
    for labelled in (_LABELLED, _LABELLED_REVERSED):
        for match in labelled.finditer(_blank_spans(text, spans)):
            pair = _pressure(match["sys"], match["dia"], bp_context=True, unit=None)
            if pair is not None:
                found.append((match.start(), pair))
                spans.append(match.span())
    text = _blank_spans(text, spans)
    for match in _PAIR.finditer(text):
        # "19 op 11" is how a reading is said, never a date: a blood-pressure context too.
        context = (
            match["unit"] == "cm"
            or match["sep"].strip() in ("op", "over", "sur")
            or _bp_context(text, match.start(), match.end())
        )
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
    before = text[max(0, start - 40) : start]
    if words.DATE_BEFORE.search(before):
        return False
    return bool(
        words.BP_WORD.search(before)
        or words.BP_WORD.search(text[end : end + 25])
        or words.TIME_OF_DAY.search(before)
    )


def _pressure(
    sys_raw: str, dia_raw: str, *, bp_context: bool, unit: str | None
) -> tuple[int, int] | None:
    """mmHg when both are whole and plausible; else cmHg (x10) when the context says so."""
    systolic, diastolic = _number(sys_raw), _number(dia_raw)
    whole = systolic.is_integer() and diastolic.is_integer()
    if unit != "cm" and whole and plausible_pressure(int(systolic), int(diastolic)):
        if bp_context or unit == "mm" or _usual_pressure(int(systolic), int(diastolic)):
            return int(systolic), int(diastolic)
    # cmHg: "13/8", "12,5/8"; "12/03" with its leading zero is a date, not a tension.
    if (
        unit != "mm"
        and bp_context
        and 7 <= systolic <= 26
        and 4 <= diastolic <= 15
        and not dia_raw.startswith("0")
    ):
        pair = round(systolic * 10), round(diastolic * 10)
        if plausible_pressure(*pair):
            return pair
    return None
