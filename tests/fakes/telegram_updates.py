"""The fake Telegram's incoming updates: a queue with increasing `update_id`, served by getUpdates.

Messages are built as the Bot API sends them to a bot: a private chat whose id is the user's id,
and a `bot_command` entity when the text starts with "/" (which PTB's CommandHandler relies on).
"""

from __future__ import annotations

import threading
from typing import Any


class UpdateQueue:
    """Pending updates; `take(offset, limit)` has getUpdates' semantics for `offset`."""

    def __init__(self) -> None:
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._next_message_id = 1
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._updates)

    def next_message_id(self) -> int:
        """A message id, shared by both directions as in one Telegram chat."""
        with self._lock:
            message_id = self._next_message_id
            self._next_message_id += 1
        return message_id

    def message_update(
        self, chat_id: int, text: str, *, date: int, first_name: str = "Patient", **user: Any
    ) -> dict[str, Any]:
        """A new `message` update from user `chat_id` (not queued); `user` adds User fields."""
        sender = {"id": chat_id, "is_bot": False, "first_name": first_name, **user}
        message: dict[str, Any] = {
            "message_id": self.next_message_id(),
            "date": date,
            "text": text,
            "from": sender,
            "chat": {"id": chat_id, "type": "private", "first_name": first_name},
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        with self._lock:
            update_id = self._next_update_id
            self._next_update_id += 1
        return {"update_id": update_id, "message": message}

    def push_message(self, chat_id: int, text: str, *, date: int, **user: Any) -> int:
        """Queue a message update; returns its update_id."""
        return self.push(self.message_update(chat_id, text, date=date, **user))

    def push(self, update: dict[str, Any]) -> int:
        """Queue a ready-made update (its `update_id` must be new and increasing)."""
        with self._lock:
            self._updates.append(update)
            self._next_update_id = max(self._next_update_id, update["update_id"] + 1)
        return int(update["update_id"])

    def take(self, offset: int, limit: int) -> list[dict[str, Any]]:
        """Forget updates confirmed by `offset`, return up to `limit` of the rest."""
        with self._lock:
            if offset < 0:
                self._updates = self._updates[offset:]
            elif offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            return list(self._updates[:limit])

    def clear(self) -> None:
        """Drop every pending update (`drop_pending_updates`)."""
        with self._lock:
            self._updates.clear()
