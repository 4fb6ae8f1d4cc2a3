"""The statuses a reminder moves through and the outcomes of one delivery attempt.

`StrEnum`s whose values are the design's own strings: they are what the database holds and
what `--format json` prints, so a member compares equal to, and is stored as, its string.
"""

from __future__ import annotations

from enum import StrEnum


class ReminderStatus(StrEnum):
    """`planned` -> `sending` -> `sent` -> `delivered` | `read`, or a terminal failure."""

    PLANNED = "planned"
    SENDING = "sending"  # claimed by a dispatch cycle
    SENT = "sent"
    DELIVERED = "delivered"  # set by a provider's status callback
    READ = "read"  # likewise
    FAILED = "failed"  # with the provider's error
    UNDELIVERABLE = "undeliverable"  # no consented, reachable channel
    MISSED = "missed"  # past the catch-up grace
    CANCELLED = "cancelled"  # patient paused, ended, erased or opted out
    UNCONFIRMED = "unconfirmed"  # outcome unknown: for an admin, never sent blindly again


class AttemptOutcome(StrEnum):
    """How one try on one channel ended, as far as carebot knows."""

    PENDING = "pending"  # saved before the provider was called, not yet answered
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"  # ambiguous, and the provider offers no look-up
    NOT_FOUND = "not-found"  # looked up at once, not there yet: looked up again before a retry
    ABSENT = "absent"  # not there the second time either: never received


# What a status callback may already have set while the send's own answer was on its way.
CALLBACK_STATUSES = frozenset(
    {ReminderStatus.DELIVERED, ReminderStatus.READ, ReminderStatus.FAILED}
)
