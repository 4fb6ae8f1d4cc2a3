"""Reply-triage scores on the labelled corpora of patient replies.

    python benchmarks/corpus.py [--corpus FILE ...] [--errors]

By default scores the development corpus (`tests/corpus/replies.jsonl`, which the word lists
and the grammar are tuned on) and the held-out corpus (`tests/corpus/heldout.jsonl`, written
apart from them and never tuned on line by line) separately. For each: precision and recall
of each flag per language and overall, the share of non-urgent lines flagged urgent (false
urgent), the share of lines whose readings (systolic, diastolic, glucose) come out exactly as
labelled, and the time to classify one reply (median and p99 over every line, each classified
alone, after a warm-up pass). `--errors` also lists the lines that disagree with their label.
Exits 1 when urgent recall is below 100% on any corpus: a missed warning sign is the one error
carebot must not make.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.triage.classify import FLAGS, Triage, classify  # noqa: E402

LANGUAGES = ("nl", "fr", "en")
READING_FIELDS = ("systolic", "diastolic", "glucose_mmol_l")


@dataclass
class Count:
    """True positives, false positives and false negatives of one flag in one group."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, *, expected: bool, got: bool) -> None:
        self.tp += expected and got
        self.fp += got and not expected
        self.fn += expected and not got

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


def load(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def readings_match(row: dict[str, Any], triage: Triage) -> bool:
    return all(getattr(triage.readings, field) == row[field] for field in READING_FIELDS)


def _pct(value: float | None) -> str:
    return "   n/a" if value is None else f"{value * 100:5.1f}%"


def score(rows: list[dict[str, Any]], results: list[Triage]) -> dict[str, dict[str, Count]]:
    """Counts per group ("all" and each language) and per flag."""
    counts = {group: {flag: Count() for flag in FLAGS} for group in ("all", *LANGUAGES)}
    for row, triage in zip(rows, results, strict=True):
        for flag in FLAGS:
            for group in ("all", row["lang"]):
                counts[group][flag].add(expected=flag in row["flags"], got=flag in triage.flags)
    return counts


def print_flag_table(rows: list[dict[str, Any]], counts: dict[str, dict[str, Count]]) -> None:
    print(
        f"{'group':<6} {'lines':>5}  {'flag':<10} {'labelled':>8} {'flagged':>7} "
        f"{'precision':>9} {'recall':>7}"
    )
    for group in ("all", *LANGUAGES):
        size = sum(1 for row in rows if group in ("all", row["lang"]))
        if not size:
            continue
        for flag in FLAGS:
            c = counts[group][flag]
            print(
                f"{group:<6} {size:>5}  {flag:<10} {c.tp + c.fn:>8} {c.tp + c.fp:>7} "
                f"{_pct(c.precision):>9} {_pct(c.recall):>7}"
            )


def print_reading_table(rows: list[dict[str, Any]], results: list[Triage]) -> None:
    print(
        f"{'group':<6} {'lines':>5}  {'readings exact':>14} {'with a reading':>14} "
        f"{'of those exact':>14}"
    )
    for group in ("all", *LANGUAGES):
        pairs = [(r, t) for r, t in zip(rows, results, strict=True) if group in ("all", r["lang"])]
        if not pairs:
            continue
        exact = sum(readings_match(r, t) for r, t in pairs)
        labelled = [(r, t) for r, t in pairs if any(r[f] is not None for f in READING_FIELDS)]
        labelled_exact = sum(readings_match(r, t) for r, t in labelled)
        print(
            f"{group:<6} {len(pairs):>5}  {_pct(exact / len(pairs)):>14} {len(labelled):>14} "
            f"{_pct(labelled_exact / len(labelled) if labelled else None):>14}"
        )


def print_errors(rows: list[dict[str, Any]], results: list[Triage]) -> None:
    for row, triage in zip(rows, results, strict=True):
        if sorted(row["flags"]) != sorted(triage.flags) or not readings_match(row, triage):
            got = [
                triage.readings.systolic,
                triage.readings.diastolic,
                triage.readings.glucose_mmol_l,
            ]
            print(
                f"  [{row['lang']}] {row['text']!r}: labelled {row['flags']} "
                f"{[row[f] for f in READING_FIELDS]}, got {list(triage.flags)} {got} "
                f"signs={list(triage.signs)}"
            )


def report(path: Path, *, errors: bool) -> float | None:
    """Print the scores of one corpus; its urgent recall."""
    rows = load(path)
    results = [classify(row["text"], language=row["lang"]) for row in rows]  # warm-up too
    timings = []
    for row in rows:
        started = time.perf_counter()
        classify(row["text"], language=row["lang"])
        timings.append(time.perf_counter() - started)
    timings.sort()
    counts = score(rows, results)
    print(f"corpus: {path} ({len(rows)} lines)\n")
    print_flag_table(rows, counts)
    not_urgent = [t for r, t in zip(rows, results, strict=True) if "urgent" not in r["flags"]]
    false_urgent = sum("urgent" in t.flags for t in not_urgent)
    print(
        f"\nfalse urgent: {false_urgent} of {len(not_urgent)} non-urgent lines "
        f"({_pct(false_urgent / len(not_urgent) if not_urgent else None).strip()})\n"
    )
    print_reading_table(rows, results)
    median = timings[len(timings) // 2]
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    print(
        f"\nclassify one reply: median {median * 1e6:.0f} µs, p99 {p99 * 1e6:.0f} µs, "
        f"max {timings[-1] * 1e6:.0f} µs"
    )
    if errors:
        print("\ndisagreements:")
        print_errors(rows, results)
    print()
    return counts["all"]["urgent"].recall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--corpus",
        type=Path,
        action="append",
        help="a corpus to score (default: the development and held-out ones)",
    )
    parser.add_argument("--errors", action="store_true", help="list disagreeing lines")
    args = parser.parse_args(argv)
    paths = args.corpus or [
        ROOT / "tests/corpus/replies.jsonl",
        ROOT / "tests/corpus/heldout.jsonl",
    ]
    failed = False
    for path in paths:
        recall = report(path, errors=args.errors)
        if recall is not None and recall < 1.0:
            print(f"FAIL: urgent recall {recall:.1%} < 100% on {path.name}", file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
