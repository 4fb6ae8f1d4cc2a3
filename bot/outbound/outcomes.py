"""Outcomes: what a send's answer makes of its attempt and its reminder.

Sent, refused (fall back, or retry with backoff within the grace), unresolved after an
ambiguous failure (`unconfirmed`, or looked up again before any retry), or broken by an
unexpected error. Each is one store transaction, audited, and counted for the cycle.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, update
from sqlmodel import Session, select

from bot.channels.base import Channel, ChannelError, ErrorKind
from bot.outbound.batch import claimed
from bot.outbound.delivery import Delivery, likely_channel
from bot.outbound.health import Health, cannot_connect
from bot.outbound.lease import Lease
from bot.outbound.reasons import late_reason
from bot.programs import catalog
from bot.store import audit, audit_group
from bot.store.models import DeliveryAttempt, Reminder
from bot.store.statuses import CALLBACK_STATUSES, AttemptOutcome, ReminderStatus

_ATTEMPTS = DeliveryAttempt.__table__  # type: ignore[attr-defined]

MAX_BACKOFF = timedelta(minutes=30)


def backoff(attempts: int, retry_after: float | None) -> timedelta:
    """Exponential backoff with full jitter; a provider's own retry_after is a floor."""
    ceiling = min(30.0 * 2 ** max(attempts - 1, 0), MAX_BACKOFF.total_seconds())
    delay = random.uniform(ceiling / 2, ceiling)
    return timedelta(seconds=max(delay, retry_after or 0.0))


