"""Triage flags of a reply, and the whole labelled corpus (bot.inbound.triage).

The corpus, tests/corpus/replies.jsonl, holds realistic patient replies labelled by hand
with the flags a careful nurse would raise and the readings she would read. Agreement
asked of the classifier on it: urgent recall 100%; readings exact on every line; the other
flags exact on every line; urgent precision at least 97% (a few false alarms are the price
of never missing a sign: they are listed in the corpus as such).
"""

from __future__ import annotations

import json
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest

from bot.inbound.readings import Readings
from bot.inbound.triage import DEFAULT_THRESHOLDS, FLAGS, Thresholds, classify

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "corpus" / "replies.jsonl"


def _corpus() -> list[dict[str, Any]]:
    with CORPUS.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _flags(text: str, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> tuple[str, ...]:
    return classify(text, thresholds).flags


@pytest.mark.parametrize(("text", "flags"), [
    ("bloeddruk 139/89", ()),
    ("bloeddruk 140/85", ("attention",)),
    ("bloeddruk 130/90", ("attention",)),
    ("BP 90/60", ()),
    ("bp 89/60", ("attention",)),
    ("bloeddruk 179/109", ("attention",)),
    ("bloeddruk 180/100", ("urgent", "attention")),
    ("bloeddruk 150/110", ("urgent", "attention")),
    ("suiker 4.0", ()),
    ("suiker 3,9", ("attention",)),
    ("suiker 3.0", ("attention",)),
    ("suiker 2,9", ("urgent", "attention")),
    ("suiker 10", ()),
    ("suiker 10.1", ("attention",)),
    ("suiker 20", ("attention",)),
    ("suiker 20,1", ("urgent", "attention")),
])
def test_it_flags_readings_at_the_default_thresholds(text: str, flags: tuple[str, ...]) -> None:
    assert _flags(text) == flags


def test_a_reading_at_an_urgent_level_also_carries_attention() -> None:
    assert _flags("tension 18/11") == ("urgent", "attention")


def test_a_program_can_move_the_thresholds() -> None:
    strict = Thresholds(attention_systolic_high=130, urgent_systolic_high=160)
    assert _flags("bloeddruk 135/80", strict) == ("attention",)
    assert _flags("bloeddruk 165/80", strict) == ("urgent", "attention")
    assert _flags("bloeddruk 135/80") == ()


def test_the_threshold_names_are_those_of_the_shipped_program_file() -> None:
    program = tomllib.loads((ROOT / "schedules" / "post-stroke-weekly.toml").read_text())
    assert Thresholds(**program["thresholds"]) == DEFAULT_THRESHOLDS


def test_a_warning_sign_is_urgent_without_any_reading() -> None:
    triage = classify("mijn arm is slap")
    assert triage.flags == ("urgent",)
    assert triage.signs == ("arm",) and triage.readings == Readings()


def test_a_sign_and_a_high_reading_carry_both_flags_in_flags_order() -> None:
    triage = classify("bp 150/95 and a terrible headache")
    assert triage.flags == ("urgent", "attention")
    assert triage.readings == Readings(150, 95)


def test_a_bad_reading_written_after_a_good_one_still_raises_its_flag() -> None:
    triage = classify("tension 13/8 hier, 18/10 ce matin")
    assert triage.readings == Readings(130, 80)
    assert triage.flags == ("urgent", "attention")


@pytest.mark.parametrize(("text", "flags", "keyword"), [
    ("STOP", ("opt-out",), "stop"),
    ("arrêt", ("opt-out",), "stop"),
    ("/stop", ("opt-out",), "stop"),
    ("HELP", ("info",), "help"),
    ("START", (), "start"),
    ("ik wil stoppen met roken", (), None),
])
def test_keywords_become_opt_out_and_info(
        text: str, flags: tuple[str, ...], keyword: str | None) -> None:
    triage = classify(text)
    assert (triage.flags, triage.keyword) == (flags, keyword)


def test_the_corpus_is_large_well_formed_and_mostly_dutch() -> None:
    rows = _corpus()
    assert len(rows) >= 330
    for row in rows:
        assert set(row) == {"text", "lang", "flags", "systolic", "diastolic", "glucose_mmol_l"}
        assert row["lang"] in ("nl", "fr", "en") and set(row["flags"]) <= set(FLAGS)
    shares = {lang: sum(r["lang"] == lang for r in rows) / len(rows) for lang in ("nl", "fr", "en")}
    assert 0.35 <= shares["nl"] <= 0.45 and 0.25 <= shares["fr"] <= 0.35
    assert 0.25 <= shares["en"] <= 0.35
    assert len({(r["text"], r["lang"]) for r in rows}) == len(rows)


def test_every_urgent_reply_in_the_corpus_is_flagged_urgent() -> None:
    missed = [r["text"] for r in _corpus() if "urgent" in r["flags"]
              and "urgent" not in classify(r["text"]).flags]
    assert missed == []


def test_readings_match_every_labelled_line_of_the_corpus() -> None:
    wrong = [(r["text"], classify(r["text"]).readings) for r in _corpus()
             if classify(r["text"]).readings
             != Readings(r["systolic"], r["diastolic"], r["glucose_mmol_l"])]
    assert wrong == []


def test_non_urgent_flags_match_every_line_and_urgent_precision_is_high() -> None:
    rows = _corpus()
    results = [classify(r["text"]) for r in rows]
    wrong = [r["text"] for r, t in zip(rows, results, strict=True)
             if [f for f in t.flags if f != "urgent"] != [f for f in r["flags"] if f != "urgent"]]
    assert wrong == []
    flagged = [r for r, t in zip(rows, results, strict=True) if "urgent" in t.flags]
    precision = sum("urgent" in r["flags"] for r in flagged) / len(flagged)
    assert precision >= 0.97


@pytest.mark.parametrize("unit", [
    "suiker ", "geen duizelig ", "128/79 ", "1/", "pijn op de borst ", "kan ", "0 1 ", "a",
])
def test_a_longest_telegram_message_of_repeats_is_classified_quickly(unit: str) -> None:
    # A guard against patterns that backtrack without end (seen: 16 ms at most), not a
    # performance goal: the corpus's speed is measured in benchmarks/corpus.py.
    text = (unit * (4096 // len(unit) + 1))[:4096]
    started = time.perf_counter()
    classify(text)
    assert time.perf_counter() - started < 0.25
