"""Stroke warning signs (BE-FAST), chest pain, fainting and confusion in a reply, nl/fr/en.

`warning_signs("mijn arm is slap en ik praat raar")` gives `("arm", "speech")`. A detected
sign makes the reply `urgent`: the patient is told at once to call the emergency number.

The reply is first folded and normalised (`bot.triage.normalise`: no accents, Flemish and
text-message forms spelled out), its one-letter typos of key words repaired
(`bot.triage.typos`), then read by the concept grammar (`bot.triage.sign_rules`): a loss of an
ability with a body part or a sense, a body part with a quality of its own, and the signs
named by a word of their own. Missing a sign is far worse than a false alarm, so the rule is:
when unsure, it is a sign. A sign is dropped only when it is clearly negated in its own part
of the sentence ("geen pijn op de borst", "pas de vertiges", "chest pain? no."), never
because it is over ("my arm was weak this morning, fine now" is a transient weakness, and
urgent).
"""

from __future__ import annotations

from bot.triage import sign_rules
from bot.triage.concepts import CONCEPTS
from bot.triage.normalise import normalise
from bot.triage.typos import repair_text

SIGNS = (
    "balance",
    "eyes",
    "face",
    "arm",
    "leg",
    "speech",
    "chest_pain",
    "headache",
    "faint",
    "confusion",
    "stroke",
)
# Words the lexicons spell out themselves are never "repaired" into another word.
_SPELLED_OUT = frozenset(word for word in CONCEPTS.words() if len(word) >= 5)


def warning_signs(text: str) -> tuple[str, ...]:
    """The warning signs named in `text`, in the order of SIGNS, each at most once."""
    found = sign_rules.signs(repair_text(normalise(text), _SPELLED_OUT))
    return tuple(sign for sign in SIGNS if sign in found)
