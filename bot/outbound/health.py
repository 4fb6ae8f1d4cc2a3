"""Channel health: when each channel last sent, last failed and since when it cannot be
reached at all, and what the last cycle did, kept in the store for `carebot status`.

A channel that refuses connections is not one patient's problem: its reminders are retried
within their grace, fall back to the patient's next consented channel once it has been down
longer than `CAREBOT_CHANNEL_DOWN_AFTER_MINUTES`, and, if there is none, end with the one
reason of the outage. What a cycle learns is kept in memory and written once at its end (a
write per send would cost the paced sends their store thread).

Stored as JSON in `channel_state` under `health:<channel>` and `carebot:last-tick`: times,
kinds and carebot's own error texts, never personal data.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from bot.channels.base import ChannelError, ErrorKind
from bot.store.models import ChannelState

LAST_TICK = "carebot:last-tick"
COULD_NOT_CONNECT = "could not connect"  # the channels' word for a request that never left


def cannot_connect(error: ChannelError) -> bool:
    """Whether the provider could not be reached at all: nothing left, so nothing was sent,
    and every other send on that channel meets the same (see `base.transport_error`)."""
    return error.kind is ErrorKind.RETRY and str(error) == COULD_NOT_CONNECT


def _key(channel: str) -> str:
    return f"health:{channel}"


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def stamp(value: datetime) -> str:
    """A time in a reason or a warning line: to the minute, in UTC (one text for everyone)."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@dataclass
class ChannelHealth:
    """One channel's record; times are aware (UTC)."""

    last_success: datetime | None = None
    last_error_at: datetime | None = None
    last_error: str | None = None
    last_error_kind: str | None = None
    down_since: datetime | None = None

    def reason(self, channel: str) -> str:
        """The one reason every reminder held up by this outage is given."""
        since = stamp(self.down_since) if self.down_since else "now"
        return f"{channel} unreachable since {since}: {self.last_error or COULD_NOT_CONNECT}"

    def to_json(self) -> str:
        data = {k: _iso(v) if isinstance(v, datetime) else v for k, v in asdict(self).items()}
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ChannelHealth:
        data: dict[str, Any] = json.loads(text)
        return cls(
            last_success=_when(data.get("last_success")),
            last_error_at=_when(data.get("last_error_at")),
            last_error=data.get("last_error"),
            last_error_kind=data.get("last_error_kind"),
            down_since=_when(data.get("down_since")),
        )


def load(session: Session, channel: str) -> ChannelHealth:
    """The channel's stored record, or an empty one."""
    row = session.get(ChannelState, _key(channel))
    return ChannelHealth.from_json(row.value) if row is not None else ChannelHealth()


def _put(session: Session, name: str, value: str) -> None:
    row = session.get(ChannelState, name) or ChannelState(name=name, value=value)
    row.value = value
    session.add(row)


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
            _put(session, _key(name), self.of(name).to_json())

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


def save_tick(session: Session, *, at: datetime, planned: int, outcomes: dict[str, int]) -> None:
    """Keep what the last cycle did (its clock, what it planned, each final status)."""
    value = json.dumps({"at": _iso(at), "planned": planned, "outcomes": outcomes}, sort_keys=True)
    _put(session, LAST_TICK, value)


def last_tick(session: Session) -> dict[str, Any] | None:
    """What `save_tick` kept, if a cycle ever ran."""
    row = session.get(ChannelState, LAST_TICK)
    return dict(json.loads(row.value)) if row is not None else None
