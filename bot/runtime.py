"""One cycle (plan, then dispatch) for `carebot tick`, and the loop of `carebot run`.

APScheduler drives `run` with a memory job store holding no arguments at all (so no personal
data), `coalesce` so that a late cycle runs once, and no misfire grace limit, so that a
cycle delayed by a busy machine runs late rather than being dropped: the reminders' own
catch-up grace decides what is still sent.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlmodel import Session, col, func, select

from bot.channels import registry
from bot.channels.base import ChannelError, Polls
from bot.channels.registry import configured
from bot.errors import CarebotError
from bot.inbound.inbox import StoreInbox
from bot.outbound.dispatch import Dispatcher
from bot.outbound.planning import plan_counts
from bot.outbound.reasons import not_configured
from bot.patients import enrolment as patients
from bot.store import audit, db, health
from bot.store.models import Reminder
from bot.store.statuses import ReminderStatus
from bot.store.store import Store

log = logging.getLogger("carebot.scheduling")


@dataclass(frozen=True)
class TickResult:
    """What a cycle did. `unplanned`: slots a gap since the last planning left out, now
    `missed`; `unconfigured`: per channel, the reminders left planned because this process
    lacks its settings; `outages`: one line per channel that could not be reached."""

    planned: int
    outcomes: Counter[str]
    unplanned: int = 0
    unconfigured: dict[str, int] = field(default_factory=dict)
    outages: tuple[str, ...] = ()

    def warnings(self) -> list[str]:
        """One line per channel that kept reminders from going out, for the operator."""
        lines = [
            f"{name} is not configured ({_settings_of(name)}): {n} reminder(s) left planned"
            for name, n in sorted(self.unconfigured.items())
        ]
        return lines + list(self.outages)


def tick(
    store: Store,
    *,
    now: datetime,
    echo: Callable[[str, str], None] | None = None,
    log_warnings: bool = True,
) -> TickResult:
    """Plan ahead, then send what is due, as if the clock read `now`, then seal the audit
    events appended since the last seal. What kept reminders from going out is logged as
    warnings, unless the caller prints them itself."""
    with store.session() as session:
        planned, unplanned = plan_counts(
            store.engine, session, now=now, horizon_days=store.settings.carebot_plan_horizon_days
        )
    channels = configured(store, echo=echo, on_migrate=_follow_migration(store))
    dispatcher = Dispatcher(store=store, channels=channels, now=now)
    with _no_long_collections():
        asyncio.run(_cycle(store, dispatcher))
    outcomes = dispatcher.outcomes
    with store.session() as session:
        unconfigured = _left_planned(session, since=now)
        health.save_tick(session, at=now, planned=planned, outcomes=dict(outcomes))
    audit.seal_all(store.session, wait=False)  # the cycle's events, unless another seals now
    db.checkpoint(store.engine)  # the WAL kept small: the tick's own record written
    log.info("tick: %d planned, outcomes %s", planned, dict(outcomes))
    outages = tuple(dispatcher.record.health.outages())
    result = TickResult(planned, outcomes, unplanned, unconfigured, outages)
    for line in result.warnings():
        log.log(logging.WARNING if log_warnings else logging.INFO, "tick: %s", line)
    return result


def _left_planned(session: Session, *, since: datetime) -> dict[str, int]:
    """Per channel, the due reminders this cycle left planned for want of its settings."""
    reasons = {not_configured(name): name for name in registry.NAMES}
    rows = session.exec(
        select(Reminder.error, func.count())
        .where(
            Reminder.status == ReminderStatus.PLANNED,
            col(Reminder.error).in_(list(reasons)),
            col(Reminder.updated_at) >= since,
        )
        .group_by(Reminder.error)
    ).all()
    return {reasons[error]: int(n) for error, n in rows if error in reasons}


def _settings_of(channel: str) -> str:
    """The settings a channel needs, as an operator writes them (its own, not carebot's)."""
    needs = [n.upper() for n in registry.kind(channel).needs if not n.startswith("carebot_")]
    return "set " + ", ".join(needs) if needs else "see .env.example"


async def _cycle(store: Store, dispatcher: Dispatcher) -> None:
    """Collect what the polling channels hold (answers and on-call notices go out on the
    cycle's own open channels), then send what is due."""
    inbox = StoreInbox(store, channels=dispatcher.channels)
    for name, channel in dispatcher.channels.items():
        if isinstance(channel, Polls):
            try:
                await channel.poll(inbox)
            except Exception as exc:  # noqa: BLE001  inbound trouble must not stop the reminders
                log.warning("%s polling failed: %s", name, _reason(exc))
    await dispatcher.run_async()


@contextmanager
def _no_long_collections() -> Iterator[None]:
    """Keep full garbage collections short while sends are paced.

    A full collection scans every object the process holds (the SDKs, SQLAlchemy, the
    settings): 50 to 80 ms here, during which nothing moves. A send granted just before
    one leaves late and lands next to the following one, inside one provider second: a
    429 (measured: the first seconds of a cycle on PostgreSQL). So what the process holds
    at the start of the cycle is collected once and then set aside (`gc.freeze`), and the
    collections during the cycle only look at what the cycle itself made. It is set back
    afterwards, so a long-running `carebot run` still frees it when it becomes garbage.
    Only the young generations are collected first: a full collection at every tick was most
    of a tick's time (0.2 s of 0.23 s in `carebot demo`), and what it would free in the old
    generation is freed by the process's next full collection once the cycle has ended.
    """
    gc.collect(1)
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _reason(exc: Exception) -> str:
    """Our own errors' text (written without personal data), or another's type only."""
    return str(exc) if isinstance(exc, ChannelError) else type(exc).__name__


def run_forever(
    store: Store, *, interval_seconds: int = 60, echo: Callable[[str, str], None] | None = None
) -> None:
    """Tick every `interval_seconds` until stopped (Ctrl-C or SIGTERM): the cycle in
    progress is finished, then it returns within a moment.

    SIGINT and SIGTERM are only noted, in a list the main thread looks at five times a
    second. Their handlers used to act at once, wherever the main thread was, and the main
    thread ran the scheduler: when a signal came while it handed a cycle to its thread
    pool, APScheduler caught the KeyboardInterrupt there as a failed hand-over (it catches
    BaseException) and ran on, and SIGTERM's `shutdown` waited for the pool's lock that the
    interrupted hand-over held, for good. Now the scheduler runs in a thread of its own.
    """
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone=UTC)
    in_cycle = threading.Lock()
    stopping = threading.Event()  # set by the main thread once it has seen a signal

    def cycle() -> None:
        with in_cycle:
            if stopping.is_set():
                return  # no new cycle once stopping
            try:
                tick(store, now=datetime.now(UTC), echo=echo)
            except CarebotError as exc:  # a store fault, said in one line for the cycle
                log.error("tick: %s", exc)
            except Exception:  # keep the loop alive; the next cycle retries
                log.exception("tick failed")

    scheduler.add_job(
        cycle,
        "interval",
        seconds=interval_seconds,
        id="tick",
        next_run_time=datetime.now(UTC),
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
    )
    with _signals_noted() as asked:
        try:
            scheduler.start()
            while not asked:
                time.sleep(0.2)
        finally:
            stopping.set()
            scheduler.shutdown(wait=False)
            with in_cycle:  # the cycle in progress finishes (its sends are not cut off)
                pass
    store.close()


@contextmanager
def _signals_noted() -> Iterator[list[int]]:
    """SIGINT and SIGTERM noted in a list, and nothing else done in their handlers; the
    handlers before are put back afterwards."""
    asked: list[int] = []
    handlers = {
        sig: signal.signal(sig, lambda number, _frame: asked.append(number))
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield asked
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def serve_in_background(store: Store, *, host: str, port: int) -> threading.Thread:
    """The webhook endpoints in a thread beside the scheduler (for `carebot run`)."""
    import uvicorn

    from bot.inbound import server as webhook_server
    from bot.inbound.webhooks import build_app

    server = uvicorn.Server(webhook_server.config(build_app(store), host=host, port=port))
    thread = threading.Thread(target=server.run, name="webhooks", daemon=True)
    thread.start()
    return thread


def _follow_migration(store: Store) -> Callable[[str, str, str], None]:
    def follow(channel: str, pseudonym: str, address: str) -> None:
        with store.session() as session:
            patients.set_contact(
                store,
                session,
                pseudonym=pseudonym,
                channel=channel,
                address=address,
                now=datetime.now(UTC),
            )
            audit.record(
                session, action=f"{channel}.chat.migrated", actor=channel, subject=pseudonym
            )

    return follow
