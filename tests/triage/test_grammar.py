"""Warning signs in the patient's own words: concepts and their grammar (bot.triage.grammar).

The examples here are written for these tests, apart from both corpora: each names a kind of
description the grammar must generalise to (a loss of function with no symptom word, speech
described indirectly, a transient episode, a carer's report, dialect), and a near miss of the
same kind that must stay calm.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.triage.classify import classify
from bot.triage.normalise import normalise
from bot.triage.warning_signs import warning_signs

URGENT = {
    "function-loss": [
        "ik krijg de dop niet meer van de fles met mijn rechterhand",
        "since lunch my fork keeps falling out of my right hand",
        "je n'arrive plus à tenir mon stylo",
        "kan mijn veters nie meer strikken sinds gisteren",
        "my husband can't do up his shirt buttons this morning",
    ],
    "numb-compare": [
        "mijn linkerhand voelt aan als een blok hout",
        "ma main gauche, c'est comme si elle n'était plus à moi",
        "my fingers feel like they're wrapped in cotton wool",
    ],
    "speech": [
        "hij zegt de hele tijd verkeerde woorden",
        "je trouve plus mes mots depuis ce matin",
        "the words just won't come out when I try",
        "ze lalt sinds de middag",
        "il parle comme s'il avait bu, mais il boit jamais",
        "my wife doesn't understand what I'm saying to her",
    ],
    "transient": [
        "gisteren een kwartierke mijn arm nie kunnen bewegen, nu is het over",
        "for five minutes this morning I couldn't speak, fine now",
        "hier soir pendant 10 minutes je voyais plus rien de l'oeil droit",
    ],
    "vision": [
        "er schuift een gordijn voor mijn linkeroog",
        "like a grey shadow over my right eye since breakfast",
        "un voile noir devant l'oeil gauche",
    ],
    "headache": [
        "kopzeer gelijk een slag met een hamer, ineens",
        "the worst headache I have ever had came on suddenly",
        "mal de tête brutal comme un coup de tonnerre",
    ],
    "faint": [
        "mijn vader is flauwgevallen in de keuken",
        "je suis tombée dans les pommes au marché",
        "I blacked out for a minute on the sofa",
        "mon mari ne répondait plus pendant deux minutes",
    ],
    "confusion": [
        "mijn vrouw wist ineens nie meer waar ze was",
        "il ne reconnaissait plus sa propre fille",
        "dad suddenly didn't know what day it was",
        "hij is helemaal in de war sinds vanmorgen",
    ],
    "balance": [
        "ik loop de hele tijd naar links te zwalken",
        "je penche toujours vers la droite en marchant",
        "the room spins when I stand up",
    ],
    "chest": [
        "een zwaar gewicht op mijn borst",
        "ça serre dans la poitrine depuis une heure",
        "tightness across my chest when I climb the stairs",
    ],
    "stroke": [
        "ik denk dat ik weer een beroerte heb",
        "I think I'm having another stroke",
        "hij heeft vorige week een TIA gehad",
    ],
    "glued": ["mijnvrouw isflauwgevallen", "ikkannie meer praten"],
}

CALM = [
    "ik kan nie meer wachten op de zomer",
    "je cherche mes lunettes partout",
    "I can't hold back my laughter at the grandkids",
    "speech therapy went really well today",
    "my arm is much better since the physio",
    "geen pijn op de borst, geen hoofdpijn",
    "pas de vertiges cette semaine",
    "no numbness, no weakness, all good",
    "is hoofdpijn normaal na een beroerte?",
    "I can't wait to see my daughter on Sunday",
    "je ne vois plus flou depuis les nouvelles lunettes",
    "couldn't find the words to thank the nurses",
    "ik kan nie meer wachten, wanneer is de afspraak?",
    "ik heb de krant nie gezien vandaag",
]


@pytest.mark.parametrize(
    ("kind", "text"), [(kind, text) for kind, texts in URGENT.items() for text in texts]
)
def test_a_warning_sign_described_in_own_words_is_urgent(kind: str, text: str) -> None:
    assert "urgent" in classify(text).flags, kind


@pytest.mark.parametrize("text", CALM)
def test_a_near_miss_that_shares_words_with_a_sign_is_not_urgent(text: str) -> None:
    assert "urgent" not in classify(text).flags


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("mijn knie is gezwollen", "attention"),
        ("j'ai mal au dos depuis hier", "attention"),
        ("my eyes are itchy from the pollen", "attention"),
        ("een beetje kopzeer", "attention"),
    ],
)
def test_a_body_part_with_a_change_is_at_least_attention(text: str, flag: str) -> None:
    assert classify(text).flags == (flag,)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ik kannie meer", "ik kan niet meer"),
        ("suikerke 5,6", "suiker 5,6"),
        ("kopzeer sinds een half uurke", "hoofdpijn sinds een half uur"),
        ("'k zien nie goe", "ik zien niet goed"),
        ("glycemie 1 virgule 26", "glycemie 1,26"),
        ("jsuis tombée", "je suis tombee"),
        ("meiske", "meiske"),
    ],
)
def test_dialect_text_message_and_dictation_forms_are_spelled_out(text: str, expected: str) -> None:
    assert normalise(text) == expected


# Each sign with an explicit negation of it, as a patient would write them.
SIGNS_AND_NEGATIONS = [
    ("my left arm is numb", "no numbness in my arm"),
    ("my mouth is drooping", "my face is not drooping"),
    ("chest pain", "no chest pain"),
    ("I feel very dizzy", "I'm not dizzy"),
    ("mijn arm is slap", "mijn arm is niet slap"),
    ("pijn op de borst", "geen pijn op de borst"),
    ("ik ben duizelig", "ik ben niet duizelig"),
    ("ik zie dubbel", "ik zie niet dubbel"),
    ("mon bras est faible", "mon bras n'est pas faible"),
    ("douleur dans la poitrine", "pas de douleur dans la poitrine"),
    ("j'ai des vertiges", "pas de vertiges"),
    ("je vois flou", "je ne vois pas flou"),
]


def _neutral() -> list[str]:
    corpus = Path(__file__).resolve().parent.parent / "corpus" / "replies.jsonl"
    rows = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines()]
    return [
        r["text"]
        for r in rows
        if not r["flags"]
        and r["systolic"] is None
        and r["glucose_mmol_l"] is None
        and not classify(r["text"]).flags
    ]


NEUTRAL = _neutral()


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(NEUTRAL), st.sampled_from(SIGNS_AND_NEGATIONS), st.booleans())
def test_a_sign_added_to_any_neutral_reply_makes_it_urgent_and_its_negation_does_not(
    neutral: str, pair: tuple[str, str], first: bool
) -> None:
    sign, negation = pair
    with_sign = f"{sign}. {neutral}" if first else f"{neutral}. {sign}"
    with_negation = f"{negation}. {neutral}" if first else f"{neutral}. {negation}"
    assert "urgent" in classify(with_sign).flags
    assert "urgent" not in classify(with_negation).flags


def test_the_new_signs_are_named() -> None:
    assert "faint" in warning_signs("flauwgevallen in de badkamer")
    assert "confusion" in warning_signs("he was confused and didn't know where he was")
    assert "stroke" in warning_signs("je crois que je fais un nouvel AVC")


def test_every_lexicon_word_is_one_word_the_grammar_can_meet() -> None:
    # A word with a space, or two words run together by a missing comma, never matches.
    from bot.triage.concepts import IDIOMS, LEXICON
    from bot.triage.grammar import _TOKEN

    for concept, words in LEXICON.items():
        for word in words:
            bare = word.strip("*")
            assert _TOKEN.fullmatch(bare) or bare == "n't", (concept, word)
    assert all(_TOKEN.fullmatch(word) for value in IDIOMS.values() for word in value.split())
