"""Reconcile: sends whose outcome is unknown are looked up at their provider, never resent.

Three cases: a claim left in `sending` past its lease (a crash mid-send), a send that failed
ambiguously (a timeout after the request left, a Twilio 5xx), and a send that its provider
did not have when looked up just after such a failure, which is looked up once more before
any retry. Where the provider offers no look-up, the reminder becomes `unconfirmed`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from sqlmodel import Session, col, select, update

from bot.channels.base import Channel, ChannelError
from bot.outbound.claims import Claims
from bot.outbound.delivery import Delivery
from bot.outbound.lease import Lease
from bot.outbound.outcomes import Outcomes, backoff
from bot.programs import catalog
from bot.store import audit
from bot.store.models import DeliveryAttempt, Reminder
from bot.store.statuses import AttemptOutcome, ReminderStatus
from bot.store.store import Store


@dataclass
class Reconcile:
    """Look-ups under the cycle's lease, over the configured channels."""

    lease: Lease
    channels: dict[str, Channel]
    record: Outcomes
    claims: Claims

    async def stale(self) -> None:
        """Reminders left in `sending` past the lease (a crash mid-send) are looked up."""
        for reminder_id, delivery in self._stale():
            if delivery is None:  # claimed but never sent: safe to plan again
                self._plan_again(reminder_id)
                continue
            if not self._take_over(reminder_id):
                continue
            if delivery.channel not in self.channels:
                with self.lease.store.session() as session:
                    reminder = self.record.attempt_done(session, delivery, AttemptOutcome.UNKNOWN)
                    self.record.finish(
                        session, reminder, ReminderStatus.UNCONFIRMED, "channel not configured"
                    )
                continue
            await self.ambiguous(delivery, ChannelError("interrupted mid-send"))

    def _stale(self) -> list[tuple[int, Delivery | None]]:
        """Each stale claim, with the attempt it left pending if any."""
        with self.lease.store.session() as session:
            stale = session.exec(
                select(Reminder).where(
                    Reminder.status == ReminderStatus.SENDING,
                    col(Reminder.claimed_at) < self.lease.now - self.lease.seconds,
                )
            ).all()
            return [(r.id, self._last_attempt(session, r.id)) for r in stale if r.id]

    def _plan_again(self, reminder_id: int) -> None:
        """Plan a claim that was never sent again, unless its cycle renewed it meanwhile."""
        with self.lease.store.session() as session:
            session.exec(
                update(Reminder)
                .where(
                    col(Reminder.id) == reminder_id,
                    col(Reminder.status) == ReminderStatus.SENDING,
                    col(Reminder.claimed_at) < self.lease.now - self.lease.seconds,
                )
                .values(status=ReminderStatus.PLANNED, claim_token=None, updated_at=self.lease.now)
            )

    def _take_over(self, reminder_id: int) -> bool:
        """Take a stale claim over before looking it up, so that the cycle it was stale in,
        should it come back, sends nothing. False when it renewed the claim meanwhile."""
        with self.lease.store.session() as session:
            taken = session.exec(
                update(Reminder)
                .where(
                    col(Reminder.id) == reminder_id,
                    col(Reminder.status) == ReminderStatus.SENDING,
                    col(Reminder.claimed_at) < self.lease.now - self.lease.seconds,
                )
                .values(claim_token=self.lease.token, claimed_at=self.lease.clock())
            )
            return bool(taken.rowcount)

    def _last_attempt(self, session: Session, reminder_id: int) -> Delivery | None:
        attempt = session.exec(
            select(DeliveryAttempt)
            .where(
                DeliveryAttempt.reminder_id == reminder_id,
                DeliveryAttempt.outcome == AttemptOutcome.PENDING,
            )
            .order_by(col(DeliveryAttempt.id).desc())
        ).first()
        if attempt is None:
            return None
        return rebuilt(self.lease.store, session, attempt)

    def known(self, delivery: Delivery) -> Delivery:
        """The delivery with the provider ids carebot recorded for the patient's other
        attempts, which a look-up must never take for this one."""
        with self.lease.store.session() as session:
            ids = session.exec(
                select(DeliveryAttempt.provider_id)
                .join(Reminder, col(Reminder.id) == col(DeliveryAttempt.reminder_id))
                .where(
                    Reminder.pseudonym == delivery.message.pseudonym,
                    col(DeliveryAttempt.id) != delivery.attempt_id,
                    col(DeliveryAttempt.provider_id).is_not(None),
                )
            ).all()
        known = frozenset(i for i in ids if i is not None)
        return replace(delivery, message=replace(delivery.message, known_ids=known))

    async def lookup(self, channel: Channel, delivery: Delivery) -> str | None:
        """Ask the provider for this attempt's message, never another attempt's."""
        known = await self.lease.in_store(self.known, delivery)
        return await channel.lookup(known.message)

    async def ambiguous(self, delivery: Delivery, error: ChannelError) -> None:
        """After a send whose outcome is unknown: found at the provider, or unresolved."""
        channel = self.channels[delivery.channel]
        try:
            provider_id = await self.lookup(channel, delivery)
        except (NotImplementedError, ChannelError):
            provider_id, unknown = None, True
        else:
            unknown = False
        if provider_id is not None:
            await self.lease.in_store(self.record.sent, delivery, provider_id)
            return
        if unknown and await self.lease.in_store(self.resend, delivery, str(error)[:200]):
            return
        await self.lease.in_store(self.record.unresolved, delivery, str(error)[:200], unknown)

    def resend(self, delivery: Delivery, error: str) -> bool:
        """Where the program says `on_unconfirmed = "resend"`, a send whose outcome cannot be
        known is planned once more (audited), if its grace allows; True when it was. Once
        only: a reminder with an unknown attempt already is held for an admin."""
        with self.lease.store.session() as session:
            reminder = session.get(Reminder, delivery.reminder_id, with_for_update=True)
            assert reminder is not None
            program = catalog.get(self.lease.store, session, reminder.program)
            earlier = session.exec(
                select(DeliveryAttempt.id).where(
                    DeliveryAttempt.reminder_id == delivery.reminder_id,
                    DeliveryAttempt.outcome == AttemptOutcome.UNKNOWN,
                )
            ).first()
            when = self.lease.clock() + backoff(reminder.attempts, None)
            deadline = reminder.due_at + timedelta(hours=program.catch_up_grace_hours)
            if program.on_unconfirmed != "resend" or earlier is not None or when > deadline:
                return False
            self.record.attempt_done(session, delivery, AttemptOutcome.UNKNOWN, error=error)
            reminder.status, reminder.next_attempt_at = ReminderStatus.PLANNED, when
            reminder.error = "outcome unknown: sent once more (on_unconfirmed = resend)"
            reminder.claim_token, reminder.updated_at = None, self.lease.clock()
            session.add(reminder)
            audit.record(
                session,
                action="send.resend-unconfirmed",
                actor="dispatcher",
                subject=reminder.pseudonym,
                reminder=reminder.id,
                attempt=delivery.attempt_id,
                retry_at=when.isoformat(),
                at=reminder.updated_at,
            )
            return True

    def unsettled(self, reminder_id: int, channel: str) -> Delivery | None:
        """This cycle's reminder's last attempt that its provider did not have when looked
        up just after an ambiguous failure, if any (on any channel, not only `channel`)."""
        with self.lease.store.session() as session:
            if not self.claims.ours(session.get(Reminder, reminder_id)):
                return None
            attempt = session.exec(
                select(DeliveryAttempt).where(
                    DeliveryAttempt.reminder_id == reminder_id,
                    DeliveryAttempt.outcome == AttemptOutcome.NOT_FOUND,
                )
            ).first()
            return rebuilt(self.lease.store, session, attempt) if attempt else None

    async def settle(self, earlier: Delivery) -> bool:
        """Look an earlier, unfound send up once more before sending again; True when the
        reminder needs nothing more now (found after all, or the look-up itself failed)."""
        if earlier.provider_id is not None:  # a status callback named it meanwhile: it went
            await self.lease.in_store(self.record.sent, earlier, earlier.provider_id)
            return True
        try:
            channel = self.channels.get(earlier.channel)
            if channel is None:
                raise NotImplementedError("that channel is no longer configured")
            provider_id = await self.lookup(channel, earlier)
        except (NotImplementedError, ChannelError):
            await self.lease.in_store(self.lookup_failed, earlier)
            return True
        if provider_id is not None:
            await self.lease.in_store(self.record.sent, earlier, provider_id)
            return True
        await self.lease.in_store(self.absent, earlier)
        return False

    def lookup_failed(self, earlier: Delivery) -> None:
        """The second look-up could not be made: try again later, if the claim is ours."""
        with self.lease.store.session() as session:
            reminder = session.get(Reminder, earlier.reminder_id, with_for_update=True)
            assert reminder is not None
            if not self.claims.ours(reminder):
                return  # taken over during the look-up: the other cycle decides now
            self.record.retry_at(
                session,
                reminder,
                self.lease.clock() + backoff(reminder.attempts, None),
                "an earlier send could not be looked up",
            )

    def absent(self, earlier: Delivery) -> None:
        """Looked up twice, not there: never received, so it may be sent again."""
        with self.lease.store.session() as session:
            self.record.attempt_done(session, earlier, AttemptOutcome.ABSENT)


def rebuilt(store: Store, session: Session, attempt: DeliveryAttempt) -> Delivery:
    """An attempt's delivery as it was sent, with the real time its request left."""
    delivery = Delivery.from_attempt(store, session, attempt)
    message = replace(delivery.message, sent_wall_at=attempt.sent_wall_at)
    return replace(delivery, message=message)
