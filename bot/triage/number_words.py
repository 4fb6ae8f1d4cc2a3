"""Numbers written or dictated as words, in nl, fr and en: "cent nonante sur nonante" is
"190 sur 90", "honderdvijftig op vijfennegentig" is "150 op 95", "two point five" is
"2 point 5" (which `bot.triage.normalise` then reads as 2,5).

Only a run of number words that makes a number of two or more is replaced: "een", "un",
"une" and "one" alone are articles more often than numbers ("een beetje hoog"), and a reply
that says "suiker een beetje hoog" must not read as a glucose of 1. Belgian and Swiss French
(septante, huitante, nonante) and French French (soixante-dix, quatre-vingt-dix) both count.
Each word is looked up once, so the cost is linear in the length of the reply.
"""

from __future__ import annotations

import re

_UNITS = {
    "een": 1,
    "twee": 2,
    "drie": 3,
    "vier": 4,
    "vijf": 5,
    "zes": 6,
    "zeven": 7,
    "acht": 8,
    "negen": 9,
    "tien": 10,
    "elf": 11,
    "twaalf": 12,
    "dertien": 13,
    "veertien": 14,
    "vijftien": 15,
    "zestien": 16,
    "zeventien": 17,
    "achttien": 18,
    "negentien": 19,
    "un": 1,
    "une": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "cinq": 5,
    "six": 6,
    "sept": 7,
    "huit": 8,
    "neuf": 9,
    "dix": 10,
    "onze": 11,
    "douze": 12,
    "treize": 13,
    "quatorze": 14,
    "quinze": 15,
    "seize": 16,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twintig": 20,
    "dertig": 30,
    "veertig": 40,
    "vijftig": 50,
    "zestig": 60,
    "zeventig": 70,
    "tachtig": 80,
    "negentig": 90,
    "vingt": 20,
    "trente": 30,
    "quarante": 40,
    "cinquante": 50,
    "soixante": 60,
    "septante": 70,
    "huitante": 80,
    "octante": 80,
    "nonante": 90,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_HUNDRED = frozenset(("honderd", "cent", "cents", "hundred"))
_JOINERS = frozenset(("et", "and", "en"))  # "vingt et un", "a hundred and ten"
# Dutch writes units before tens in one word: "vijfennegentig" is 95; "honderdvijftig" is 150.
_DUTCH = re.compile(
    r"^(?P<hundred>(?:(?:twee|drie|vier|vijf|zes|zeven|acht|negen)?honderd))?"
    r"(?:(?P<unit>een|twee|drie|vier|vijf|zes|zeven|acht|negen)en)?"
    r"(?P<rest>[a-z]*)$"
)
_WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")
_A_HUNDRED = re.compile(r"\ba hundred\b")


def value_of(word: str) -> int | None:
    """The value of one number word ("vijfennegentig" 95, "quatre-vingt-dix" 90), or None."""
    if "-" in word:
        total = 0
        for part in word.split("-"):
            part_value = value_of(part)
            if part_value is None:
                return None
            total = (
                total * part_value
                if part in ("vingt", "vingts") and total
                else (total + part_value)
            )
        return total
    if word in _UNITS:
        return _UNITS[word]
    if word in _TENS:
        return _TENS[word]
    if word in _HUNDRED:
        return 100
    if word == "vingts":
        return 20
    match = _DUTCH.match(word)
    if (
        match
        and (match["hundred"] or match["unit"])
        and (not match["rest"] or match["rest"] in _TENS or match["rest"] in _UNITS)
    ):
        hundred = match["hundred"]
        total = (_UNITS.get(hundred[: -len("honderd")], 1) * 100) if hundred else 0
        total += _UNITS.get(match["unit"] or "", 0)
        rest = match["rest"]
        total += _TENS.get(rest, 0) + (_UNITS.get(rest, 0) if rest not in _TENS else 0)
        return total if total else None
    return None


def spell_numbers(text: str) -> str:
    """`text` with its runs of number words written as digits (folded text expected)."""
    text = _A_HUNDRED.sub("one hundred", text)
    runs: list[tuple[int, int, list[int]]] = []  # start, end, values
    for match in _WORD.finditer(text):
        word = match.group(0)
        value = value_of(word)
        joined = bool(runs) and runs[-1][1] == _skip_space(text, runs[-1][1], match.start())
        if value is not None:
            if joined and runs[-1][2]:
                runs[-1] = (runs[-1][0], match.end(), [*runs[-1][2], value])
            else:
                runs.append((match.start(), match.end(), [value]))
        elif word in _JOINERS and joined and runs[-1][2]:
            continue  # "vingt et un": the run goes on after "et"
        else:
            runs.append((match.start(), match.start(), []))  # breaks the run
    pieces, last = [], 0
    for start, end, values in runs:
        if values and (len(values) > 1 or values[0] >= 2):
            pieces += [text[last:start], str(_number(values))]
            last = end
    return "".join(pieces) + text[last:] if pieces else text


def _skip_space(text: str, end: int, start: int) -> int:
    """`end` when only spaces (or a joining word) lie between `end` and `start`."""
    between = text[end:start].strip()
    return end if not between or between in _JOINERS else -1


def _number(values: list[int]) -> int:
    """'cent nonante' [100, 90] -> 190; 'quatre vingt dix' [4, 20, 10] -> 90."""
    total = 0
    for value in values:
        if value == 100:
            total = (total or 1) * 100
        elif value == 20 and 1 < total < 20:  # "quatre vingt": four twenties
            total *= 20
        else:
            total += value
    return total
