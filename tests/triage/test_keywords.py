"""One-word SMS and Telegram keywords (bot.triage.keywords)."""

from __future__ import annotations

import pytest

from bot.triage.keywords import keyword_of


@pytest.mark.parametrize(
    "word",
    [
        "STOP",
        "STOPALL",
        "UNSUBSCRIBE",
        "CANCEL",
        "END",
        "QUIT",
        "REVOKE",
        "OPTOUT",
        "ARRET",
        "ARRÊT",
        "STOPPEN",
    ],
)
def test_each_twilio_and_local_stop_word_stops(word: str) -> None:
    assert keyword_of(word) == "stop"


@pytest.mark.parametrize("word", ["START", "UNSTOP", "YES"])
def test_each_start_word_restarts(word: str) -> None:
    assert keyword_of(word) == "start"


@pytest.mark.parametrize("word", ["HELP", "INFO"])
def test_each_help_word_asks_for_help(word: str) -> None:
    assert keyword_of(word) == "help"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("stop", "stop"),
        ("Stop", "stop"),
        (" Stop! ", "stop"),
        ("stop.", "stop"),
        ("STOP!!!", "stop"),
        ("arrêt", "stop"),
        ("Arret.", "stop"),
        ("\tstoppen\n", "stop"),
        ("Yes!", "start"),
        ("help?", "help"),
        ("ＳＴＯＰ", "stop"),
    ],
)
def test_it_ignores_case_accents_whitespace_and_trailing_punctuation(
    text: str, expected: str
) -> None:
    assert keyword_of(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/stop", "stop"),
        ("/start", "start"),
        ("/help", "help"),
        ("/stop@carebot_bot", "stop"),
    ],
)
def test_it_accepts_telegram_commands_without_argument(text: str, expected: str) -> None:
    assert keyword_of(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "ik wil stoppen met roken",
        "stop met roken lukt niet",
        "please stop",
        "stop stop",
        "STOP sending me these",
        "/start ABC123",
        "help me",
        "j'ai arrêté de fumer",
        "stopped",
        "",
        "   ",
        ".",
        "s t o p",
        "st0p",
        "stop-all",
        "/",
        "ok",
        "nee",
    ],
)
def test_a_sentence_or_an_unknown_word_is_no_keyword(text: str) -> None:
    assert keyword_of(text) is None
