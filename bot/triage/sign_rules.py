"""The rules that make warning signs of a reply's tagged words (see `bot.triage.grammar`).

- **a body part and a quality of its own**: an arm or leg that is weak, numb, heavy, "like
  cotton wool"; a face that droops; an eye or the sight with a curtain, a shadow, a blur;
- **an ability and its loss**: a modal and a negation ("ik krijg mijn sleutel niet meer
  omgedraaid", "je sais plus lever le bras", "can't hold my cup"), or a difficulty ("trouble
  walking"), or a body part that no longer does what it should ("ma main ne répond plus");
- **speech**: speaking lost, words that will not come or come out wrong, one word said for
  another, not understanding what people say, talking "as if drunk";
- **head, chest**: a headache with a word of severity ("worst", "like a blow", "plots"), pain
  or pressure on the chest;
- **named**: fainting, confusion, dizziness, a fall, another stroke or a TIA, or "didn't know
  where he was".

A quality or a complaint is dropped when a negation stands just before it in its own part,
or when the next clause only answers no ("chest pain? no"). A loss of an ability is itself
phrased with a negation, so that negation makes the sign rather than undoing it. When a rule
is unsure, it names the sign: missing one is far worse than a false alarm. The reporter does
not matter: a carer's "his arm is weak" counts as the patient's.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.triage.grammar import (
    REACH,
    WINDOW,
    Clause,
    answered,
    clauses,
    has_negation,
    lost,
    near,
    negated,
)

# Who fell: the patient, or a person close to them ("de kat is gevallen" is no fall of theirs).
_WHO_FELL = frozenset(
    (
        "ben",
        "was",
        "suis",
        "etais",
        "i",
        "je",
        "j'",
        "ik",
        "have",
        "i've",
        "hij",
        "zij",
        "ze",
        "il",
        "elle",
        "he",
        "she",
        "mum",
        "dad",
        "mama",
        "papa",
        "vader",
        "moeder",
        "father",
        "mother",
        "pere",
        "mere",
    )
)


def signs(text: str) -> set[str]:
    """The warning signs that the normalised `text` describes."""
    found: set[str] = set()
    for clause, answered_no in answered(clauses(text)):
        if not answered_no:
            found |= _qualities(clause) | _named(clause)
        found |= _word_rules(clause, answered_no=answered_no)
    return found


# A body part (or what stands for it) and a quality of its own, within a few words.
_PAIRS = (
    ("arm", "limb_quality", "arm"),
    ("leg", "limb_quality", "leg"),
    ("side", "limb_quality", "arm"),
    ("face", "face_quality", "face"),
    ("eye", "vision_quality", "eyes"),
    ("see", "vision_quality", "eyes"),
    ("all_things", "vision_quality", "eyes"),
    ("chest", "pain", "chest_pain"),
    ("headpain", "severe", "headache"),
    ("head", "severe", "headache"),
    ("drift", "side", "balance"),
    ("walk", "drift", "balance"),
    ("balance_noun", "lost", "balance"),
    ("drop", "repeated", "arm"),
    ("head", "limb_quality", "balance"),
    ("sight_object", "vision_strong", "eyes"),
    ("sight_object", "gone", "eyes"),
    ("surroundings", "spin", "balance"),
    ("walk", "drunk", "balance"),
    ("drift", "drunk", "balance"),
    ("side", "gone", "eyes"),
)
# Signs named by a word of their own.
_NAMED = (
    ("faint", "faint"),
    ("confusion", "confused"),
    ("balance", "dizzy"),
    ("chest_pain", "chest_pain_word"),
    ("leg", "leg_loss"),
)


def _qualities(clause: Clause) -> set[str]:
    """A weak arm, a drooping mouth, a curtain over the eye, a headache like a blow."""
    found = set()
    for body, quality, sign in _PAIRS:
        if sign == "balance" and body == "drift" and _names(clause, {"device"}):
            continue  # "la voiture tire à gauche": the car's, not the patient's
        if sign == "eyes" and _names(clause, {"broken"}):
            continue  # "het scherm is kapot", "tout flou, c'est le décodeur"
        # "koppijn alsof ... een hamer, ineens", "liep op de markt lijk of hij zat was"
        window = 12 if sign == "headache" or quality == "drunk" else WINDOW
        if any(
            not negated(clause, j) and not _severe_negated(clause, j, sign)
            for j in near(clause, body, quality, window)
        ):
            found.add(sign)
    if _names(clause, {"see"}) and _names(clause, {"two"}) and _names(clause, {"mean"}):
        found.add("eyes")  # "je voyais deux voitures au lieu d'une"
    if _names(clause, {"only"}) and _names(clause, {"side"}):
        if _names(clause, {"see", "sight_object"}):
            found.add("eyes")  # "zag ik alleen de rechterkant van de bladzijde"
        if _names(clause, {"face"}):
            found.add("face")  # "mijn glimlach ging maar aan één kant omhoog"
    if (
        _names(clause, {"search"})
        and _names(clause, {"own"})
        and _names(clause, {"place", "surroundings"})
    ):
        found.add("confusion")  # "zocht de keuken in zijn eigen huis"
    if _names(clause, {"drooling"}) and not _names(clause, {"other"}):
        found.add("face")  # "je bave du côté gauche"
    if _names(clause, {"numb_compare"}):  # "as if it were no longer mine", "like cotton"
        found.add(
            "face"
            if _names(clause, {"face"}) and not _names(clause, {"arm", "leg"})
            else _limb(clause)
        )
    if "arm" in found and _limb(clause) == "leg":
        found.discard("arm")  # "mijn been voelt raar": the leg, not an arm
    return found


def _limb(clause: Clause) -> str:
    """The limb a clause is about: a leg when it names a leg and no arm, else an arm."""
    return "leg" if "leg" in clause.tags and "arm" not in clause.tags else "arm"


def _severe_negated(clause: Clause, at: int, sign: str) -> bool:
    """'Never had a headache like this' is severe; 'geen hoofdpijn, nooit' is not."""
    if sign != "headache":
        return False
    heads = [i for i, w in enumerate(clause) if w.tags & {"headpain", "head"}]
    return any(
        negated(clause, i) and not any("never" in w.tags for w in clause[max(0, i - REACH) : i])
        for i in heads
    )


def _named(clause: Clause) -> set[str]:
    """Fainting, confusion, dizziness, a chest-pain word, another stroke or a TIA."""
    if _names(clause, {"other"}):
        return set()  # "la voisine a fait un malaise", "the heroine faints in the film"
    found = {
        sign
        for sign, concept in _NAMED
        if any(concept in w.tags and not negated(clause, i) for i, w in enumerate(clause))
    }
    strokes = [i for i, w in enumerate(clause) if "stroke" in w.tags and not negated(clause, i)]
    if (
        strokes
        and not any("other" in w.tags for w in clause)
        and any(w.text in ("tia", "ait") or "again" in w.tags for w in clause)
    ):
        found.add("stroke")  # "ik denk dat ik weer een beroerte heb", "a TIA last week"
    return found


Rule = Callable[[Clause, int], bool]


def _word_rules(clause: Clause, *, answered_no: bool) -> set[str]:
    """Signs that one word and its neighbours make: a lost ability, a fall, speech."""
    found = set()
    for i, word in enumerate(clause):
        if not word.tags:
            continue
        for concept, rule, sign in _RULES:
            if sign in ("limb", "leg") and _names(clause, {"other"}):
                continue  # "de hond kan nie meer goe stappen"
            if concept in word.tags and sign not in found and rule(clause, i):
                found.add(_limb(clause) if sign == "limb" else sign)
        if not answered_no and sign_of_speech(clause, i):
            found.add("speech")
    return found


def _lost_limb(clause: Clause, i: int) -> bool:
    """'ik krijg de dop niet van de fles met mijn rechterhand', 'can't hold my cup'."""
    if "modal" in clause[i].tags:
        return lost(clause, i) and any(
            w.tags & {"arm", "leg"} and w.part == clause[i].part for w in clause[i + 1 : i + 12]
        )
    return lost(clause, i)


