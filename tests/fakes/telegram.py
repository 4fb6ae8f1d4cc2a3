"""A fake Telegram Bot API server that python-telegram-bot talks to over HTTP.

`POST|GET /bot<token>/<method>` with JSON, form or multipart parameters. Every call is checked
against `telegram_bot_api.json` (`telegram_contract`): a malformed token answers 404, a wrong one
401, an unknown method 404, a bad call 400 "Bad Request: ...", each in the Bot API's
`{"ok": false, "error_code", "description"}` shape and recorded as a violation. Implemented:
getMe, sendMessage, getUpdates, setWebhook, deleteWebhook, getWebhookInfo.

Scripting, for tests:
    fake.block(chat_id)                   # 403 "Forbidden: bot was blocked by the user"
    fake.migrate(chat_id, new_chat_id)    # 400 with parameters.migrate_to_chat_id
    fake.fail_next(429, retry_after=1)    # or fail_next(500), fail_next(400, description=...)
    fake.drop_next(); fake.hang_next(5)   # sent, then no answer: an ambiguous outcome
    fake.fail_after_sending(500)          # sent, then a 5xx answer: ambiguous too
    fake.latency = 0.2
    fake.global_per_second = 30; fake.per_chat_per_second = 1   # 429 beyond (None: no limit)
    fake.push_update(chat_id, "/start abc")   # an incoming message for getUpdates
    fake.post_update(url, chat_id, "hi", secret_token=...)   # the same, pushed to a webhook

Point PTB at it with `telegram.Bot(fake.token, base_url=f"{fake.url}/bot")`.
"""

from __future__ import annotations

import asyncio
import random
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.base import Failure, FakeProvider, RateWindow
from tests.fakes.contracts import telegram_method
from tests.fakes.telegram_contract import check_call, read_params, rule_problem
from tests.fakes.telegram_updates import UpdateQueue

MethodHandler = Callable[[Request, dict[str, Any]], Awaitable[Response]]
TOKEN_SHAPE = re.compile(r"^[0-9]{6,12}:[A-Za-z0-9_-]{30,40}$")
ACCEPTED = "sendMessage:accepted"  # the target of a failure answered after recording the send
DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    403: "Forbidden: bot was blocked by the user",
    409: "Conflict: terminated by other getUpdates request",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def error(status: int, description: str, parameters: dict[str, int] | None = None) -> Response:
    """A Bot API error answer."""
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return JSONResponse(body, status_code=status)


def ok(result: Any) -> Response:
    """A Bot API success answer."""
    return JSONResponse({"ok": True, "result": result})


@dataclass
class Sent:
    """One message the fake accepted."""

    message_id: int
    chat_id: str
    text: str
    date: int
    params: dict[str, Any] = field(default_factory=dict)
    accepted_at: float = field(default_factory=time.monotonic)  # when it passed the limits


