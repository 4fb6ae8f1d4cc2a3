"""Why a reminder was not sent, in the words the delivery log gives: one cause, one reason."""

from __future__ import annotations

from dataclasses import dataclass

NOT_RUNNING = "carebot was not running"


def late_reason(error: str | None) -> str:
    """Why a reminder is `missed`: the grace, and what held it up (an unconfigured or
    unreachable channel) if anything did, so that one cause gives one reason."""
    return f"past the catch-up grace: {error}" if error else "past the catch-up grace"


def not_configured(channel: str) -> str:
    """The reason of a reminder left planned for a consented channel this process lacks."""
    return f"{channel} is not configured"


@dataclass(frozen=True)
class Unsent:
    """Why no channel can take a reminder now: each channel of the program's order and why
    not, and the consented, reachable ones this process has no settings for (`waiting`)."""

    why: dict[str, str]
    waiting: tuple[str, ...]

    def reason(self) -> str:
        return "; ".join(f"{name}: {why}" for name, why in self.why.items()) or "no channel"
