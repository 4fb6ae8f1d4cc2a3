"""SMS and Telegram keywords: a one-word reply that stops, restarts or asks for help.

Twilio reads a message as a keyword only when the whole body is that word, in any case, and
carebot does the same: `STOP`, `Stop.` and `/stop` stop; "ik wil stoppen met roken" or
"stop met die berichten aub" do not (a nurse reads those). Accents are optional (`ARRÊT`,
`arret`); a Telegram command may carry the bot's name (`/stop@carebot_bot`) but not an
argument (`/start CODE` binds a chat and is handled by the Telegram channel).
"""

from __future__ import annotations

import re
from typing import Literal

from bot.triage.fold import strip_accents

Keyword = Literal["stop", "start", "help"]

KEYWORDS: dict[str, Keyword] = {
    **dict.fromkeys(
        (
            "STOP",
            "STOPALL",
            "UNSUBSCRIBE",
            "CANCEL",
            "END",
            "QUIT",
            "REVOKE",
            "OPTOUT",
            "ARRET",
            "STOPPEN",
        ),
        "stop",
    ),
    **dict.fromkeys(("START", "UNSTOP", "YES"), "start"),
    **dict.fromkeys(("HELP", "INFO"), "help"),
}

_ONE_WORD = re.compile(r"/?(?P<word>[A-Z]+)(?:@[A-Za-z0-9_]+)?[.!?,;:\s]*")


def keyword_of(text: str) -> Keyword | None:
    """The keyword a one-word message is, or None for anything longer or unknown."""
    match = _ONE_WORD.fullmatch(strip_accents(text.strip()).upper())
    if match is None:
        return None
    return KEYWORDS.get(match["word"])