class FakeTelegram(FakeProvider):
    """Fake Bot API; `sent` lists what it accepted, newest last."""

    send_target = "sendMessage"

    def __init__(self, *, token: str | None = None, username: str = "carebot_test_bot") -> None:
        super().__init__()
        self.token = token or f"{random.randint(10**9, 10**10 - 1)}:{secrets.token_urlsafe(26)}"
        self.username = username
        self.sent: list[Sent] = []
        self.updates = UpdateQueue()
        self.webhook: dict[str, Any] | None = None
        self.global_per_second: int | None = 30
        self.per_chat_per_second: int | None = 1
        self.rate_limited: list[str] = []
        self._blocked: set[str] = set()
        self._migrated: dict[str, int] = {}
        self._windows: dict[str, RateWindow] = {}

    def routes(self) -> list[Route]:
        return [Route("/bot{token}/{method}", self.guarded(self._call), methods=["GET", "POST"])]

    def not_found(self, request: Request) -> Response:
        return error(404, "Not Found")

    def block(self, chat_id: int | str) -> None:
        """The patient blocked the bot: sends to this chat answer 403 from now on."""
        self._blocked.add(str(chat_id))

    def migrate(self, chat_id: int | str, new_chat_id: int) -> None:
        """The group became a supergroup: sends to `chat_id` answer 400 with its new id."""
        self._migrated[str(chat_id)] = new_chat_id

    def fail_next(
        self,
        status: int = 500,
        *,
        retry_after: int | None = None,
        description: str | None = None,
        method: str = "sendMessage",
    ) -> None:
        """Answer the next call of `method` with this error instead."""
        if status == 429 and retry_after is None:
            retry_after = 1
        self.inject(
            Failure(status=status, retry_after=retry_after, description=description, target=method)
        )

    def fail_after_sending(self, status: int = 500) -> None:
        """Accept the next sendMessage (the chat gets it), then answer `status` instead."""
        self.inject(Failure(status=status, target=ACCEPTED))

    def push_update(self, chat_id: int, text: str, **sender: Any) -> int:
        """Queue an incoming private message for getUpdates; returns its update_id."""
        return self.updates.push_message(
            chat_id, text, date=int(self.clock().timestamp()), **sender
        )

    def post_update(
        self, url: str, chat_id: int, text: str, *, secret_token: str | None = None
    ) -> httpx.Response:
        """POST an incoming message update to a webhook, as Telegram does once one is set."""
        update = self.updates.message_update(chat_id, text, date=int(self.clock().timestamp()))
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret_token} if secret_token else {}
        return httpx.post(url, json=update, headers=headers, timeout=10)

    async def _call(self, request: Request) -> Response:
        token, name = request.path_params["token"], request.path_params["method"]
        if not TOKEN_SHAPE.match(token):
            return self._reject(request, 404, "Not Found")
        if token != self.token:
            return self._reject(request, 401, "Unauthorized")
        method = telegram_method(name)
        if method is None:
            return self._reject(request, 404, "Not Found")
        params = await read_params(request)
        if params is None:
            return self._reject(request, 400, "Bad Request: can't parse request body")
        problem = check_call(method, params) or rule_problem(method["name"], params)
        if problem:
            return self._reject(request, 400, f"Bad Request: {problem}")
        handler = self._handlers().get(method["name"])
        if handler is None:
            return self._reject(request, 501, f"the fake does not implement {method['name']}")
        return await handler(request, params)

    def _reject(self, request: Request, status: int, description: str) -> Response:
        self.violation(f"{request.url.path.rsplit('/', 1)[-1]}: {status} {description}")
        return error(status, description)

    def _handlers(self) -> dict[str, MethodHandler]:
        return {
            "getMe": self._get_me,
            "sendMessage": self._send_message,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._webhook_info,
        }

    async def _get_me(self, request: Request, params: dict[str, Any]) -> Response:
        return ok(self.bot_user())

    def bot_user(self) -> dict[str, Any]:
        """The bot's own User object."""
        return {
            "id": int(self.token.split(":")[0]),
            "is_bot": True,
            "first_name": "Carebot",
            "username": self.username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _send_message(self, request: Request, params: dict[str, Any]) -> Response:
        chat = str(params["chat_id"])
        refusal = self._refusal(chat)
        if refusal is not None:
            return refusal
        failure = self.next_failure("sendMessage")
        if failure is not None and failure.kind == "error":
            return _scripted(failure.status, failure.retry_after, failure.description)
        message = self._record(chat, params)
        late = self.next_failure(ACCEPTED)
        if late is not None:
            return _scripted(late.status, late.retry_after, late.description)
        if failure is not None:
            await self.misbehave(request, failure)
            if failure.kind == "accept-error":  # sent, then a 5xx: the answer is no proof
                return _scripted(failure.status, None, failure.description)
        return ok(message)

    def _refusal(self, chat: str) -> Response | None:
        if chat in self._blocked:
            return error(403, DESCRIPTIONS[403])
        if chat in self._migrated:
            return error(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self._migrated[chat]},
            )
        if not self._within_limits(chat):
            self.rate_limited.append(chat)
            return _scripted(429, 1, None)
        return None

    def _within_limits(self, chat: str) -> bool:
        limits = {"*": self.global_per_second, chat: self.per_chat_per_second}
        with self._lock:
            windows = [self._window(key, limit) for key, limit in limits.items() if limit]
            if any(window.full() for window in windows):
                return False
            return all(window.allow() for window in windows)

    def _window(self, key: str, limit: int) -> RateWindow:
        window = self._windows.get(key)
        if window is None or window.limit != limit:
            window = self._windows[key] = RateWindow(limit)
        return window

    def _record(self, chat: str, params: dict[str, Any]) -> dict[str, Any]:
        sent = Sent(
            self.updates.next_message_id(),
            chat,
            str(params["text"]),
            int(self.clock().timestamp()),
            params,
        )
        with self._lock:
            self.sent.append(sent)
        self.log_received(channel="telegram", to=chat, body=sent.text, ident=str(sent.message_id))
        return {
            "message_id": sent.message_id,
            "date": sent.date,
            "text": sent.text,
            "from": self.bot_user(),
            "chat": _chat(chat),
        }

    async def _get_updates(self, request: Request, params: dict[str, Any]) -> Response:
        if self.webhook is not None:
            return self._reject(
                request,
                409,
                "Conflict: can't use getUpdates method while "
                "webhook is active; use deleteWebhook to delete the webhook first",
            )
        failure = self.next_failure("getUpdates")
        if failure is not None and failure.kind == "error":
            return _scripted(failure.status, failure.retry_after, failure.description)
        offset, limit = int(params.get("offset", 0)), int(params.get("limit", 100))
        deadline = time.monotonic() + min(float(params.get("timeout", 0)), 1.0)
        batch = self.updates.take(offset, limit)
        while not batch and time.monotonic() < deadline and not self._stopping.is_set():
            await asyncio.sleep(0.02)
            batch = self.updates.take(offset, limit)
        return ok(batch)

    async def _set_webhook(self, request: Request, params: dict[str, Any]) -> Response:
        self.webhook = dict(params) if params.get("url") else None
        if str(params.get("drop_pending_updates", "")).lower() == "true":
            self.updates.clear()
        return ok(True)

    async def _delete_webhook(self, request: Request, params: dict[str, Any]) -> Response:
        self.webhook = None
        if str(params.get("drop_pending_updates", "")).lower() == "true":
            self.updates.clear()
        return ok(True)

    async def _webhook_info(self, request: Request, params: dict[str, Any]) -> Response:
        url = self.webhook["url"] if self.webhook else ""
        return ok(
            {"url": url, "has_custom_certificate": False, "pending_update_count": len(self.updates)}
        )


def _scripted(status: int, retry_after: int | None, description: str | None) -> Response:
    if status == 429:
        return error(
            429,
            description or f"Too Many Requests: retry after {retry_after}",
            {"retry_after": retry_after or 1},
        )
    return error(status, description or DESCRIPTIONS.get(status, "Scripted failure"))


def _chat(chat: str) -> dict[str, Any]:
    """The Chat object for a chat_id: a private chat, or a channel for "@username" ids."""
    if chat.lstrip("-").isdigit() and int(chat) > 0:
        return {"id": int(chat), "type": "private", "first_name": "Patient"}
    if chat.lstrip("-").isdigit():
        return {"id": int(chat), "type": "supergroup", "title": "Group"}
    return {"id": -1001234567890, "type": "channel", "title": chat, "username": chat[1:]}
