"""Claims: which due reminders a cycle takes, gives back, renews, and lets expire.

A claim is a reminder moved to `sending` under the cycle's token. Claiming is atomic
(BEGIN IMMEDIATE on SQLite, FOR UPDATE SKIP LOCKED on PostgreSQL), so two dispatchers never
take the same reminder, and every later write checks that the claim is still the cycle's own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, or_, select, update

from bot.outbound.lease import Lease
from bot.outbound.outcomes import Outcomes
from bot.outbound.reasons import NOT_RUNNING, late_reason
from bot.programs import catalog
from bot.store.models import Reminder
from bot.store.statuses import ReminderStatus

CLAIM_BATCH = 500  # the most one claim takes, whatever its lanes could send


@dataclass
class Claims:
    """The cycle's claims, `batch` reminders at a time."""

    lease: Lease
    record: Outcomes
    batch: int = CLAIM_BATCH
    previous: datetime | None = None  # when the cycle before this one ran, if known

    def ours(self, reminder: Reminder | None) -> bool:
        """Whether the reminder is still claimed by this cycle (not taken over as stale)."""
        return (
            reminder is not None
            and reminder.status == ReminderStatus.SENDING
            and reminder.claim_token == self.lease.token
        )

    def claim(
        self, then: Callable[[Session, list[int]], None] | None = None, *, size: int | None = None
    ) -> list[int]:
        """Move a batch of due reminders (`size`, at most `batch`) to `sending`, atomically
        (BEGIN IMMEDIATE or FOR UPDATE SKIP LOCKED), so that two dispatchers never take the
        same one; `then` is run on the claimed ids in the same transaction (routing them)."""
        now = self.lease.now
        with self.lease.store.session() as session:
            query = (
                select(Reminder.id)
                .where(
                    Reminder.status == ReminderStatus.PLANNED,
                    col(Reminder.due_at) <= now,
                    or_(
                        col(Reminder.next_attempt_at).is_(None),
                        col(Reminder.next_attempt_at) <= now,
                    ),
                )
                .order_by(col(Reminder.due_at))
                .limit(max(min(size or self.batch, self.batch), 1))
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = [rid for rid in session.exec(query).all() if rid is not None]
            if ids:
                session.exec(
                    update(Reminder)
                    .where(col(Reminder.id).in_(ids))
                    .values(
                        status=ReminderStatus.SENDING,
                        claimed_at=self.lease.clock(),
                        claim_token=self.lease.token,
                        updated_at=now,
                    )
                    .execution_options(synchronize_session=False)
                )
                if then is not None:
                    then(session, ids)
            return ids

    def give_back(self, reminder_id: int) -> None:
        """Release a claim this cycle cannot send in time; the next cycle takes it."""
        now = self.lease.now
        with self.lease.store.session() as session:
            session.exec(
                update(Reminder)
                .where(
                    col(Reminder.id) == reminder_id,
                    col(Reminder.status) == ReminderStatus.SENDING,
                    col(Reminder.claim_token) == self.lease.token,
                )
                .values(
                    status=ReminderStatus.PLANNED,
                    claim_token=None,
                    updated_at=now,
                    next_attempt_at=now + timedelta(seconds=1),
                )
            )

    def renew(self, session: Session) -> None:
        """Renew all the cycle's claims, in one statement, when a tenth of the lease went by
        (those taken over as stale by another cycle are left alone): a claim waiting in its
        lane is never taken for a stale one. A claim about to be sent is renewed with its
        attempt (see batch.prepare)."""
        if not self.lease.renewal_due():
            return
        session.exec(
            update(Reminder)
            .where(
                col(Reminder.claim_token) == self.lease.token,
                col(Reminder.status) == ReminderStatus.SENDING,
            )
            .values(claimed_at=self.lease.clock())
            .execution_options(synchronize_session=False)
        )

    def expire_late(self) -> None:
        """Planned reminders past their catch-up grace become `missed`, with what held them
        up (an unconfigured or unreachable channel, no cycle at all since they fell due)."""
        with self.lease.store.session() as session:
            for row in catalog.rows(session):
                grace = timedelta(hours=catalog.from_row(row).catch_up_grace_hours)
                late = session.exec(
                    select(Reminder).where(
                        Reminder.program == row.name,
                        Reminder.status == ReminderStatus.PLANNED,
                        col(Reminder.due_at) < self.lease.now - grace,
                    )
                ).all()
                for reminder in late:
                    self.record.finish(
                        session, reminder, ReminderStatus.MISSED, self._late(reminder)
                    )

    def _late(self, reminder: Reminder) -> str:
        """A reminder never tried, due after the last cycle ran: carebot was not running."""
        never_tried = reminder.attempts == 0 and reminder.error is None
        previous = self.previous
        if never_tried and previous is not None and previous < _aware(reminder.due_at):
            return late_reason(NOT_RUNNING)
        return late_reason(reminder.error)


def _aware(value: datetime) -> datetime:
    """A stored time (naive UTC on SQLite) as an aware one."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
