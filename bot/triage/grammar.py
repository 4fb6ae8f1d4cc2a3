"""Reading a reply as clauses of words tagged with concepts, and where negation reaches.

The reply (already folded and normalised: `bot.triage.normalise`) is cut into clauses at `.`,
`;`, `!`, `?` or a new line; fixed expressions are joined into one word (`IDIOMS`), and each word
is tagged with its concepts (`bot.triage.concepts`). A comma, or a word that turns the sentence
("maar", "but", "mais"), starts a new *part* of the clause: a negation reaches only the words
after it in its own part ("geen pijn op de borst maar mijn arm is slap"). `bot.triage.sign_rules`
combines the tagged words into warning signs; `body_changes` is the weaker rule behind
`attention`.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

from bot.triage.concepts import CONCEPTS, IDIOMS

# Where a clause ends ("ik zie maar de helft": Dutch "maar" is also "only", so it only
# starts a new part).
_CLAUSE_BREAK = re.compile(r"[.;!?()\n]+")
_TURN = frozenset(
    (
        "maar",
        "but",
        "mais",
        "toch",
        "however",
        "although",
        "though",
        "alleen",
        "sauf",
        "except",
        "behalve",
        "wel",
        "pourtant",
        "cependant",
        "yet",
        "whereas",
    )
)
_TOKEN = re.compile(
    r"[a-z]+n't|[a-z]+(?='s\b)|'s\b|[a-z]+'(?:re|ve|ll|d|m)\b|qu'|[a-z]'"
    r"|[a-z]+(?:-[a-z]+)?|[0-9]+|,"
)
_IDIOM = re.compile(
    r"\b(?:" + "|".join(re.escape(k) for k in sorted(IDIOMS, key=len, reverse=True)) + r")\b"
)
REACH = 4  # words before a quality that a negation may stand in
WINDOW = 6  # words between a body part and its quality


@dataclass(frozen=True)
class Word:
    text: str
    tags: frozenset[str]
    part: int  # which comma-separated part of its clause


class Clause(list[Word]):
    """The words of one clause, and every concept any of them says (looked up once, so that
    a rule asking "does the clause name a leg?" costs nothing per word)."""

    tags: frozenset[str] = frozenset()


def clauses(text: str) -> list[Clause]:
    """The normalised reply as clauses of tagged words."""
    text = _IDIOM.sub(lambda m: IDIOMS[m.group(0)] + " " * m.group(0).endswith("'"), text)
    result = []
    for chunk in _CLAUSE_BREAK.split(text):
        words: list[Word] = []
        part = 0
        previous = ""
        for token in _TOKEN.findall(chunk):
            if token == ",":
                part += 1
                continue
            if token in _TURN:  # it starts a new part, and stays a word ("alleen": only)
                part += 1
            tags = CONCEPTS.concepts(token) or (
                _run_together(token) if len(token) > 5 else frozenset()
            )
            for prefix in ("linker", "rechter"):  # "linkerarm" is a left arm
                if token.startswith(prefix) and len(token) > len(prefix) + 1:
                    tags = tags | CONCEPTS.concepts(token[len(prefix) :]) | {"side"}
            if token == "been" and previous in _HAVE:  # "I have been weak": no leg
                tags = tags - {"leg"}
            words.append(Word(token, frozenset(tags), part))
            previous = token
        if words:
            clause = Clause(words)
            clause.tags = frozenset().union(*(w.tags for w in words))
            result.append(clause)
    return result


def _run_together(token: str) -> frozenset[str]:
    """The concepts of a word typed together with the one before: "isflauwgevallen"."""
    for k in range(2, len(token) - 3):
        head, tail = token[:k], token[k:]
        if head in _GLUE and (tags := CONCEPTS.concepts(tail)):
            return tags
    return frozenset()


_GLUE = frozenset(
    (
        "is",
        "ik",
        "en",
        "mijn",
        "zijn",
        "hij",
        "ze",
        "was",
        "ben",
        "de",
        "het",
        "een",
        "mn",
        "my",
        "i",
        "is",
        "and",
        "the",
        "je",
        "j",
        "il",
        "elle",
        "et",
        "le",
        "la",
        "ma",
        "mon",
        "geen",
        "niet",
        "no",
        "pas",
        "heel",
        "very",
        "zo",
    )
)
_COORDINATORS = frozenset(("or", "of", "ou", "nor", "noch", "ni"))
_NEGATION_INSIDE = frozenset(("notmine", "sansforce", "insensible", "cantstand"))
_HAVE = frozenset(
    (
        "have",
        "has",
        "had",
        "i've",
        "we've",
        "you've",
        "it's",
        "he's",
        "she's",
        "having",
        "never",
        "ever",
        "always",
        "not",
    )
)


def answered(parts: list[Clause]) -> list[tuple[Clause, bool]]:
    """Each clause, and whether the next one only answers it no ("chest pain? no.")."""
    return [
        (
            clause,
            index + 1 < len(parts)
            and "no_answer" in parts[index + 1][0].tags
            and all(w.tags & {"no_answer", "polite"} for w in parts[index + 1]),
        )
        for index, clause in enumerate(parts)
    ]


def body_changes(text: str) -> bool:
    """A body part or a sense named with a change, not negated (at least `attention`)."""
    for clause, answered_no in answered(clauses(text)):
        if answered_no or any("normal" in w.tags for w in clause):
            continue  # "chest pain? no", "is hoofdpijn normaal na een beroerte?"
        if any("body_pain" in w.tags and not negated(clause, i) for i, w in enumerate(clause)):
            return True  # "rugpijn", "a bit of a headache"
        bodies = [i for i, w in enumerate(clause) if w.tags & _BODY]
        for c, word in enumerate(clause):
            if not ("change" in word.tags or word.tags & _QUALITY) or negated(clause, c):
                continue
            k = bisect_left(bodies, c - WINDOW)
            if any(
                b != c and abs(b - c) <= WINDOW and clause[b].part == word.part
                for b in bodies[k : k + 2 * WINDOW + 1]
            ):
                return True
    return False


_BODY = frozenset(("arm", "leg", "face", "eye", "head", "chest", "body"))
_QUALITY = frozenset(("limb_quality", "face_quality", "vision_quality"))


def near(clause: Clause, a: str, b: str, window: int = WINDOW) -> list[int]:
    """Positions of words tagged `b` within `window` words of a (different) word tagged `a`."""
    if a not in clause.tags or b not in clause.tags:
        return []
    first = [i for i, w in enumerate(clause) if a in w.tags]
    found = []
    for j, word in enumerate(clause):
        if b in word.tags:
            k = bisect_left(first, j - window)
            if any(i != j for i in first[k : k + 3] if abs(i - j) <= window):
                found.append(j)
    return found


def negated(clause: Clause, at: int) -> bool:
    """A negation in the words just before `at`, in its own comma-separated part. After an
    "or", it reaches further ("no falls or wobbly spells"); after an "and", it does not ("ik
    ben niet moe en mijn arm is slap" is a weak arm)."""
    if clause[at].text in _NEGATION_INSIDE:
        return False  # "n'était plus à moi", "n'ai plus de force": the negation is the sign
    part = clause[at].part
    start = max(0, at - REACH)
    if any(clause[k].text in _COORDINATORS for k in range(start, at)):
        start = max(0, start - REACH)
    indices = [k for k in range(start, at) if clause[k].part == part]
    for k in indices:
        word = clause[k]
        if "neg" in word.tags or (word.text == "plus" and _plus_negates(clause, k)):
            if any("not_about" in clause[m].tags for m in indices):
                return False  # "I don't know why my arm is weak", "weet niet of ik duizelig"
            return True
    return False


def _plus_negates(clause: Clause, k: int) -> bool:
    """French "plus" is a negation after "ne" ("je n'ai plus eu de vertiges") or before "de"
    ("plus de vertiges"); elsewhere it is "more"."""
    after = clause[k + 1].text if k + 1 < len(clause) else ""
    return any(w.text in ("ne", "n'") for w in clause[max(0, k - 2) : k]) or after in (
        "de",
        "d'",
        "du",
        "des",
        "whatsoever",
    )


def has_negation(clause: Clause, at: int, before: int = 5, after: int = 3) -> bool:
    """A negation near `at`, in its own part ("je vois bien, pas de vision double": the
    "pas" is about the double vision, not the seeing)."""
    part = clause[at].part
    return any(
        ("neg" in w.tags or w.text == "plus" or "neg_modal" in w.tags) and w.part == part
        for w in clause[max(0, at - before) : at + after + 1]
    )


def lost(clause: Clause, at: int) -> bool:
    """The ability at `at` is lost: a modal with a negation, or a difficulty, near it."""
    part = clause[at].part
    window = [w for w in clause[max(0, at - 8) : at + 4] if w.part == part]
    after = [w for w in clause[at + 1 : at + 5] if w.part == clause[at].part]
    if any("abstract" in w.tags for w in after[:3]) and not any(
        w.tags & {"arm", "leg", "face", "eye", "side"} for w in after
    ):
        return False  # "I can't hold back my excitement", "ik zie het niet zitten"
    if clause[at].text == "stand" and after and after[0].text in ("the", "it", "that", "this"):
        return False  # "can't stand the noise": to bear, not to stand up
    if any("idle_verb" in w.tags for w in clause[max(0, at - 3) : at]):
        return False  # "can't wait to see the grandchildren"
    if any("neg_modal" in w.tags for w in window):
        return True
    modal = any("modal" in w.tags for w in window)
    negation = any("neg" in w.tags or w.text == "plus" for w in window)
    if modal and negation:
        return True
    for k, word in enumerate(clause[max(0, at - 4) : at + 3]):
        if "difficulty" in word.tags and not negated(clause, max(0, at - 4) + k):
            return True
    return False
