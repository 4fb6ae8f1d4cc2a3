"""A Telegram update as the webhook receives it: checked field by field, never trusted.

Whatever cannot be used (not JSON, nested too deep, numbers out of range, a field of the wrong
type, a photo or an edit) is named by a short reason of carebot's own, which the webhook logs
and audits before answering 200: an error status would only make Telegram send it again and
hold back every update behind it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, TypeGuard

from bot.channels.telegram import Incoming

MAX_ID = 2**53  # Telegram's ids fit in 52 bits (its own promise for chat ids)
MAX_DATE = 4_102_444_800  # 2100-01-01: later than any real message


def _is_id(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) < MAX_ID


def parse_update(body: bytes) -> Incoming | str:
    """The update's text message, or the reason it is ignored (no personal data in it)."""
    try:
        update = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return "not JSON"
    if not isinstance(update, dict) or not _is_id(update.get("update_id")):
        return "not an update"
    message = update.get("message")
    if not isinstance(message, dict):
        return "not a message"
    chat, text, date = message.get("chat"), message.get("text"), message.get("date")
    if (
        not isinstance(chat, dict)
        or not _is_id(chat.get("id"))
        or not isinstance(chat.get("type"), str)
    ):
        return "no chat"
    if not isinstance(text, str):
        return "not a text message"
    if not _is_id(date) or not 0 <= date < MAX_DATE:
        return "bad date"
    return Incoming(
        update["update_id"],
        str(chat["id"]),
        text,
        datetime.fromtimestamp(date, UTC),
        chat_type=chat["type"],
    )
