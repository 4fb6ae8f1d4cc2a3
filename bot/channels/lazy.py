"""A module imported when one of its names is first used, for a provider's SDK wrapper.

A channel's class says everything carebot knows of the channel (its address, its settings,
whether it is configured) and is asked for by commands that send nothing (`patient list`
checks which consented channels are configured). Its SDK, which takes longer to import than
the rest of such a command, is reached through a `LazyModule`, so that it is imported by the
first send, lookup or webhook, not by the class:

    if TYPE_CHECKING:
        from bot.channels import twilio_client as twilio
    else:
        twilio = LazyModule("bot.channels.twilio_client")
"""

from __future__ import annotations

import importlib
from typing import Any


class LazyModule:
    """Stands for the module `name`, importing it on the first attribute looked up."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        # import_module is a dictionary look-up once the module is imported, and takes the
        # import lock the first time, so that threads sending at once import it once.
        return getattr(importlib.import_module(self._name), attribute)

    def __repr__(self) -> str:
        return f"<lazy module {self._name}>"
