"""The channel registry: one line per channel. Each module implements `base.Channel`."""

from __future__ import annotations

# Sensitivity ceiling of each channel: the most sensitive template it may carry.
# X DMs live on a social network account: public only. SMS and Telegram can be read on a
# locked phone's screen: personal at most. The console is the nurse's own terminal.
CEILINGS: dict[str, str] = {
    "console": "health",
    "telegram": "personal",
    "sms": "personal",
    "x": "public",
}

CHANNELS = tuple(CEILINGS)