def _lost_feeling(clause: Clause, i: int) -> bool:
    """'ik voel mijn hand niet meer', 'je ne sens plus mes doigts'."""
    return _names(clause, {"arm", "leg", "face", "side"}) and (
        lost(clause, i) or has_negation(clause, i, before=3, after=4)
    )


def _lost_sight(clause: Clause, i: int) -> bool:
    """'ik zie niks meer uit mijn linkeroog', 'can't see out of my left eye' (not 'je ne vois
    plus flou', not 'I can't see the point', not a broken television)."""
    if _names(clause, {"broken"}) or any("vision_quality" in w.tags for w in clause[i + 1 : i + 4]):
        return False
    if lost(clause, i):
        return True
    eye = _names(clause, {"eye"})
    return (
        has_negation(clause, i, before=3, after=5 if eye else 3)
        and not any(w.tags & {"abstract", "media"} for w in clause[i + 1 : i + 3])
        and (eye or _names(clause, {"side"}) or any(w.text in _NOTHING for w in clause[i : i + 4]))
    )


def _lost_function(clause: Clause, i: int) -> bool:
    """A body part that no longer does its work: 'ma main ne répond plus', 'my arm won't
    move' (not 'my leg works, no problem')."""
    return (
        _names(clause, {"arm", "leg", "face"})
        and has_negation(clause, i, before=3, after=2)
        and not any("difficulty" in w.tags and negated(clause, k) for k, w in enumerate(clause))
    )


