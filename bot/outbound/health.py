"""Channel health during a cycle: which channels sent, which failed, which could not be
reached at all, and since when (the record itself: `bot.store.health`).

A channel that refuses connections is not one patient's problem: its reminders are retried
within their grace, fall back to the patient's next consented channel once it has been down
longer than `CAREBOT_CHANNEL_DOWN_AFTER_MINUTES`, and, if there is none, end with the one
reason of the outage. What a cycle learns is kept in memory and written once at its end (a
write per send would cost the paced sends their store thread).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from bot.channels.base import ChannelError, ErrorKind
from bot.store.health import COULD_NOT_CONNECT, ChannelHealth, load, put


def cannot_connect(error: ChannelError) -> bool:
    """Whether the provider could not be reached at all: nothing left, so nothing was sent,
    and every other send on that channel meets the same (see `base.transport_error`)."""
    return error.kind is ErrorKind.RETRY and str(error) == COULD_NOT_CONNECT


@dataclass
class Health:
    """What one cycle learns of its channels; `waiting` counts, per channel, the reminders
    held up because it could not be reached."""

    channels: dict[str, ChannelHealth] = field(default_factory=dict)
    touched: set[str] = field(default_factory=set)
    waiting: Counter[str] = field(default_factory=Counter)

    def read(self, session: Session, names: list[str]) -> None:
        """Load the stored records of these channels (at the start of a cycle)."""
        for name in names:
            self.channels[name] = load(session, name)

    def write(self, session: Session) -> None:
        """Store what changed during the cycle."""
        for name in sorted(self.touched):
            put(session, name, self.of(name))

    def of(self, channel: str) -> ChannelHealth:
        return self.channels.setdefault(channel, ChannelHealth())

    def success(self, channel: str, at: datetime) -> None:
        state = self.of(channel)
        state.last_success, state.down_since = at, None
        self.touched.add(channel)

    def error(self, channel: str, at: datetime, error: ChannelError) -> ChannelHealth:
        """Note a refused send; a connection that failed starts (or continues) an outage."""
        state = self.of(channel)
        state.last_error_at, state.last_error = at, str(error)
        if cannot_connect(error):
            state.last_error_kind = "connect"
            state.down_since = state.down_since or at
        else:
            state.last_error_kind = error.kind.value
        self.touched.add(channel)
        return state

    def outages(self) -> list[str]:
        """One line per channel this cycle found unreachable, with what it held up."""
        lines = []
        for name in sorted(self.touched):
            state = self.of(name)
            if state.down_since is not None:
                held = self.waiting[name]
                lines.append(f"{state.reason(name)} ({held} reminder(s) waiting)")
        return lines