@dataclass
class Outcomes:
    """Records outcomes under the cycle's lease; `tally` counts each final status."""

    lease: Lease
    channels: dict[str, Channel]
    tally: Counter[str]
    health: Health = field(default_factory=Health)

    def finish(
        self, session: Session, reminder: Reminder, status: ReminderStatus, reason: str | None
    ) -> None:
        """Give the reminder its status (a final one, or `sent`), audited and counted."""
        self._mark(session, reminder, status, reason, self.lease.clock())
        self._audit(session, reminder, status)

    def _mark(
        self,
        session: Session,
        reminder: Reminder,
        status: ReminderStatus,
        reason: str | None,
        now: datetime,
    ) -> None:
        reminder.status, reminder.updated_at = status, now
        if reason is not None:
            reminder.error = reason
        session.add(reminder)

    def _audit(self, session: Session, reminder: Reminder, status: ReminderStatus) -> None:
        audit.record(
            session,
            action=f"reminder.{status}",
            actor="dispatcher",
            subject=reminder.pseudonym,
            reminder=reminder.id,
            channel=reminder.channel,
            provider_id=reminder.provider_id,
            at=reminder.updated_at,
        )
        self.tally[status.value] += 1  # a plain string: the tally is logged and printed

    def _audit_group(self, session: Session, done: list[Reminder], status: ReminderStatus) -> None:
        """`_audit` for reminders that got the same status together, in one INSERT."""
        entries = [
            audit_group.Entry(
                f"reminder.{status}",
                r.pseudonym,
                r.updated_at,
                {"reminder": r.id, "channel": r.channel, "provider_id": r.provider_id},
            )
            for r in done
        ]
        audit_group.record_many(session, actor="dispatcher", entries=entries)
        self.tally[status.value] += len(done)

    def retry_at(
        self,
        session: Session,
        reminder: Reminder,
        when: datetime,
        reason: str,
        *,
        missed: bool = False,
    ) -> None:
        """Plan the reminder again for `when`; `failed` if that is past its grace (`missed`,
        with the same reason, when what holds it up is no answer of the provider's)."""
        grace = timedelta(
            hours=catalog.get(self.lease.store, session, reminder.program).catch_up_grace_hours
        )
        if when > reminder.due_at + grace:
            if missed:
                self.finish(session, reminder, ReminderStatus.MISSED, late_reason(reason))
            else:
                self.finish(session, reminder, ReminderStatus.FAILED, reason)
            return
        reminder.status, reminder.next_attempt_at = ReminderStatus.PLANNED, when
        reminder.error = reason
        reminder.updated_at = now = self.lease.clock()
        session.add(reminder)
        audit.record(
            session,
            action="send.retry",
            actor="dispatcher",
            subject=reminder.pseudonym,
            reminder=reminder.id,
            retry_at=when.isoformat(),
            at=now,
        )

    def attempt_done(
        self,
        session: Session,
        delivery: Delivery,
        outcome: AttemptOutcome,
        provider_id: str | None = None,
        error: str | None = None,
    ) -> Reminder:
        """Close the delivery's attempt; returns its reminder, locked."""
        # FOR UPDATE (PostgreSQL): a status callback writing the same row waits for us, and
        # we see its write, instead of the later commit silently winning.
        reminder = session.get(Reminder, delivery.reminder_id, with_for_update=True)
        attempt = session.get(DeliveryAttempt, delivery.attempt_id, with_for_update=True)
        assert attempt is not None and reminder is not None
        attempt.outcome, attempt.error = outcome, error
        attempt.provider_id = provider_id or attempt.provider_id  # a callback may have set it
        attempt.finished_at = self.lease.clock()
        session.add(attempt)
        return reminder

    def sent(self, delivery: Delivery, provider_id: str) -> None:
        """The provider took the message (it answered, or a look-up found it)."""
        self.sent_group([(delivery, provider_id)])

    def sent_group(self, sent: list[tuple[Delivery, str]]) -> list[None]:
        """`sent` for sends that came back together, in one transaction: every row is
        changed first, so that they are written together, then each is audited."""
        with self.lease.store.session() as session:
            reminders = claimed(session, [d.reminder_id for d, _ in sent], lock=True)
            now = self.lease.clock()
            session.execute(  # by primary key, one executemany; a callback may have set the id
                update(_ATTEMPTS).where(_ATTEMPTS.c.id == bindparam("aid")),
                [
                    {
                        "aid": delivery.attempt_id,
                        "outcome": AttemptOutcome.SENT,
                        "error": None,
                        "provider_id": provider_id,
                        "finished_at": now,
                    }
                    for delivery, provider_id in sent
                ],
            )
            finished = []
            for delivery, provider_id in sent:
                reminder = reminders[delivery.reminder_id]
                self.health.success(delivery.channel, now)
                reminder.provider_id, reminder.error = provider_id, None
                if reminder.status in CALLBACK_STATUSES:  # its status callback got here first
                    session.add(reminder)
                    self.tally[ReminderStatus.SENT.value] += 1
                else:  # `sending`, or taken over meanwhile and planned again: it did go out
                    reminder.next_attempt_at = None
                    self._mark(session, reminder, ReminderStatus.SENT, None, now)
                    finished.append(reminder)
            self._audit_group(session, finished, ReminderStatus.SENT)
        return [None] * len(sent)

    def failed(self, delivery: Delivery, error: ChannelError) -> bool:
        """Record a refused send; True when the next channel should be tried."""
        reason = f"{error.code}: {error}" if error.code else str(error)
        with self.lease.store.session() as session:
            reminder = self.attempt_done(
                session, delivery, AttemptOutcome.FAILED, error=reason[:200]
            )
            now = self.lease.clock()
            self.health.error(delivery.channel, now, error)
            if cannot_connect(error):
                return self._unreachable(session, reminder, delivery, error, now)
            if error.kind is ErrorKind.ACCOUNT_REFUSED:
                # the provider refuses us, not this patient: keep the contact
                self._refused(session, reminder, delivery, error, now, scope="account")
                if likely_channel(
                    self.lease.store,
                    session,
                    reminder_id=reminder.id or 0,
                    channels=self.channels,
                    excluded={delivery.channel},
                ):
                    return True  # another consented channel can take it now
            elif error.recipient_cannot_receive:
                delivery.mark_unusable(self.lease.store, session, error, now=now)
                self._refused(session, reminder, delivery, error, now)
                return True
            retry_at = now + backoff(reminder.attempts, error.retry_after)
            self.retry_at(session, reminder, retry_at, reason[:200])
            return False

    def _unreachable(
        self,
        session: Session,
        reminder: Reminder,
        delivery: Delivery,
        error: ChannelError,
        now: datetime,
    ) -> bool:
        """The provider could not be reached: past the channel's down time, the next
        consented channel takes it (True); else it waits, with the outage's one reason."""
        state = self.health.of(delivery.channel)
        down_after = timedelta(minutes=self.lease.store.settings.carebot_channel_down_after_minutes)
        if state.down_since is not None and now - state.down_since >= down_after:
            other = likely_channel(
                self.lease.store,
                session,
                reminder_id=reminder.id or 0,
                channels=self.channels,
                excluded={delivery.channel},
            )
            if other is not None:
                self._refused(session, reminder, delivery, error, now, scope="channel-down")
                return True
        self.health.waiting[delivery.channel] += 1
        when = now + backoff(reminder.attempts, error.retry_after)
        self.retry_at(session, reminder, when, state.reason(delivery.channel), missed=True)
        return False

    @staticmethod
    def _refused(
        session: Session,
        reminder: Reminder,
        delivery: Delivery,
        error: ChannelError,
        now: datetime,
        **scope: Any,
    ) -> None:
        audit.record(
            session,
            action="send.refused",
            actor="dispatcher",
            subject=reminder.pseudonym,
            reminder=reminder.id,
            channel=delivery.channel,
            code=error.code,
            **scope,
            at=now,
        )

    def unresolved(self, delivery: Delivery, error: str, unknown: bool) -> None:
        """After an ambiguous failure the provider did not confirm: `unconfirmed` when it
        cannot be asked, else planned again, to be looked up once more before any retry."""
        with self.lease.store.session() as session:
            if unknown:
                reminder = self.attempt_done(session, delivery, AttemptOutcome.UNKNOWN, error=error)
                self.finish(
                    session,
                    reminder,
                    ReminderStatus.UNCONFIRMED,
                    "outcome unknown: check with the provider before sending again",
                )
            else:  # not there yet: it may still appear (a slow create), so it is looked up
                # again before the retry sends anything (see Reconcile.settle)
                reminder = self.attempt_done(
                    session, delivery, AttemptOutcome.NOT_FOUND, error=error
                )
                self.retry_at(
                    session,
                    reminder,
                    self.lease.clock() + backoff(reminder.attempts, None),
                    "not received by the provider",
                )

    def unexpected(self, reminder_id: int, kind: str) -> None:
        """After an unexpected error: `unconfirmed` if a send may have left, else retried."""
        with self.lease.store.session() as session:
            reminder = session.get(Reminder, reminder_id)
            if reminder is None or reminder.status != ReminderStatus.SENDING:
                return
            attempt = session.exec(
                select(DeliveryAttempt).where(
                    DeliveryAttempt.reminder_id == reminder_id,
                    DeliveryAttempt.outcome == AttemptOutcome.PENDING,
                )
            ).first()
            if attempt is not None:
                attempt.outcome = AttemptOutcome.UNKNOWN
                attempt.error = f"internal error: {kind}"
                attempt.finished_at = self.lease.clock()
                session.add(attempt)
                self.finish(
                    session,
                    reminder,
                    ReminderStatus.UNCONFIRMED,
                    f"internal error: {kind}; check with the provider before sending again",
                )
            else:  # nothing left: tried again later, within the grace
                self.retry_at(
                    session,
                    reminder,
                    self.lease.clock() + backoff(reminder.attempts, None),
                    f"internal error: {kind}",
                )
