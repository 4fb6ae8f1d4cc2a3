"""Text folding shared by the reply parsers: one spelling for many ways of typing a word.

Patients type on old phones, without accents, in capitals, with curly quotes and with a
finger that stays too long on a key. Every parser in `bot.inbound` first folds the text so
that its patterns need to know one spelling only.
"""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "`": "'",
        "\u00b4": "'",
        "\u2044": "/",
        "\u2215": "/",
        "\uff0f": "/",
        "\u0153": "oe",
        "\u00e6": "ae",
        "\u00df": "ss",
    }
)
_SPACES = re.compile(r"\s+")
# "duizeliggg", "pijjjn": three or more of the same letter are one letter.
_REPEATS = re.compile(r"([a-z])\1{2,}")


def strip_accents(text: str) -> str:
    """`Arrêt, glycémie` -> `Arret, glycemie` (compatibility forms folded too: `ﬁ` -> `fi`)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Lower case, no accents, straight apostrophes, single spaces, no stuttering letters."""
    folded = strip_accents(text.lower()).translate(_APOSTROPHES)
    folded = _REPEATS.sub(r"\1", folded)
    return _SPACES.sub(" ", folded).strip()
