"""A program as carebot stores and uses it: its cadence, channels, templates, thresholds.

`bot.programs.parse` reads a program file into one, refusing a bad one at once.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from apscheduler.triggers.cron import CronTrigger

from bot.errors import CarebotError
from bot.triage.classify import Thresholds

# A program's name names a folder (templates/<name>/) and a file (schedules/<name>.toml), so
# it is a slug: no dot, slash, backslash or NUL can take either out of its folder.
NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


class ProgramError(CarebotError):
    """A program file that carebot refuses, with a one-line reason."""


@dataclass(frozen=True)
class Template:
    """One message template in every language the program speaks."""

    sensitivity: str
    text: dict[str, str]  # language -> Jinja2 source


@dataclass(frozen=True)
class Program:
    """A validated program, as stored in the database."""

    name: str
    description: str
    languages: list[str]
    cron: str  # crontab fields: minute hour day month day_of_week
    start_offset_days: int
    duration_weeks: int | None
    catch_up_grace_hours: float
    quiet_start: str | None
    quiet_end: str | None
    channels: list[str]
    channel_templates: dict[str, str]
    templates: dict[str, Template]
    emergency: dict[str, str]
    thresholds: dict[str, float] = field(default_factory=dict)
    # Where an urgent reply is announced (a nurse's phone or Telegram chat): channel, address.
    on_call: tuple[str, str] | None = None
    # `[channels.options.<channel>]`: what a channel needs from the program (e.g. a provider's
    # approved template ids, the SMS segment limit), checked by the channel's class when the
    # program is loaded and handed to the channel as written.
    channel_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    # A send whose outcome cannot be known (no look-up): "hold" leaves it `unconfirmed` for
    # an admin; "resend" sends it once more, within its grace.
    on_unconfirmed: str = "hold"

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Program:
        """A stored definition. One stored by an older carebot may hold a field since moved
        (the SMS segment limit is now a channel option): it was checked when it was added,
        and is not needed to send."""
        data = json.loads(text)
        data = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        data["templates"] = {k: Template(**v) for k, v in data["templates"].items()}
        if data.get("on_call"):
            data["on_call"] = tuple(data["on_call"])
        return cls(**data)

    def trigger(self, timezone: str) -> CronTrigger:
        """The cadence in one patient's zone (APScheduler does the calendar arithmetic)."""
        return CronTrigger.from_crontab(self.cron, timezone=timezone)

    def template_for(self, channel: str) -> Template:
        return self.templates[self.channel_templates.get(channel, "reminder")]

    def threshold_values(self) -> Thresholds:
        return Thresholds(**self.thresholds)  # type: ignore[arg-type]


def is_name(name: str) -> bool:
    """Whether `name` may name a program (a slug such as post-stroke-weekly)."""
    return NAME.fullmatch(name) is not None
