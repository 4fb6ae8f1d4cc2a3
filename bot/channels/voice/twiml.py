"""The TwiML of a reminder call and of the answer to a keypress, built with the SDK's
`VoiceResponse` so that every text is escaped as XML character data.

The spoken words around the reminder (the keypress question, the thanks) are part of the
channel, in each language carebot speaks; the reminder itself is the program's template.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from twilio.twiml.voice_response import Gather, VoiceResponse

from bot.channels.base import ChannelError, ErrorKind

# The patient's language -> the locale a voice reads it in (Belgian Dutch and French).
LOCALES = {"nl": "nl-BE", "fr": "fr-BE", "en": "en-GB"}
# Neural voices, which read SSML prosody; a program may name others (`voices = { nl = ... }`).
VOICES = {"nl": "Polly.Lisa-Neural", "fr": "Polly.Isabelle-Neural", "en": "Polly.Amy-Neural"}
VOICE_NAME = re.compile(r"(Polly|Google)\.[A-Za-z0-9-]{1,60}")
QUESTION = {
    "nl": "Hebt u gemeten? Druk dan op 1. Wilt u een verpleegkundige spreken? Druk op 2.",
    "fr": "Vous avez pris vos mesures ? Appuyez sur 1. "
    "Pour parler à une infirmière, appuyez sur 2.",
    "en": "Have you measured? Then press 1. To talk to a nurse, press 2.",
}
THANKS = {
    "1": {
        "nl": "Dank u wel. Tot volgende week.",
        "fr": "Merci beaucoup. À la semaine prochaine.",
        "en": "Thank you. Until next week.",
    },
    "2": {
        "nl": "Dank u wel. Een verpleegkundige belt u terug.",
        "fr": "Merci. Une infirmière va vous rappeler.",
        "en": "Thank you. A nurse will call you back.",
    },
}
GOODBYE = {"nl": "Tot ziens.", "fr": "Au revoir.", "en": "Goodbye."}
PAUSE_SECONDS = 2
GATHER_SECONDS = 10  # time to find the key, for a patient who may be slow to move
TWIML_LIMIT = 4000  # Twilio's limit on the `Twiml` parameter, in characters


def voice_for(language: str, options: Mapping[str, Any]) -> tuple[str, str]:
    """(locale, voice) for a language, the program's choice of voice first; ChannelError
    (account-refused: try the next channel) for a language carebot has no voice for."""
    locale = LOCALES.get(language)
    if locale is None:
        raise ChannelError("no voice for the patient's language", ErrorKind.ACCOUNT_REFUSED)
    voices = options.get("voices", {})
    voice = voices.get(language, VOICES[language]) if isinstance(voices, dict) else None
    if not isinstance(voice, str) or VOICE_NAME.fullmatch(voice) is None:
        raise ChannelError("bad voice in the program's options", ErrorKind.ACCOUNT_REFUSED)
    return locale, voice


def _say(parent: VoiceResponse | Gather, text: str, locale: str, voice: str) -> None:
    parent.say(language=locale, voice=voice).prosody(text, rate="slow")


def _ask(response: VoiceResponse, action: str, language: str, locale: str, voice: str) -> None:
    gather = response.gather(num_digits=1, action=action, method="POST", timeout=GATHER_SECONDS)
    _say(gather, QUESTION[language], locale, voice)


def reminder_call(*, body: str, language: str, action: str, options: Mapping[str, Any]) -> str:
    """The call: the reminder twice with a pause, then the question (twice if unanswered)."""
    locale, voice = voice_for(language, options)
    response = VoiceResponse()
    _say(response, body, locale, voice)
    response.pause(length=PAUSE_SECONDS)
    _say(response, body, locale, voice)
    _ask(response, action, language, locale, voice)
    _ask(response, action, language, locale, voice)
    _say(response, GOODBYE[language], locale, voice)
    twiml = str(response.to_xml())
    if len(twiml) > TWIML_LIMIT:
        raise ChannelError("the reminder is too long for a call", ErrorKind.ACCOUNT_REFUSED)
    return twiml


def keypress_answer(*, digit: str, language: str, action: str) -> str:
    """The answer to a keypress: thanks for 1 or 2, the question again for any other key."""
    language = language if language in LOCALES else "en"
    locale, voice = voice_for(language, {})
    response = VoiceResponse()
    if digit in THANKS:
        _say(response, THANKS[digit][language], locale, voice)
    else:
        _ask(response, action, language, locale, voice)
        _say(response, GOODBYE[language], locale, voice)
    response.hangup()
    return str(response.to_xml())
