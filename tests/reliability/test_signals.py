"""SIGTERM and SIGINT to `carebot run` in the middle of a cycle's sends: it exits within a
deadline; SIGTERM lets the cycle finish, and after either nothing is sent twice and a later
tick leaves nothing without a final status."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import REPO_ROOT
from tests.reliability.conftest import MakeRig
from tests.reliability.rig import BRUSSELS, LEASE, recover

pytestmark = pytest.mark.reliability

PATIENTS = 40
DEADLINE = 30.0  # seconds from the signal to the exit


def program_due_now(folder: Path) -> None:
    """A daily program whose slot fell due three minutes ago (Brussels time)."""
    due = datetime.now(BRUSSELS) - timedelta(minutes=3)
    (folder / "schedules").mkdir()
    (folder / "templates" / "rel-now").mkdir(parents=True)
    for lang in ("nl", "fr", "en"):
        source = REPO_ROOT / "templates" / "post-stroke-weekly" / f"reminder.{lang}.j2"
        shutil.copy(source, folder / "templates" / "rel-now" / f"reminder.{lang}.j2")
    (folder / "schedules" / "rel-now.toml").write_text(
        f"""name = "rel-now"
description = "a daily reminder due now"
languages = ["nl", "fr", "en"]
[cadence]
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
time = "{due:%H:%M}"
start_offset_days = 0
catch_up_grace_hours = 6
[channels]
order = ["telegram", "sms"]
[templates.reminder]
sensitivity = "personal"
[emergency]
nl = "Bel 112."
fr = "Appelez le 112."
en = "Call 112."
"""
    )


def wait_for_sends(received: int, count: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while received < count and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)


@pytest.mark.parametrize(
    "signum",
    [signal.SIGTERM, signal.SIGINT],
    ids=["SIGTERM", "SIGINT"],
)
def test_a_signal_during_a_cycle_ends_carebot_run_in_time_and_sends_nothing_twice(
    make_rig: MakeRig, signum: signal.Signals
) -> None:
    rig = make_rig(
        PATIENTS,
        setup=program_due_now,
        channels=("telegram",),
        program="rel-now",
        enrolled=datetime.now(UTC) - timedelta(minutes=10),
        latency=0.3,
    )
    rig.clock.set(datetime.now(UTC))
    rig.label("now")
    proc = rig.spawn(datetime.now(UTC), extra=("run", "--interval", "60"))
    try:
        deadline = time.monotonic() + 60
        while rig.received_with("now") < 5 and proc.poll() is None:
            assert time.monotonic() < deadline, "carebot run sent nothing"
            time.sleep(0.01)
        assert proc.poll() is None, "carebot run ended by itself"
        proc.send_signal(signum)
        signalled = time.monotonic()
        proc.wait(timeout=DEADLINE)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
            pytest.fail(f"carebot run still alive {DEADLINE:.0f} s after {signum.name}")
    print(f"{signum.name}: exit {proc.returncode} after {time.monotonic() - signalled:.1f} s")
    assert rig.duplicates() == 0
    if signum == signal.SIGTERM:  # the cycle in progress is finished first
        assert rig.received_with("now") == PATIENTS
    now = datetime.now(UTC)
    recover(rig, now + LEASE + timedelta(minutes=1), due_by=now)
    assert rig.unfinished(due_by=now) == 0, rig.statuses(due_by=now)
    assert rig.duplicates() == 0
