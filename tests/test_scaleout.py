"""The scale-out benchmark's own checks (benchmarks/scaleout.py): how it counts duplicates and
lost reminders, and, in the PostgreSQL pass, the whole harness at a tiny size: real `carebot
tick` processes at once on one PostgreSQL store, one of them killed mid-run."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from benchmarks import scaleout, scaleout_probe
from benchmarks.scaleout_setup import Bench, Config
from tests.conftest import POSTGRES_ADMIN_URL
from tests.fakes.twilio import FakeTwilio

NUMBERS = {"P-1": "+32470100001", "P-2": "+32470100002", "P-3": "+32470100003"}


def test_duplicates_count_messages_beyond_the_first_per_recipient() -> None:
    accepted = Counter({"+32470100001": 1, "+32470100002": 3, "+32470100003": 2})
    assert scaleout_probe.duplicates(accepted) == 3
    assert scaleout_probe.duplicates(Counter({"+32470100001": 1})) == 0


def test_lost_counts_what_is_neither_received_nor_unconfirmed() -> None:
    accepted = Counter({"+32470100001": 1})
    due = {"P-1": "sent", "P-2": "unconfirmed", "P-3": "sending"}
    assert scaleout_probe.lost(due, NUMBERS, accepted) == 1  # P-3: no final status
    # `sent` in the store but never received by the provider is lost too
    assert scaleout_probe.lost({"P-1": "sent", "P-2": "delivered"}, NUMBERS, accepted) == 1
    assert scaleout_probe.lost({"P-1": "missed"}, NUMBERS, accepted) == 1
    assert scaleout_probe.lost({"P-1": "read", "P-2": "unconfirmed"}, NUMBERS, accepted) == 0


def test_strays_are_messages_to_numbers_with_nothing_due() -> None:
    accepted = Counter({"+32470100001": 1, "+32470199999": 2})
    assert scaleout_probe.strays(NUMBERS.values(), accepted) == 2
    assert scaleout_probe.strays(NUMBERS.values(), Counter({"+32470100003": 1})) == 0


def test_the_fake_checks_one_request_in_spec_every_against_the_spec() -> None:
    fake = FakeTwilio()
    assert [fake.spec_due() for _ in range(3)] == [True, True, True]  # by default, each one
    fake.spec_every = 3
    assert [fake.spec_due() for _ in range(6)] == [True, False, False, True, False, False]


def test_a_run_is_not_ok_with_a_duplicate_a_loss_or_a_failed_tick() -> None:
    assert scaleout.ok(scaleout.Run(2))
    assert not scaleout.ok(scaleout.Run(2, duplicates=1))
    assert not scaleout.ok(scaleout.Run(2, lost=1))
    assert not scaleout.ok(scaleout.Run(2, failed_exits=[1]))


@pytest.mark.skipif(POSTGRES_ADMIN_URL is None, reason="needs CAREBOT_TEST_POSTGRES_URL")
def test_dispatchers_on_postgres_send_each_reminder_once_through_a_kill(tmp_path: Path) -> None:
    assert POSTGRES_ADMIN_URL is not None
    config = Config(patients=24, in_flight=2, lease=5, timeout=60)
    with Bench(tmp_path, POSTGRES_ADMIN_URL, config) as bench:
        result = scaleout.run(bench, 2, kill=True)
    assert scaleout.ok(result), scaleout.describe(result, None)
    assert result.due == 24 and result.lost == 0 and result.duplicates == 0
    assert result.statuses["sent"] + result.statuses["unconfirmed"] == 24
    assert result.kill["killed after"] < 24  # killed before the slot was through
    assert 0 < result.in_window <= result.sent and result.cpu_dispatchers > 0
