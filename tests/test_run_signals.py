"""`carebot run` leaves within seconds of SIGINT or SIGTERM once its cycle is done, whenever
the signal comes: a real process, a real signal."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import CAREBOT, Cli
from tests.helpers import enrol_console, sent_count, store_for, write_program

DEADLINE = 10.0  # seconds from the signal to the exit, the cycle's last sends included
PATIENTS = 30


def _due_now(cli: Cli) -> None:
    """PATIENTS console patients, each with a reminder due five minutes ago (UTC)."""
    slot = datetime.now(UTC) - timedelta(minutes=5)
    write_program(cli.cwd, cadence=f'cron = "{slot.minute} {slot.hour} * * *"')
    cli.env.update(
        {
            "CAREBOT_SCHEDULES_DIR": str(cli.cwd / "schedules"),
            "CAREBOT_TEMPLATES_DIR": str(cli.cwd / "templates"),
            "CAREBOT_PLAN_HORIZON_DAYS": "1",
        }
    )
    store = store_for(cli)
    for i in range(PATIENTS):
        enrol_console(store, ref=f"AZ-{i}", tz="UTC", now=slot - timedelta(days=1))
    store.engine.dispose()


def _stopped_in_time(proc: subprocess.Popen[str], signum: int) -> float:
    start = time.monotonic()
    proc.send_signal(signum)
    try:
        proc.wait(timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail(f"carebot run was still alive {DEADLINE} s after signal {signum}")
    return time.monotonic() - start


@pytest.mark.subprocess
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_run_finishes_its_cycle_and_leaves(cli: Cli, signum: int) -> None:
    _due_now(cli)
    proc = subprocess.Popen(
        [CAREBOT, "run", "--interval", "1"],
        cwd=cli.cwd,
        env=cli.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    while "P-" not in proc.stdout.readline():  # the first console message: mid-cycle
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
    _stopped_in_time(proc, signum)
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    store = store_for(cli)
    assert sent_count(store) == PATIENTS  # the cycle was finished, not cut off
    store.engine.dispose()


# The signal arrives while the scheduler hands a cycle to its thread pool. There, APScheduler
# catches every BaseException of the hand-over (and logs it): a Ctrl-C's KeyboardInterrupt
# was swallowed and the process ran on; and a SIGTERM handler that shut the scheduler down
# took the pool's lock that the interrupted hand-over held, and waited for itself for good.
AT_THE_HANDOVER = """
import os, signal, sys
from concurrent.futures import thread
handover = thread.ThreadPoolExecutor._adjust_thread_count
signum, fired = int(sys.argv[1]), []
def adjust(self):
    if not fired:  # the first hand-over is the scheduler's, of the first cycle
        fired.append(1)
        os.kill(os.getpid(), signum)
    handover(self)
thread.ThreadPoolExecutor._adjust_thread_count = adjust
from bot.cli import main
sys.argv = ["carebot", "run", "--interval", "1"]
main()
"""


@pytest.mark.subprocess
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_run_leaves_on_a_signal_that_comes_while_a_cycle_is_handed_over(
    cli: Cli, signum: int
) -> None:
    _due_now(cli)
    proc = subprocess.Popen(
        [sys.executable, "-c", AT_THE_HANDOVER, str(int(signum))],
        cwd=cli.cwd,
        env=cli.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        proc.wait(timeout=DEADLINE + 10)  # the store's opening, then the signal itself
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail(f"carebot run did not leave after signal {signum} at the hand-over")
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
