"""Statuses are enums whose values are the strings the store holds and the JSON prints."""

from __future__ import annotations

import json

import pytest

from bot.config import Settings
from bot.store.statuses import AttemptOutcome, ReminderStatus
from bot.store.store import Store
from tests.conftest import Cli
from tests.helpers import cli_on, first_due
from tests.hostile import seed


@pytest.fixture
def run(cli: Cli, settings: Settings) -> Cli:
    """The `carebot` command (in process) on the test's store."""
    return cli_on(cli, settings)


def test_the_values_are_the_strings_already_in_every_store() -> None:
    """Renaming one would strand the rows written before (and break scripts reading JSON)."""
    assert [s.value for s in ReminderStatus] == [
        "planned",
        "sending",
        "sent",
        "delivered",
        "read",
        "failed",
        "undeliverable",
        "missed",
        "cancelled",
        "unconfirmed",
    ]
    assert [o.value for o in AttemptOutcome] == [
        "pending",
        "sent",
        "failed",
        "unknown",
        "not-found",
        "absent",
    ]


def test_audit_deliveries_filters_by_status_and_refuses_one_that_does_not_exist(
    run: Cli, store: Store
) -> None:
    seed(store, "Jan", ref="AZ-1")
    assert run("tick", "--at", first_due().isoformat()).code == 0
    sent = run("audit", "deliveries", "--status", "sent", "--format", "json")
    assert sent.code == 0, sent.err
    assert [row["status"] for row in json.loads(sent.out)] == ["sent"]
    assert (
        json.loads(run("audit", "deliveries", "--status", "failed", "--format", "json").out) == []
    )
    typo = run("audit", "deliveries", "--status", "snet", "--format", "json")
    assert (typo.code, typo.out) == (2, "")  # not an empty list that reads as "none failed"
    assert len(typo.err.strip().splitlines()) <= 5 and "--status" in typo.err
