"""Blood-sugar readings in a reply whose blood pressures are already blanked out.

Part of `bot.triage.readings` (see its docstring for the forms read): a glucose is read from
a unit (`7,8 mmol/L`, `140 mg/dL`, `1,4 g/L`, `1g40`), from the number after a glucose word
(`suiker 6,4`, `glycémie 1,26`: its unit assumed by plausibility), or from a lone decimal
beside a blood pressure. Values come out in mmol/L, rounded to one decimal, and a value
outside the physiological bounds is never returned: when in doubt, no reading.
"""

from __future__ import annotations

import re

from bot.triage import reading_words as words

GLUCOSE_BOUNDS = (0.5, 50.0)
MG_DL_PER_MMOL_L = 18.0
# A bare number after a glucose word in a French reply, read as g/L (Belgian meters).
FRENCH_G_PER_L = (0.4, 3.5)

_AFTER = r"(?![0-9])(?![.,][0-9])"
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


def number(raw: str) -> float:
    return float(raw.replace(",", "."))


def in_bounds(mmol_l: float) -> float | None:
    value = round(mmol_l, 1)
    return value if GLUCOSE_BOUNDS[0] <= value <= GLUCOSE_BOUNDS[1] else None


class GlucoseReader:
    """Reads the glucoses of one text; `assumed` tells whether a unit had to be guessed."""

    def __init__(self, text: str, *, french: bool) -> None:
        self.text = text
        self.french = french
        self.assumed = False
        self._found: dict[int, float | None] = {}

    def read(self, *, beside_pressure: bool) -> list[float]:
        """Glucose readings in mmol/L in reading order."""
        found = self._found
        for match in _G_AND_CENTIGRAMS.finditer(self.text):
            grams = int(match["g"]) + int(match["cg"]) / 100
            found[match.start()] = in_bounds(grams * 1000 / 10 / MG_DL_PER_MMOL_L)
        self.text = _G_AND_CENTIGRAMS.sub(lambda m: " " * len(m.group(0)), self.text)
        for word in words.GLUCOSE_WORD.finditer(self.text):
            self._after_word(word.end())
        for match in _BEFORE_WORD.finditer(self.text):
            if any(c in match["num"] for c in ".,"):
                self._keep(match.start("num"), self._value(match.end("num"), match["num"], True))
        for match in _WITH_UNIT.finditer(self.text):
            if not self._other_measure_before(match.start()):
                self._keep(match.start("num"), self._value(match.end("num"), match["num"], False))
        values = [value for _, value in sorted(found.items()) if value is not None]
        if not values and beside_pressure:
            values = self._lone_decimal()
        return values

    def _after_word(self, start: int) -> None:
        """The numbers after a glucose word that are glucoses, within the same sentence: the
        first one, and the next ones that look like readings too (`bg 95 this morning and
        380 after dinner`; a small whole number after the first is a count, not a reading)."""
        text = self.text
        end = min(len(text), start + 3 * _WORD_REACH)  # a window, so long texts stay linear
        previous, first = start, True
        for match in _NUMBER.finditer(text, start, end):
            gap = text[previous : match.start()]
            if (
                match.start() - previous > _WORD_REACH
                or _SENTENCE_END.search(gap)
                or words.BP_WORD.search(gap)
                or words.OTHER_MEASURE.search(gap)
                or (match.end() == end < len(text))
            ):  # cut off by the window: unsure
                return
            raw = match["num"]
            if first or any(c in raw for c in ".,") or number(raw) >= 35:
                value = self._value(match.end("num"), raw, True)
                if value is not None:
                    self._keep(match.start("num"), value)
                    first = False
            previous = match.end()

    def _keep(self, position: int, value: float | None) -> None:
        if self._found.get(position) is None:
            self._found[position] = value

    def _value(self, end: int, raw: str, after_word: bool) -> float | None:
        """The value at text[..end] in mmol/L by its unit, or None when it counts something
        else. After a glucose word with no unit: from 35 up the mg/dL of Belgian meters; in a
        French reply 0.4-3.5 is g/L; otherwise mmol/L (and the unit is marked assumed)."""
        text, value = self.text, number(raw)
        unit = words.GLUCOSE_UNIT.match(text, end)
        if unit is not None and (unit["mg"] is None or after_word):
            if unit["mmol"]:
                return in_bounds(value)
            if unit["gl"]:
                return in_bounds(value * 1000 / 10 / MG_DL_PER_MMOL_L)
            return in_bounds(value / MG_DL_PER_MMOL_L)
        if not after_word or words.NOT_A_READING_AFTER.match(text, end):
            return None
        if end < len(text) and text[end].isalpha():
            return None
        if value >= 35:
            mmol_l = value / MG_DL_PER_MMOL_L
        elif self.french and FRENCH_G_PER_L[0] <= value <= FRENCH_G_PER_L[1]:
            mmol_l = value * 100 / MG_DL_PER_MMOL_L
        else:
            mmol_l = value
        result = in_bounds(mmol_l)
        self.assumed = self.assumed or result is not None
        return result

    def _other_measure_before(self, start: int) -> bool:
        """Cholesterol 5,2 mmol/L is not a glucose: another measure named shortly before."""
        before = self.text[max(0, start - 30) : start]
        return bool(words.OTHER_MEASURE.search(before)) and not words.GLUCOSE_WORD.search(before)

    def _lone_decimal(self) -> list[float]:
        """`130/80 en 6,5`: the one decimal beside a blood pressure is the glucose asked for."""
        text = self.text
        candidates = [
            match
            for match in _NUMBER.finditer(text)
            if any(c in match["num"] for c in ".,")
            and 2 <= number(match["num"]) < 35
            and not words.NOT_A_READING_AFTER.match(text, match.end())
            and not (match.end() < len(text) and text[match.end()].isalpha())
            and not self._other_measure_before(match.start())
        ]
        if len(candidates) != 1:
            return []
        value = in_bounds(number(candidates[0]["num"]))
        if value is None:
            return []
        self.assumed = True
        return [value]
