"""Dialect, spelling and dictation normalisation: the reply as the lexicons spell it.

Runs after `bot.triage.fold.fold` (lower case, no accents, no stuttering letters), before
any reading or warning sign is looked for, so that each lexicon needs one spelling per word:

- Flemish forms: `nie`/`ni` -> `niet`, `da` -> `dat`, `goe` -> `goed`, `'k`/`k` + verb ->
  `ik` + verb, run-together negations (`kannie` -> `kan niet`, `nimeer` -> `niet meer`),
  dialect words (`kopzeer`, `koppijn` -> `hoofdpijn`; `efkes` -> `even`);
- diminutives: `suikerke`, `kwartierke`, `uurke`, `handje` -> `suiker`, `kwartier`, `uur`,
  `hand`, when the stem is a word carebot knows (`meiske` stays, `suikerke` does not);
- text-message spellings (`gn` -> `geen`, `pr` -> `pour`, `tjrs` -> `toujours`, `jsuis` ->
  `je suis`, `cant` -> `can't`);
- numbers as words (`bot.triage.number_words`: "cent nonante" -> 190);
- dictation: a number read aloud with `virgule`, `komma`, `punt`, `point` or `comma` between
  its digits is a decimal (`6 virgule 4` -> `6,4`), `slash` between two numbers is `/`, and
  a `comma` read aloud after a word is a comma.

Every rule maps a whole word to a whole word (no backtracking patterns), so the cost is linear
in the length of the reply.
"""

from __future__ import annotations

import functools
import re

from bot.triage.fold import fold
from bot.triage.number_words import spell_numbers

