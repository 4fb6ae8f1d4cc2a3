"""Each channel's health (last success, last error with its time and kind, down since) and
what the last cycle did, kept in `channel_state` as JSON under `health:<channel>` and
`carebot:last-tick`: times, kinds and carebot's own error texts, never personal data. Written
by dispatch at the end of a cycle, read by `carebot status`."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from bot.store.models import ChannelState

LAST_TICK = "carebot:last-tick"
COULD_NOT_CONNECT = "could not connect"  # the channels' word for a request that never left


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


def put(session: Session, channel: str, state: ChannelHealth) -> None:
    """Store a channel's record."""
    _put(session, _key(channel), state.to_json())


def _put(session: Session, name: str, value: str) -> None:
    row = session.get(ChannelState, name) or ChannelState(name=name, value=value)
    row.value = value
    session.add(row)


def save_tick(session: Session, *, at: datetime, planned: int, outcomes: dict[str, int]) -> None:
    """Keep what the last cycle did (its clock, what it planned, each final status)."""
    value = json.dumps({"at": _iso(at), "planned": planned, "outcomes": outcomes}, sort_keys=True)
    _put(session, LAST_TICK, value)


def last_tick(session: Session) -> dict[str, Any] | None:
    """What `save_tick` kept, if a cycle ever ran."""
    row = session.get(ChannelState, LAST_TICK)
    return dict(json.loads(row.value)) if row is not None else None
