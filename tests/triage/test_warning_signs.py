"""Stroke warning signs and chest pain in nl, fr and en (bot.triage.warning_signs)."""

from __future__ import annotations

import pytest

from bot.triage.typos import repair
from bot.triage.warning_signs import SIGNS, warning_signs

EXAMPLES = {
    "balance": [
        "duizelig en val",
        "Ik voel me draaierig",
        "evenwicht kwijt",
        "vertige",
        "la tête qui tourne",
        "j'ai perdu l'équilibre",
        "feeling very dizzy",
        "I lost my balance twice today",
        "room is spinning",
        "ben gisteren gevallen",
    ],
    "eyes": [
        "dubbel zien",
        "ik zie wazig",
        "ik zie niks meer met mijn rechteroog",
        "je vois double",
        "vision floue",
        "je ne vois plus rien de l'oeil gauche",
        "can't see",
        "double vision",
        "blurry vision all morning",
    ],
    "face": [
        "scheve mond",
        "gezicht hangt",
        "mijn mond staat scheef",
        "bouche de travers",
        "visage paralysé",
        "sa bouche tombe d'un côté",
        "face drooping",
        "wife says my smile is crooked",
        "numb face on the left",
    ],
    "arm": [
        "mijn arm is slap",
        "ik kan mijn arm niet optillen",
        "mn rechterhand is gevoelloos",
        "bras faible",
        "je ne peux pas lever mon bras droit",
        "fourmillements dans le bras",
        "my arm is weak",
        "can't lift my right arm",
        "I keep dropping things",
    ],
    "leg": [
        "mijn been is slap",
        "linkerbeen sleept",
        "ma jambe droite est lourde",
        "je traîne la jambe",
        "my leg gave way",
        "dragging my right foot",
    ],
    "speech": [
        "praat raar",
        "kan niet goed praten",
        "kan mijn woorden niet vinden",
        "je parle mal",
        "j'ai du mal à parler",
        "les mots ne sortent pas",
        "slurred speech",
        "having trouble speaking",
        "husband talking funny",
    ],
    "chest_pain": [
        "pijn op de borst",
        "drukkend gevoel op de borst",
        "steek in mijn borst",
        "mal à la poitrine",
        "douleur thoracique",
        "oppression dans la poitrine",
        "chest pain",
        "pain in my chest when walking",
        "tight chest",
    ],
    "headache": [
        "hoofdpijn heel erg plots",
        "plots de ergste hoofdpijn ooit",
        "mal de tête violent d'un coup",
        "le pire mal de tête de ma vie",
        "worst headache of my life",
        "sudden severe headache",
    ],
}


@pytest.mark.parametrize(
    ("sign", "text"), [(sign, text) for sign, texts in EXAMPLES.items() for text in texts]
)
def test_it_recognises_each_sign_in_each_language(sign: str, text: str) -> None:
    assert sign in warning_signs(text)


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("PIJN OP DE BORST", "chest_pain"),
        ("J'AI MAL A LA POITRINE", "chest_pain"),
        ("visage paralyse", "face"),
        ("tete qui tourne", "balance"),
        ("ma bouche est de traver", "face"),
        ("visage paraliser", "face"),
        ("douleur toracique", "chest_pain"),
        ("duizlig", "balance"),
        ("dizy", "balance"),
        ("chest pian", "chest_pain"),
        ("schefe mond", "face"),
        ("pyn op de borst", "chest_pain"),
        ("duizeliggg", "balance"),
    ],
)
def test_it_is_robust_to_case_missing_accents_and_common_misspellings(text: str, sign: str) -> None:
    assert sign in warning_signs(text)


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("pijn op de bosrt", "chest_pain"),
        ("hoofdpijm heel erg plots", "headache"),
        ("bouhe de travers", "face"),
        ("le bras faibe", "arm"),
        ("double vison", "eyes"),
        ("schreve mond", "face"),
        ("ik kan nie praten", "speech"),
    ],
)
def test_it_repairs_one_letter_typos_of_key_words(text: str, sign: str) -> None:
    assert sign in warning_signs(text)