# Whole words that stand for another spelling.
_WORDS = {
    # Flemish and Dutch text-message forms
    "nie": "niet",
    "nt": "niet",
    "gn": "geen",
    "da": "dat",
    "goe": "goed",
    "efkes": "even",
    "effe": "even",
    "efjes": "even",
    "kopzeer": "hoofdpijn",
    "koppijn": "hoofdpijn",
    "kopijn": "hoofdpijn",
    "hoofdzeer": "hoofdpijn",
    "dan'k": "dan ik",
    "kheb": "ik heb",
    "kben": "ik ben",
    "kzie": "ik zie",
    "kvoel": "ik voel",
    "kkan": "ik kan",
    "kon'k": "kon ik",
    "kan'k": "kan ik",
    "kweet": "ik weet",
    "kwas": "ik was",
    "kzag": "ik zag",
    "kkrijg": "ik krijg",
    "kwil": "ik wil",
    "kga": "ik ga",
    "kzit": "ik zit",
    "ksta": "ik sta",
    "kdenk": "ik denk",
    "nimeer": "niet meer",
    "niemeer": "niet meer",
    "nietmeer": "niet meer",
    "mn": "mijn",
    "m'n": "mijn",
    "zn": "zijn",
    "z'n": "zijn",
    # French text-message forms
    "jsuis": "je suis",
    "chuis": "je suis",
    "jai": "j'ai",
    "pr": "pour",
    "tjrs": "toujours",
    "tjs": "toujours",
    "bcp": "beaucoup",
    "pcq": "parce que",
    "pk": "pourquoi",
    "ds": "dans",
    "mtn": "maintenant",
    "auj": "aujourd'hui",
    "jpeux": "je peux",
    "jpx": "je peux",
    "jarrive": "j'arrive",
    "jsais": "je sais",
    "chais": "je sais",
    "jvois": "je vois",
    "jsens": "je sens",
    "ptet": "peut-etre",
    "slt": "salut",
    "stp": "s'il te plait",
    "svp": "s'il vous plait",
    "ya": "il y a",
    # English text-message forms
    "cant": "can't",
    "cannot": "can't",
    "wouldnt": "wouldn't",
    "shouldnt": "shouldn't",
    "men": "mijn",
    "mien": "mijn",
    "goat": "gaat",
    "goeng": "ging",
    "were": "weer",
    "ip": "op",
    "stoan": "staan",
    "opstoan": "opstaan",
    "woar": "waar",
    "joar": "jaar",
    "wuk": "wat",
    "noar": "naar",
    "hee": "heeft",
    "moar": "maar",
    "mo": "maar",
    "deur": "door",
    "vint": "vent",
    "droagen": "dragen",
    "noene": "middag",
    "beenen": "benen",
    "stroate": "straat",
    "zoaterdag": "zaterdag",
    "gazette": "krant",
    "mor": "maar",
    "k": "ik",
    "gien": "geen",
    "gin": "geen",
    "vo": "voor",
    "lik": "lijk",
    "couldnt": "couldn't",
    "dont": "don't",
    "doesnt": "doesn't",
    "didnt": "didn't",
    "wont": "won't",
    "isnt": "isn't",
    "im": "i'm",
    "ive": "i've",
    "ur": "your",
    "pls": "please",
    "plz": "please",
    "coz": "because",
    "cuz": "because",
}
# Flemish run-together forms: a verb with its negation, "kannie" -> "kan niet".
_GLUED_NEGATION = re.compile(
    r"^(ik)?(kan|kon|wil|gaat|ga|doet|zie|voel|krijg|mag|moet|lukt|is"
    r"|was)(?:nie|ni|niet)(meer)?$"
)
# Diminutive endings: "-tjes", "-etje", "-ske", "-ke", "-je"...
_DIMINUTIVE_ENDINGS = (
    "etjes",
    "etje",
    "tjes",
    "pjes",
    "tje",
    "pje",
    "kes",
    "ske",
    "ke",
    "jes",
    "je",
)
# Stems a diminutive may be read back to: carebot's own reading and sign words.
DIMINUTIVE_STEMS = frozenset(
    (
        "suiker",
        "bloedsuiker",
        "druk",
        "bloeddruk",
        "kwartier",
        "uur",
        "minuut",
        "minuten",
        "seconde",
        "moment",
        "hand",
        "arm",
        "been",
        "voet",
        "vinger",
        "oog",
        "mond",
        "hoofd",
        "koffie",
        "tas",
        "kop",
        "glas",
        "sleutel",
        "lepel",
        "vork",
        "pen",
        "woord",
        "beet",
        "beetje",
        "stem",
        "tong",
        "stok",
        "koek",
        "meter",
        "lip",
        "wang",
        "zus",
        "man",
        "vrouw",
        "vent",
    )
)
_DICTATED_SLASH = re.compile(
    r"(?<![0-9])([0-9]{1,3})\s+(?:slash|barre|streep|schuine streep)"
    r"\s+([0-9]{1,3})(?![0-9])"
)
# "my face is dropping on the left comma can you call me": punctuation read aloud.
_DICTATED_COMMA = re.compile(r"(?<=[a-z])\s+(?:comma|komma|virgule)\b")
_DICTATED_DECIMAL = re.compile(
    r"(?<![0-9])([0-9]{1,3})\s+(?:virgule|komma|comma|punt|point)"
    r"\s+([0-9]{1,2})(?![0-9])"
)
_WORD = re.compile(r"(?<![a-z'])'?[a-z]+(?:'[a-z]+)*")


@functools.lru_cache(maxsize=64)  # one reply is read by several parsers in turn
def normalise(text: str) -> str:
    """Folded `text` with dialect, text-message and dictation forms spelled out."""
    folded = spell_numbers(fold(text))
    folded = _DICTATED_SLASH.sub(r"\1/\2", _DICTATED_DECIMAL.sub(r"\1,\2", folded))
    folded = _DICTATED_COMMA.sub(",", folded)
    return _WORD.sub(lambda match: _word(match.group(0)), folded)


def _word(token: str) -> str:
    if token == "'k":  # Flemish "'k kan" is "ik kan"
        return "ik"
    if token in _WORDS:
        return _WORDS[token]
    glued = _GLUED_NEGATION.match(token)
    if glued:
        return ("ik " if glued[1] else "") + f"{glued[2]} niet" + (" meer" if glued[3] else "")
    for ending in _DIMINUTIVE_ENDINGS:
        if token.endswith(ending) and len(token) > len(ending) + 1:
            stem = token[: -len(ending)]
            if stem in DIMINUTIVE_STEMS:
                return stem
            if len(stem) > 3 and stem[-1] == stem[-2] and stem[:-1] in DIMINUTIVE_STEMS:
                return stem[:-1]  # "kopke" is no "kopp", "vingerke"...
    return token
