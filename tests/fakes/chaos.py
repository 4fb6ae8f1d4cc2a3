"""Chaos for the fake providers: a persistent log of what they accepted, and random faults.

The reliability suite (tests/reliability/) kills `carebot tick` with SIGKILL at random moments;
what carebot's store says afterwards is checked against what the provider really received.
So each accepted message is appended to a file, one JSON line, flushed and fsynced *before*
the fake answers: a killed carebot cannot hide a send, and a duplicate shows as the same body
to the same recipient twice under one label.

    fake.received = ReceivedLog(path)           # every message accepted, one line each
    fake.received.label = "run-3"               # tags the lines that follow (one run, one slot)
    fake.chaos = Chaos(fault_rate=0.3, seed=1)  # random faults on the send endpoint
    entries = read_log(path); duplicates(entries)

`Chaos` draws one outcome per send: a fault answered before acceptance (a 5xx, or a 429 with
Retry-After), accept-then-5xx (recorded, 500 answered), accept-then-drop (recorded, connection
closed without an answer), or a slow create (recorded, answered after `slow_seconds`).
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tests.fakes.base import Failure


class ReceivedLog:
    """An append-only JSON-lines file of accepted messages, each line on disk before the answer."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.label = ""
        self._lock = threading.Lock()

    def append(self, *, channel: str, to: str, body: str, ident: str, at: datetime) -> None:
        """Write one line for one accepted message (`at`: the fake's clock), flushed and
        fsynced."""
        entry = {"label": self.label, "channel": channel, "to": to, "body": body, "id": ident}
        line = json.dumps({**entry, "at": at.isoformat()})
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")
            out.flush()
            os.fsync(out.fileno())


def read_log(path: Path) -> list[dict[str, Any]]:
    """Every line of a received log (none if the fake never accepted anything)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def duplicates(entries: list[dict[str, Any]]) -> int:
    """How many messages were received more than once: same label, recipient and body."""
    seen = Counter((e["label"], e["channel"], e["to"], e["body"]) for e in entries)
    return sum(count - 1 for count in seen.values() if count > 1)


@dataclass
class Chaos:
    """Shares of sends that misbehave, drawn independently per send from a seeded generator.

    `fault_rate` is split between 5xx before acceptance and 429 with `retry_after`
    (`throttle_share` of the faults); the accepted-but-ambiguous kinds come on top."""

    fault_rate: float = 0.0
    throttle_share: float = 0.5
    retry_after: int = 1
    accept_error_rate: float = 0.0
    accept_drop_rate: float = 0.0
    slow_rate: float = 0.0
    slow_seconds: float = 20.0
    seed: int = 0
    drawn: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()

    def roll(self, target: str) -> Failure | None:
        """The misbehaviour for one send to `target`, or None for a plain success."""
        with self._lock:
            draw = self._random.random()
        kinds = [
            (self.fault_rate * self.throttle_share, "throttle"),
            (self.fault_rate * (1 - self.throttle_share), "fault"),
            (self.accept_error_rate, "accept-error"),
            (self.accept_drop_rate, "drop"),
            (self.slow_rate, "hang"),
        ]
        for share, kind in kinds:
            if draw < share:
                self.drawn[kind] += 1
                return self._failure(kind, target)
            draw -= share
        self.drawn["ok"] += 1
        return None

    def _failure(self, kind: str, target: str) -> Failure:
        if kind == "throttle":
            return Failure(status=429, code=20429, retry_after=self.retry_after, target=target)
        if kind == "fault":
            return Failure(status=503, code=20503, target=target)
        if kind == "accept-error":
            return Failure(kind="accept-error", status=500, code=20500, target=target)
        if kind == "drop":
            return Failure(kind="drop", target=target)
        return Failure(kind="hang", seconds=self.slow_seconds, target=target)


class SimClock:
    """A provider clock that follows `tick --at`: the simulated instant plus the real time
    elapsed since it was set, plus a skew (a provider whose clock is off from carebot's)."""

    def __init__(self, start: datetime, skew: timedelta = timedelta(0)) -> None:
        self.skew = skew
        self.set(start)

    def set(self, at: datetime) -> None:
        """Carebot's clock now reads `at`."""
        self._at, self._since = at, time.monotonic()

    def __call__(self) -> datetime:
        return self._at + timedelta(seconds=time.monotonic() - self._since) + self.skew
