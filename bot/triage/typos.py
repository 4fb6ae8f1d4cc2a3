"""Typo repair for warning-sign detection: `hoofdpijm`, `bouhe`, `faibe`, `double vison`.

A patient with a weak hand types badly, and the reply that matters most is the one typed
worst. Before the sign grammar runs, a word of five letters or more that is one edit (a
letter missing, added, changed, or two letters swapped) away from one of a few long key
words is read as that key word. Real words that sit one edit away from a key word (`fiable`
is not `faible`, `touche` is not `bouche`) and every word the lexicons spell out themselves
are left alone. Short words are never repaired: too many real words are one edit apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

KEY_WORDS = frozenset(
    (
        "hoofdpijn",
        "duizelig",
        "duizeligheid",
        "evenwicht",
        "gezicht",
        "scheve",
        "scheef",
        "praten",
        "spraak",
        "dubbel",
        "wazig",
        "krachteloos",
        "gevoelloos",
        "verlamd",
        "verdoofd",
        "douleur",
        "thoracique",
        "poitrine",
        "bouche",
        "travers",
        "visage",
        "faible",
        "vertige",
        "vertiges",
        "tourne",
        "double",
        "equilibre",
        "engourdi",
        "engourdie",
        "paralyse",
        "paralysee",
        "difficile",
        "headache",
        "drooping",
        "droopy",
        "slurred",
        "slurring",
        "speech",
        "vision",
        "blurry",
        "blurred",
        "dizzy",
        "dizziness",
        "balance",
        "weakness",
        "numbness",
        "crooked",
        "lopsided",
        "paralysed",
        "paralyzed",
        "tingling",
        "chest",
        "borst",
    )
)
# Real words one edit away from a key word: never "repaired" into it.
REAL_NEIGHBOURS = frozenset(
    (
        "fiable",
        "fable",
        "touche",
        "mouche",
        "louche",
        "couche",
        "boucle",
        "boucher",
        "tournee",
        "tourner",
        "tournez",
        "chess",
        "chase",
        "month",
        "fizzy",
        "tizzy",
        "lizzy",
        "visions",
        "doubles",
        "doubler",
        "doubly",
        "travels",
        "traverse",
        "valance",
        "balanced",
        "balances",
        "parole",
        "prater",
        "dubbele",
        "wazige",
        "spraken",
        "cheat",
        "chests",
        "headaches",
        "visages",
        "vertigo",
        "worst",
        "burst",
        "dorst",
        "horst",
        "borsa",
        "boost",
        "douche",
        "platen",
        "scheen",
        "gedicht",
        "gewicht",
        "sprak",
        "slurped",
        "crest",
    )
)
_WORD = re.compile(r"[a-z]{5,}")


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _index(words: Iterable[str]) -> dict[str, set[str]]:
    index: dict[str, set[str]] = {}
    for word in words:
        for variant in _deletions(word) | {word}:
            index.setdefault(variant, set()).add(word)
    return index


_INDEX = _index(KEY_WORDS)


def _one_edit(a: str, b: str) -> bool:
    """Optimal string alignment distance of exactly one (no two-edit false friends)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        return len(diffs) == 1 or (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def repair(word: str, known: frozenset[str] = frozenset()) -> str:
    """`word`, or the one key word it is a one-edit typo of."""
    if word in KEY_WORDS or word in REAL_NEIGHBOURS or word in known:
        return word
    candidates: set[str] = set()
    for variant in _deletions(word) | {word}:
        candidates |= _INDEX.get(variant, set())
    matches = sorted(key for key in candidates if _one_edit(word, key))
    return matches[0] if matches else word  # "blurrey": blurred or blurry, both say it


def repair_text(text: str, known: frozenset[str] = frozenset()) -> str:
    """Normalised `text` (`bot.triage.normalise`, which spells out "nie" and the like) with
    its typos of key words repaired (see the module docstring)."""
    return _WORD.sub(lambda m: repair(m.group(0), known), text)