def _face_function(clause: Clause, i: int) -> bool:
    return (
        _lost_function(clause, i)
        and _names(clause, {"face"})
        and not _names(clause, {"arm", "leg"})
    )


def _knows_not_where(clause: Clause, i: int) -> bool:
    """'didn't know where he was', 'je sais plus quel jour on est'."""
    rest = clause[i + 1 : i + 9]
    return (
        has_negation(clause, i, after=6)
        and any("where" in w.tags for w in rest)
        and any(w.tags & {"be", "place", "floor"} for w in rest)
    )


def _recognises_nobody(clause: Clause, i: int) -> bool:
    return has_negation(clause, i, after=5) and any(
        "person" in w.tags for w in clause[max(0, i - 3) : i + 6]
    )


def _does_not_respond(clause: Clause, i: int) -> bool:
    """'mon mari ne répondait plus', 'not answer me for one minute' (not 'my texts')."""
    return has_negation(clause, i, before=4, after=5) and not _names(clause, {"media"})


def _fell(clause: Clause, i: int) -> bool:
    """'ben vanmorgen gevallen', 'je suis tombé', 'mijn man is gevallen' (not 'de kat is van
    de trap gevallen', 'in sommige gevallen', 'je tombe bien')."""
    if negated(clause, i) or any(
        w.tags & {"not_a_fall", "other"} for w in clause[max(0, i - 5) : i + 3]
    ):
        return False
    return "fall" in clause[i].tags or any(
        w.text in _WHO_FELL or "person" in w.tags for w in clause[max(0, i - 5) : i]
    )


def _found_on_the_floor(clause: Clause, i: int) -> bool:
    """'mijn vrouw vond mij op de grond', 'je me suis réveillé par terre'."""
    return any(w.text.startswith(_FOUND) for w in clause[max(0, i - 6) : i + 3])


def _names(clause: Clause, concepts: set[str]) -> bool:
    return bool(clause.tags & concepts)


_RULES: tuple[tuple[str, Rule, str], ...] = (
    ("modal", _lost_limb, "limb"),
    ("motor", _lost_limb, "limb"),
    ("walk", lost, "leg"),
    ("feel", _lost_feeling, "limb"),
    ("see", _lost_sight, "eyes"),
    ("function", _face_function, "face"),
    ("function", _lost_function, "limb"),
    ("know", _knows_not_where, "confusion"),
    ("recognise", _recognises_nobody, "confusion"),
    ("respond", _does_not_respond, "faint"),
    ("fall", _fell, "balance"),
    ("fallen", _fell, "balance"),
    ("floor", _found_on_the_floor, "balance"),
)
_NOTHING = frozenset(
    (
        "niks",
        "niets",
        "nothing",
        "rien",
        "meer",
        "anything",
        "goed",
        "well",
        "bien",
        "clear",
        "helder",
        "net",
        "scherp",
        "plus",
    )
)
_FOUND = (
    "vond",
    "found",
    "gevonden",
    "retrouv",
    "lag",
    "lying",
    "reveill",
    "woke",
    "wakker",
    "bijgekomen",
    "came",
    "terecht",
)
_WORDS = frozenset(("woord", "woorden", "word", "words", "mot", "mots"))
_TO_SOMEONE = frozenset(("met", "with", "avec", "to", "tegen", "de", "over", "about"))


