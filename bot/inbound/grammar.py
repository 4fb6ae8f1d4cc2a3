"""A small grammar over concepts: which warning signs a reply describes in its own words.

The reply is cut into clauses (at `.`, `;`, `!`, `?`, a new line, or a word that turns the
sentence: "maar", "but", "mais"), each word is tagged with its concepts
(`bot.inbound.concepts`), and a few rules combine them:

- **a body part and a quality of its own**: an arm or leg that is weak, numb, heavy, "like
  cotton wool"; a face that droops; an eye or the sight with a curtain, a shadow, a blur;
- **an ability and its loss**: a modal and a negation ("ik krijg mijn sleutel niet meer
  omgedraaid", "je sais plus lever le bras", "can't hold my cup"), or a difficulty ("trouble
  walking"), or a body part that no longer does what it should ("ma main ne répond plus");
- **speech**: speaking lost, words that will not come or come out wrong, saying one word for
  another, not understanding what people say;
- **head, chest**: a headache with a word of severity ("worst", "like a blow", "plots"),
  pain or pressure on the chest;
- **fainting, confusion, another stroke** named, or "didn't know where he was".

A quality or a complaint is dropped when a negation stands just before it in its own part of
the clause ("geen pijn op de borst", "no numbness"), or when the next clause only answers no
("chest pain? no"). A loss of an ability is itself phrased with a negation, so that negation
makes the sign rather than undoing it. When the grammar is unsure, it names the sign:
missing one is far worse than a false alarm. The reporter does not matter: a carer's "his arm
is weak" counts as the patient's.

`body_changes()` is the weaker rule behind `attention`: a body part or a sense named with a
change ("my knee is swollen", "mon bras va mieux"), not negated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.inbound.concepts import CONCEPTS, IDIOMS

# A clause ends at a full stop, a question or a new line. A comma, or a word that turns the
# sentence ("maar", "but", "mais"), only ends the reach of a negation: "geen pijn op de borst
# maar mijn arm is slap" still pairs the arm with its weakness, and "ik zie maar de helft"
# (Dutch "maar" is also "only") still pairs the sight with its half.
_CLAUSE_BREAK = re.compile(r"[.;!?()\n]+")
_TURN = frozenset(("maar", "but", "mais", "toch", "however", "although", "though", "alleen",
                   "sauf", "except", "behalve", "wel", "pourtant", "cependant", "yet", "whereas"))
_TOKEN = re.compile(r"[a-z]+n't|[a-z]+(?='s\b)|'s\b|[a-z]+'(?:re|ve|ll|d|m)\b|qu'|[a-z]'"
                    r"|[a-z]+(?:-[a-z]+)?|,")
_IDIOM = re.compile(r"\b(?:" + "|".join(
    re.escape(k) for k in sorted(IDIOMS, key=len, reverse=True)) + r")\b")
_REACH = 4  # words before a quality that a negation may stand in
_WINDOW = 6  # words between a body part and its quality


@dataclass(frozen=True)
class Word:
    text: str
    tags: frozenset[str]
    part: int  # which comma-separated part of its clause


def clauses(text: str) -> list[list[Word]]:
    """The normalised reply as clauses of tagged words."""
    text = _IDIOM.sub(lambda m: IDIOMS[m.group(0)], text)
    result = []
    for chunk in _CLAUSE_BREAK.split(text):
        words: list[Word] = []
        part = 0
        previous = ""
        for token in _TOKEN.findall(chunk):
            if token == "," or token in _TURN:
                part += 1
                continue
            tags = CONCEPTS.concepts(token) or _run_together(token)
            for prefix in ("linker", "rechter"):  # "linkerarm" is a left arm
                if token.startswith(prefix) and len(token) > len(prefix) + 1:
                    tags = tags | CONCEPTS.concepts(token[len(prefix):]) | {"side"}
            if token == "been" and previous in _HAVE:  # "I have been weak": no leg
                tags = tags - {"leg"}
            words.append(Word(token, frozenset(tags), part))
            previous = token
        if words:
            result.append(words)
    return result


def _run_together(token: str) -> frozenset[str]:
    """The concepts of a word typed together with the one before: "isflauwgevallen"."""
    for k in range(2, len(token) - 3):
        head, tail = token[:k], token[k:]
        if head in _GLUE and (tags := CONCEPTS.concepts(tail)):
            return tags
    return frozenset()


_GLUE = frozenset(("is", "ik", "en", "mijn", "zijn", "hij", "ze", "was", "ben", "de", "het",
                   "een", "mn", "my", "i", "is", "and", "the", "je", "j", "il", "elle", "et",
                   "le", "la", "ma", "mon", "geen", "niet", "no", "pas", "heel", "very", "zo"))
_HAVE = frozenset(("have", "has", "had", "i've", "we've", "you've", "it's", "he's", "she's",
                   "having", "never", "ever", "always", "not"))


def signs(text: str) -> set[str]:
    """The warning signs that the normalised `text` describes."""
    found: set[str] = set()
    for clause, answered_no in _answered(clauses(text)):
        found |= _clause_signs(clause, answered_no=answered_no)
    return found


def _answered(parts: list[list[Word]]) -> list[tuple[list[Word], bool]]:
    """Each clause, and whether the next one only answers it no ("chest pain? no.")."""
    return [(clause, index + 1 < len(parts) and "no_answer" in parts[index + 1][0].tags
             and all(w.tags & {"no_answer", "polite"} for w in parts[index + 1]))
            for index, clause in enumerate(parts)]


def body_changes(text: str) -> bool:
    """A body part or a sense named with a change, not negated (at least `attention`)."""
    for clause, answered_no in _answered(clauses(text)):
        if answered_no or any("normal" in w.tags for w in clause):
            continue  # "chest pain? no", "is hoofdpijn normaal na een beroerte?"
        if any("body_pain" in w.tags and not _negated(clause, i) for i, w in enumerate(clause)):
            return True  # "rugpijn", "a bit of a headache"
        bodies = [i for i, w in enumerate(clause) if w.tags & _BODY]
        changes = [i for i, w in enumerate(clause) if "change" in w.tags or w.tags & _QUALITY]
        if any(abs(b - c) <= _WINDOW and b != c and clause[b].part == clause[c].part
               and not _negated(clause, c) for b in bodies for c in changes):
            return True
    return False


_BODY = frozenset(("arm", "leg", "face", "eye", "head", "chest", "body"))
_QUALITY = frozenset(("limb_quality", "face_quality", "vision_quality"))


def _clause_signs(clause: list[Word], *, answered_no: bool) -> set[str]:
    found: set[str] = set()
    if not answered_no:
        found |= _qualities(clause)
        found |= _named(clause)
    found |= _losses(clause)
    found |= _speech(clause, answered_no=answered_no)
    return found


def _near(clause: list[Word], a: str, b: str, window: int = _WINDOW) -> list[int]:
    """Positions of words tagged `b` within `window` words of a word tagged `a`."""
    first = [i for i, w in enumerate(clause) if a in w.tags]
    return [j for j, w in enumerate(clause) if b in w.tags
            and any(abs(i - j) <= window and i != j for i in first)]


def _negated(clause: list[Word], at: int) -> bool:
    """A negation in the words just before `at`, in its own comma-separated part."""
    if clause[at].text == "notmine":
        return False  # "n'était plus à moi": the negation is the sign itself
    part = clause[at].part
    start = max(0, at - _REACH)
    before = [w for w in clause[start:at] if w.part == part]
    for k, word in enumerate(before):
        if "neg" in word.tags or (word.text == "plus" and (
                (k > 0 and before[k - 1].text in ("ne", "n'"))
                or (k + 1 < len(before) and before[k + 1].text in ("de", "d'")))):
            if any("not_about" in w.tags for w in before[k + 1:]):
                return False  # "I don't know why my arm is weak": unsure, so a sign
            return True
    return False


def _qualities(clause: list[Word]) -> set[str]:
    """A body part with a quality of its own: a weak arm, a drooping mouth, a dark eye."""
    found = set()
    pairs = (("arm", "limb_quality", "arm"), ("leg", "limb_quality", "leg"),
             ("side", "limb_quality", "arm"), ("face", "face_quality", "face"),
             ("eye", "vision_quality", "eyes"), ("see", "vision_quality", "eyes"),
             ("chest", "pain", "chest_pain"), ("headpain", "severe", "headache"),
             ("head", "severe", "headache"), ("drift", "side", "balance"),
             ("walk", "drift", "balance"))
    for body, quality, sign in pairs:
        window = 12 if sign == "headache" else _WINDOW  # "koppijn alsof ... een hamer, ineens"
        if any(not _negated(clause, j) and not _severe_negated(clause, j, sign)
               for j in _near(clause, body, quality, window)):
            found.add(sign)
    if any(w.text == "notmine" for w in clause):  # "as if it were no longer mine"
        found.add("leg" if any("leg" in w.tags for w in clause) else "arm")
    if "arm" in found and any("leg" in w.tags for w in clause) and not any(
            "arm" in w.tags for w in clause):
        found.discard("arm")
    return found


def _severe_negated(clause: list[Word], at: int, sign: str) -> bool:
    """'Never had a headache like this' is severe; 'geen hoofdpijn, nooit' is not."""
    if sign != "headache":
        return False
    heads = [i for i, w in enumerate(clause) if w.tags & {"headpain", "head"}]
    return any(_negated(clause, i) and not any(
        "never" in w.tags for w in clause[max(0, i - _REACH):i]) for i in heads)


def _named(clause: list[Word]) -> set[str]:
    """Signs named by a word of their own: fainting, confusion, dizziness, another stroke."""
    found = set()
    for sign, concept in (("faint", "faint"), ("confusion", "confused"),
                          ("balance", "dizzy")):
        if any(concept in w.tags and not _negated(clause, i) for i, w in enumerate(clause)):
            found.add(sign)
    strokes = [i for i, w in enumerate(clause) if "stroke" in w.tags and not _negated(clause, i)]
    if strokes and not any("other" in w.tags for w in clause) and (
            any(w.text in ("tia", "ait") for w in clause)
                    or any("again" in w.tags for w in clause)):
        found.add("stroke")
    for i, word in enumerate(clause):
        rest = clause[i + 1:i + 9]
        if "know" in word.tags and _has_negation(clause, i) and any(
                "where" in w.tags for w in rest) and any(w.tags & {"be", "place"} for w in rest):
            found.add("confusion")  # "didn't know where he was", "sais plus quel jour"
        if "recognise" in word.tags and _has_negation(clause, i, after=5) and any(
                "person" in w.tags for w in clause[max(0, i - 3):i + 6]):
            found.add("confusion")
        if "respond" in word.tags and _has_negation(clause, i, before=4, after=2) and not any(
                "abstract" in w.tags for w in rest[:3]):
            found.add("faint")  # "ne répondait plus", "not answer me for a minute"
        if "fall" in word.tags and not _negated(clause, i) and not any(
                "not_a_fall" in w.tags for w in clause[max(0, i - 3):i + 4]):
            found.add("balance")
        if "floor" in word.tags and any(w.text.startswith((
                "vond", "found", "gevonden", "retrouv", "lag", "lying", "reveill", "woke",
                "wakker", "bijgekomen", "came")) for w in clause[max(0, i - 6):i]):
            found.add("balance")  # "vond mij op de grond": a fall nobody saw
    return found


def _has_negation(clause: list[Word], at: int, before: int = 5, after: int = 3) -> bool:
    return any("neg" in w.tags or w.text == "plus" or "neg_modal" in w.tags
               for w in clause[max(0, at - before):at + after + 1])


def _lost(clause: list[Word], at: int) -> bool:
    """The ability at `at` is lost: a modal with a negation, or a difficulty, near it."""
    part = clause[at].part
    window = [w for w in clause[max(0, at - 8):at + 4] if w.part == part]
    after = [w for w in clause[at + 1:at + 5] if w.part == clause[at].part]
    if any("abstract" in w.tags for w in after[:3]) and not any(
            w.tags & {"arm", "leg", "face", "eye", "side"} for w in after):
        return False  # "I can't hold back my excitement", "ik zie het niet zitten"
    if clause[at].text == "stand" and after and after[0].text in ("the", "it", "that", "this"):
        return False  # "can't stand the noise": to bear, not to stand up
    if any("idle_verb" in w.tags for w in clause[max(0, at - 3):at]):
        return False  # "can't wait to see the grandchildren"
    if any("neg_modal" in w.tags for w in window):
        return True
    modal = any("modal" in w.tags for w in window)
    negation = any("neg" in w.tags or w.text == "plus" for w in window)
    if modal and negation:
        return True
    for k, word in enumerate(clause[max(0, at - 4):at + 3]):
        if "difficulty" in word.tags and not _negated(clause, max(0, at - 4) + k):
            return True
    return False


def _losses(clause: list[Word]) -> set[str]:
    """An ability lost: moving, holding, walking, feeling, seeing."""
    found = set()
    has = {tag for w in clause for tag in w.tags}
    for i, word in enumerate(clause):
        if "modal" in word.tags and _lost(clause, i) and any(
                w.tags & {"arm", "leg"} and w.part == word.part for w in clause[i + 1:i + 12]):
            # "ik krijg de dop niet van de fles met mijn rechterhand": whatever the task, the
            # hand can no longer do it
            found.add("leg" if "leg" in has and "arm" not in has else "arm")
        if "motor" in word.tags and _lost(clause, i):
            found.add("leg" if "leg" in has and "arm" not in has else "arm")
        if "walk" in word.tags and _lost(clause, i):
            found.add("leg")
        if "feel" in word.tags and has & {"arm", "leg", "face", "side"} and (
                _lost(clause, i) or _has_negation(clause, i, before=3, after=4)):
            found.add("face" if "face" in has and not has & {"arm", "leg"} else
                      "leg" if "leg" in has and "arm" not in has else "arm")
        if "see" in word.tags and "device" not in has and not any(
                "vision_quality" in w.tags for w in clause[i + 1:i + 4]) and (_lost(clause, i) or (
                _has_negation(clause, i, before=3, after=5 if "eye" in has else 3)
                and not any("abstract" in w.tags for w in clause[i + 1:i + 3])
                and (has & {"eye", "side"} or any(w.text in _NOTHING for w in clause[i:i + 4])))):
            found.add("eyes")
        if "function" in word.tags and has & {"arm", "leg", "face"} and _has_negation(
                clause, i, before=3, after=2) and not _difficulty_denied(clause):
            found.add("leg" if "leg" in has and "arm" not in has else
                      "face" if "face" in has and "arm" not in has else "arm")
    return found


_NOTHING = frozenset(("niks", "niets", "nothing", "rien", "meer", "anything", "goed", "well",
                      "bien", "clear", "helder", "net", "scherp", "plus"))


def _difficulty_denied(clause: list[Word]) -> bool:
    """'My leg works, no problem': the negation is about a problem, not the leg."""
    return any("difficulty" in w.tags and _negated(clause, i) for i, w in enumerate(clause))


def _speech(clause: list[Word], *, answered_no: bool) -> set[str]:
    """Speech lost or wrong, words that will not come, one word said for another."""
    has = {tag for w in clause for tag in w.tags}
    event = "event" in has
    for i, word in enumerate(clause):
        tags = word.tags
        if "speech_verb" in tags and not _negated(clause, i) and not answered_no:
            return {"speech"}
        if "speak" in tags and _lost(clause, i):
            return {"speech"}
        after = clause[i + 1:i + 3]
        if "speak" in tags and any("neg" in w.tags or w.text == "plus" for w in after) and not any(
                w.text in ("met", "with", "avec", "to", "tegen", "de", "over", "about")
                for w in clause[i + 1:i + 5]):
            return {"speech"}  # "ma femme parle plus", "hij praat niet meer"
        if "speak" in tags and any("as_if" in w.tags for w in clause[i + 1:i + 4]) and any(
                "drunk" in w.tags for w in clause[i + 1:i + 8]):
            return {"speech"}  # "praat precies of hij zat is", "parle comme s'il avait bu"
        if tags & {"speak", "speech_object"} and not answered_no:
            near = clause[max(0, i - 4):i + 5]
            for k, other in enumerate(near):
                at = max(0, i - 4) + k
                strong = "speech_strong" in other.tags
                vague = "speech_vague" in other.tags and not event
                if (strong or vague) and at != i and not _negated(clause, at):
                    return {"speech"}
        if "speech_object" in tags and word.text in _WORDS and "gratitude" not in has:
            near = clause[max(0, i - 5):i + 5]
            if any("search" in w.tags for w in near) and (
                    _has_negation(clause, i, before=5, after=4)
                    or any(w.text.startswith(("cherch", "zoek", "search", "looking"))
                           for w in near)
                    or any("difficulty" in w.tags for w in near)):
                return {"speech"}
        if "speak" in tags and any("mean" in w.tags for w in clause[i + 1:i + 8]):
            return {"speech"}
        if "understand" in tags and _has_negation(clause, i) and (
                any(w.tags & {"people", "person", "speak"} for w in clause[i + 1:i + 9])
                or (_has_negation(clause, i) and any(
                    "people" in w.tags for w in clause[max(0, i - 4):i]))):
            return {"speech"}
    return set()


_WORDS = frozenset(("woord", "woorden", "word", "words", "mot", "mots"))