@pytest.mark.parametrize(
    ("word", "kept"),
    [
        ("fiable", "fiable"),
        ("touche", "touche"),
        ("worst", "worst"),
        ("chess", "chess"),
        ("fizzy", "fizzy"),
        ("slaap", "slaap"),
        ("douche", "douche"),
        ("gewicht", "gewicht"),
        ("faibe", "faible"),
        ("hoofdpijm", "hoofdpijn"),
    ],
)
def test_typo_repair_leaves_real_neighbouring_words_alone(word: str, kept: str) -> None:
    assert repair(word) == kept


@pytest.mark.parametrize(
    "text",
    [
        "geen pijn op de borst",
        "ik heb geen hoofdpijn en ben niet duizelig",
        "geen last meer van duizeligheid",
        "pijn op de borst? nee hoor",
        "pas de vertiges",
        "je n'ai pas mal à la poitrine",
        "aucune douleur thoracique",
        "sans vertige",
        "je ne vois pas double",
        "je n'ai plus de vertiges",
        "ni vertige ni douleur",
        "no chest pain today",
        "I don't have any headache",
        "not dizzy anymore",
        "chest pain? no.",
        "never had chest pain",
        "no chest pain or dizziness",
        "I don't feel dizzy",
        "no numbness in my arm",
        "arm not weak",
        "geen hoofdpijn of duizeligheid",
    ],
)
def test_a_clearly_negated_sign_is_not_a_sign(text: str) -> None:
    assert warning_signs(text) == ()


@pytest.mark.parametrize(
    "text",
    [
        "hoofdpijn maar niet zo erg",
        "lichte hoofdpijn vandaag",
        "mild headache",
        "un peu mal à la tête mais ça va",
        "headache, not too bad",
        "is hoofdpijn normaal?",
    ],
)
def test_a_headache_that_is_not_sudden_and_severe_is_not_a_sign(text: str) -> None:
    assert "headache" not in warning_signs(text)


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("geen pijn op de borst maar wel een scheve mond", "face"),
        ("no fever but my arm is weak", "arm"),
        ("Nee, ik heb pijn op de borst", "chest_pain"),
        ("je n'ai pas de vertige mais j'ai mal à la poitrine", "chest_pain"),
        ("ik voel me niet goed, duizelig", "balance"),
        ("niet goed duizelig", "balance"),
        ("geen idee waarom ik zo duizelig ben", "balance"),
        ("I don't know what's wrong, my speech is slurred", "speech"),
        ("ik weet niet of ik duizelig ben", "balance"),
        ("ik ben niet zeker of mijn mond scheef staat", "face"),
    ],
)
def test_a_negation_of_something_else_does_not_hide_a_sign(text: str, sign: str) -> None:
    assert sign in warning_signs(text)


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("my hand went numb this morning, its ok now", "arm"),
        ("dizziness gone", "balance"),
        ("ik kan mijn arm niet optillen", "arm"),
        ("je ne vois plus rien", "eyes"),
        ("I can't feel my left arm", "arm"),
    ],
)
def test_a_sign_that_passed_or_is_phrased_as_an_inability_is_still_a_sign(
    text: str, sign: str
) -> None:
    assert sign in warning_signs(text)


@pytest.mark.parametrize(
    "text",
    [
        "het valt mee",
        "ik ben gisteren in slaap gevallen voor de tv",
        "I fell asleep",
        "ma tension est tombée à 10/6",
        "je suis tombée malade",
        "mal au coeur ce matin",
        "I can't see the point of measuring",
        "I have been weak since the flu",
        "mijn arm doet pijn van het tuinieren",
        "het weer is benauwd vandaag",
        "ik heb het druk",
        "alles draait om gezond eten",
        "ik heb dorst",
        "I play chess",
        "the worst is over",
        "my arm is fine now",
        "je touche du bois",
        "mon appareil n'est pas fiable",
        "ik wil stoppen met roken",
        "Quelle doit être ma tension ?",
        "dank u wel 🙏",
    ],
)
def test_everyday_phrases_are_not_signs(text: str) -> None:
    assert warning_signs(text) == ()


def test_it_names_several_signs_once_each_in_a_fixed_order() -> None:
    signs = warning_signs("pijn op de borst, scheve mond, praat raar en pijn op de borst")
    assert signs == ("face", "speech", "chest_pain")
    assert set(signs) <= set(SIGNS)