def sign_of_speech(clause: Clause, i: int) -> bool:
    """Speech lost or wrong at word `i`: words that will not come, one said for another,
    'as if drunk', not understanding what people say."""
    tags = clause[i].tags
    if "speech_verb" in tags:
        return not negated(clause, i)  # "je bredouille", "hij lalt"
    if tags & {"speak", "speech_object"} and _as_if_drunk(clause, i):
        return True  # "parle comme s'il avait bu", "je mâchais mes mots comme si j'avais bu"
    if "speak" in tags and (
        lost(clause, i) or _stopped_talking(clause, i) or _said_instead(clause, i)
    ):
        return True  # "ik zeg het verkeerde woord", "I said remote when I meant phone"
    if tags & {"speak", "speech_object"} and _speech_quality(clause, i):
        return True
    if "speech_object" in tags and clause[i].text in _WORDS and _words_will_not_come(clause, i):
        return True
    if "name_verb" in tags and _called_by_another_name(clause, i):
        return True
    return (
        "understand" in tags
        and has_negation(clause, i)
        and (
            any(
                w.tags & {"people", "person", "speak", "speech_object"}
                for w in clause[i + 1 : i + 9]
            )
            or any(w.tags & {"people", "speak"} for w in clause[max(0, i - 6) : i])
        )
    )


def _said_instead(clause: Clause, i: int) -> bool:
    """One word said for another: 'I said remote when I meant phone', 'k vroeg achter de
    suikerpot maar k zei de strijkplank', 'j'ai demandé la fourchette et j'ai dit le
    parapluie' (not 'I asked and she said')."""
    if any("mean" in w.tags for w in clause[i + 1 : i + 8]):
        return True
    return any("ask" in w.tags for w in clause[max(0, i - 10) : i]) and not (
        i > 0 and clause[i - 1].text in _THEY
    )


_THEY = frozenset(
    (
        "she",
        "he",
        "they",
        "zij",
        "hij",
        "ze",
        "il",
        "elle",
        "ils",
        "elles",
        "nurse",
        "doctor",
        "dokter",
    )
)


def _called_by_another_name(clause: Clause, i: int) -> bool:
    """'Dad called the remote the banana', 'noemde de afstandsbediening de banaan', 'il m'a
    appelé par le nom de ma soeur' (not 'she called the nurse the next day')."""
    after = [w.text for w in clause[i + 1 : i + 7]]
    if any(w in ("name", "naam", "nom", "prenom", "voornaam") for w in after):
        return True
    dets = [k for k, w in enumerate(after) if w in _DETERMINERS]
    if len(dets) < 2 or dets[1] + 1 >= len(after):
        return False
    named = clause[i + 2 + dets[1] : i + 4 + dets[1]]  # what the second name is
    return not any(w.tags & {"place", "abstract"} or w.text in _WHEN for w in named)


_WHEN = frozenset(
    (
        "next",
        "following",
        "same",
        "other",
        "volgende",
        "andere",
        "lendemain",
        "suivant",
        "suivante",
        "morning",
        "evening",
        "night",
        "ochtend",
        "avond",
    )
)


_DETERMINERS = frozenset(("the", "de", "het", "le", "la", "les", "l'", "een", "a", "un", "une"))


def _stopped_talking(clause: Clause, i: int) -> bool:
    """'ma femme parle plus', 'hij praat niet meer' (not 'ik praat niet meer met hem')."""
    return any(
        ("neg" in w.tags or w.text == "plus") and w.text not in ("ni", "nor", "noch")
        for w in clause[i + 1 : i + 3]
    ) and not any(w.text in _TO_SOMEONE for w in clause[i + 1 : i + 5])


def _as_if_drunk(clause: Clause, i: int) -> bool:
    """'praat precies of hij zat is', 'parle comme s'il avait bu'."""
    return any("as_if" in w.tags for w in clause[i + 1 : i + 4]) and any(
        "drunk" in w.tags for w in clause[i + 1 : i + 8]
    )


def _speech_quality(clause: Clause, i: int) -> bool:
    """'praat raar', 'slurred speech' (a vague quality is none at a wedding speech)."""
    event = _names(clause, {"event"})
    start = max(0, i - 4)
    for at, other in enumerate(clause[start : i + 5], start):
        quality = "speech_strong" in other.tags or ("speech_vague" in other.tags and not event)
        if quality and at != i and not negated(clause, at):
            return True
    return False


def _words_will_not_come(clause: Clause, i: int) -> bool:
    """'je cherche mes mots', 'the words won't come out' (not 'the words to thank you')."""
    if _names(clause, {"gratitude", "event"}):
        return False  # "the words to thank you", "a word for 'tranquil'" in a crossword
    around = clause[max(0, i - 5) : i + 5]
    return any("search" in w.tags for w in around) and (
        has_negation(clause, i, before=5, after=4)
        or any(w.text.startswith(("cherch", "zoek", "search", "looking")) for w in around)
        or any("difficulty" in w.tags for w in around)
    )
