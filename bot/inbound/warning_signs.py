"""Stroke warning signs (BE-FAST) and chest pain in a patient's reply, in nl, fr and en.

`warning_signs("mijn arm is slap en ik praat raar")` gives `("arm", "speech")`. A detected
sign makes the reply `urgent`: the patient is told at once to call the emergency number.

Missing a sign is far worse than a false alarm, so the rule is: when unsure, it is a sign.
A sign is dropped only when it is clearly negated in its own clause — "geen pijn op de
borst", "pas de vertiges", "no chest pain today", "chest pain? no." — never because it is
over ("my arm was weak this morning, fine now" is a transient weakness, and urgent). The
word lists live in `bot.inbound.sign_words`.
"""

from __future__ import annotations

import re

from bot.inbound import grammar
from bot.inbound.normalise import normalise
from bot.inbound.sign_words import NEGATIONS, SIGN_PATTERNS
from bot.inbound.typos import repair_text

SIGNS = ("balance", "eyes", "face", "arm", "leg", "speech", "chest_pain", "headache", "faint",
         "confusion", "stroke")

_COMPILED = {sign: re.compile("|".join(f"(?:{p})" for p in patterns))
             for sign, patterns in SIGN_PATTERNS.items()}
# Words the patterns spell out themselves are never "repaired" into another word.
_SPELLED_OUT = frozenset(re.findall(r"[a-z]{5,}", " ".join(
    pattern for patterns in SIGN_PATTERNS.values() for pattern in patterns)))
_NEGATION = re.compile(rf"^(?:{NEGATIONS})$")
# "je ne vois plus", "n'ai plus de force": French "plus" makes an inability, not a negation.
_NEGATION_INSIDE = re.compile(rf"\b(?:{NEGATIONS}|plus)\b")
# A clause ends at punctuation or at a word that turns the sentence: "geen koorts, wel duizelig".
_CLAUSE_END = re.compile(
    r"[.,;:!?()\n]|\b(?:maar|but|mais|en|and|et|toch|wel|however|though|although|alleen|only"
    r"|sauf|except|behalve|dus|so|puis|then|dan)\b"
)
# Words that show a negation is about something else: "niet goed duizelig", "don't know why".
_NOT_ABOUT_THE_SIGN = frozenset(
    "goed lekker bien well good know weet sais why waarom pourquoi if als si whether think"
    " denk pense sure zeker understand begrijp comprends".split()
)
_TOKEN = re.compile(r"[\w']+")
_NEGATION_REACH = 4  # words before a sign that a negation may stand in
_LOOK_BACK = 120  # characters: more than four words, and long texts stay linear
# "pijn op de borst: nee", "chest pain? no.", "vertiges : non merci"
_ANSWERED_NO = re.compile(
    r"\s*[:?=\-]*\s*(?:nee|neen|no|non|nope|none|geen|nada|niks|rien|aucune?|nein)\b"
    r"\s*(?:$|[.,;!]|(?:hoor|merci|thanks|thank you|dank u|bedankt)\b)"
)


def warning_signs(text: str) -> tuple[str, ...]:
    """The warning signs named in `text`, in the order of SIGNS, each at most once."""
    folded = repair_text(normalise(text), _SPELLED_OUT)
    found = grammar.signs(folded)
    return tuple(sign for sign in SIGNS if sign in found or (
        sign in _COMPILED and _mentions(folded, _COMPILED[sign])))


def _mentions(text: str, pattern: re.Pattern[str]) -> bool:
    return any(not _negated(text, match) for match in pattern.finditer(text))


def _negated(text: str, match: re.Match[str]) -> bool:
    """Clearly negated: a negation just before it in its clause, or a 'no' answering it."""
    if _NEGATION_INSIDE.search(match.group(0)):
        return False  # phrased as an inability ("can't see", "kan niet praten"): a sign
    if _ANSWERED_NO.match(text, match.end()):
        return True
    before = text[max(0, match.start() - _LOOK_BACK):match.start()]
    clause = _CLAUSE_END.split(before)[-1]
    tokens = _TOKEN.findall(clause)[-_NEGATION_REACH:]
    if any(token in _NOT_ABOUT_THE_SIGN for token in tokens):
        return False  # "ik weet niet of ik duizelig ben": unsure, so a sign
    return any(_NEGATION.match(token) for token in tokens)
