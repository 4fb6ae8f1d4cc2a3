"""A fake X API v2 for direct messages, as tweepy 4.17's `tweepy.Client` calls it.

Endpoints: `POST /2/dm_conversations/with/{participant_id}/messages` (JSON `{"text": ...}`,
answers 201 `{"data": {"dm_conversation_id", "dm_event_id"}}`), `GET /2/dm_events`,
`GET /2/dm_conversations/with/{participant_id}/dm_events` and `GET /2/users/me`. There is no X
contract file, so requests are checked against what X documents and tweepy sends (`x_contract`):
an OAuth 1.0a user-context `Authorization` header whose HMAC-SHA1 signature verifies with the
keys of `fake.credentials()` (401 otherwise; an app-only bearer token gets X's 403
"Unsupported Authentication"), a numeric participant id, a JSON body with a non-empty `text` of at
most 10,000 characters (or an attachment), and the documented query parameters and values.
A request X would reject gets X's error shape and is recorded as a violation.

Scripting, for tests:
    fake.fail_next(429, reset_in=60)      # 429 with x-rate-limit-* headers (on="events" for
                                          # the next GET of DM events instead of a send)
    fake.fail_next(403); fake.fail_next(500)
    fake.refuse_dms(participant_id)       # 403 from now on: the user does not accept DMs
    fake.unenrolled = True                # 403 "Client Forbidden" on every call: the app is
                                          # not attached to a Project (the account's problem)
    fake.drop_next(); fake.hang_next(5)   # sent, then no answer: an ambiguous outcome
    fake.push_dm(sender_id, "145/92")     # an incoming DM for GET /2/dm_events

tweepy hard-codes `https://api.twitter.com`; `redirect_session(client.session, fake.url)` mounts
a requests adapter that sends those requests to the fake instead (see `RedirectAdapter`).
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import requests
from requests.adapters import HTTPAdapter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.base import Failure, FakeProvider
from tests.fakes.x_contract import (
    X_API,
    app_only_refused,
    client_forbidden,
    dm_body_problem,
    events_query_problem,
    invalid_request,
    problem,
    signature_ok,
)

TITLES = {
    401: "Unauthorized",
    403: "Forbidden",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class RedirectAdapter(HTTPAdapter):
    """A requests adapter that sends requests for `https://api.twitter.com/...` to `base_url`.

    Mounted on a session for the X origin, it rewrites only the origin of each prepared request
    just before it goes out; tweepy's OAuth 1.0a signature was computed over the original URL
    (as X will check it), and the path and query are kept byte for byte.
    """

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        url = request.url or ""
        if url.startswith(X_API):
            request.url = self.base_url + url[len(X_API) :]
        return super().send(request, *args, **kwargs)


def redirect_session(session: requests.Session, base_url: str) -> None:
    """Make `session` (tweepy's `client.session`) talk to `base_url` instead of X.

    Example:
        client = tweepy.Client(consumer_key=..., consumer_secret=...,
                               access_token=..., access_token_secret=...)
        redirect_session(client.session, fake.url)
        client.create_direct_message(participant_id="42", text="hello", user_auth=True)
    """
    session.mount(f"{X_API}/", RedirectAdapter(base_url))


@dataclass
class DmEvent:
    """One direct-message event (sent by the bot's user or received from a patient)."""

    id: str
    text: str
    sender_id: str
    participant_ids: tuple[str, str]
    created_at: datetime

    @property
    def dm_conversation_id(self) -> str:
        """X names a one-to-one conversation by its two user ids, smaller first."""
        return "-".join(sorted(self.participant_ids, key=int))

    def to_json(self, fields: set[str]) -> dict[str, Any]:
        """The event with `id`, `event_type`, `text` and the requested `dm_event.fields`."""
        full = {
            "id": self.id,
            "event_type": "MessageCreate",
            "text": self.text,
            "sender_id": self.sender_id,
            "dm_conversation_id": self.dm_conversation_id,
            "participant_ids": list(self.participant_ids),
            "created_at": self.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        }
        return {k: v for k, v in full.items() if k in {"id", "event_type", "text"} | fields}


class FakeX(FakeProvider):
    """Fake X DM API; `sent` lists the DMs the bot's user sent, `events` every DM event."""

    send_target = "dm"

    def __init__(
        self, *, user_id: str = "1500000000000000001", username: str = "carebot_hospital"
    ) -> None:
        super().__init__()
        self.user_id, self.username = user_id, username
        self.consumer_key = secrets.token_urlsafe(18)
        self.consumer_secret = secrets.token_urlsafe(37)
        self.access_token = f"{user_id}-{secrets.token_urlsafe(30)}"
        self.access_token_secret = secrets.token_urlsafe(33)
        self.events: list[DmEvent] = []
        self._refused: set[str] = set()
        self.unenrolled = False
        self._ids = itertools.count(1_800_000_000_000_000_000)

    @property
    def sent(self) -> list[DmEvent]:
        """DMs sent by the bot's user, oldest first."""
        with self._lock:
            return [event for event in self.events if event.sender_id == self.user_id]

    def credentials(self) -> dict[str, str]:
        """Keyword arguments for `tweepy.Client` that this fake accepts."""
        return {
            "consumer_key": self.consumer_key,
            "consumer_secret": self.consumer_secret,
            "access_token": self.access_token,
            "access_token_secret": self.access_token_secret,
        }

    def routes(self) -> list[Route]:
        conversation = "/2/dm_conversations/with/{participant_id}"
        return [
            Route(f"{conversation}/messages", self.guarded(self._send), methods=["POST"]),
            Route(f"{conversation}/dm_events", self.guarded(self._events), methods=["GET"]),
            Route("/2/dm_events", self.guarded(self._events), methods=["GET"]),
            Route("/2/users/me", self.guarded(self._me), methods=["GET"]),
        ]

    def not_found(self, request: Request) -> Response:
        return problem(404, "Not Found Error", f"Could not find {request.url.path}")

    def fail_next(
        self,
        status: int = 500,
        *,
        reset_in: int = 60,
        detail: str | None = None,
        on: Literal["dm", "events"] = "dm",
    ) -> None:
        """Answer the next DM send (or events look-up) with this error; a 429 carries
        `x-rate-limit-reset`, `reset_in` seconds from now."""
        self.inject(Failure(status=status, retry_after=reset_in, description=detail, target=on))

    def refuse_dms(self, participant_id: str | int) -> None:
        """This user does not accept DMs from the bot: sends to them answer 403."""
        self._refused.add(str(participant_id))

    def push_dm(self, sender_id: str | int, text: str) -> str:
        """An incoming DM from `sender_id` to the bot's user; returns its event id."""
        return self._record(str(sender_id), (str(sender_id), self.user_id), text).id

    def _record(self, sender: str, participants: tuple[str, str], text: str) -> DmEvent:
        event = DmEvent(str(next(self._ids)), text, sender, participants, self.clock())
        with self._lock:
            self.events.append(event)
        return event

    def _reject(self, request: Request, answer: Response, reason: str) -> Response:
        self.violation(f"{request.method} {request.url.path}: {answer.status_code} {reason}")
        return answer

    def _unauthorized(self, request: Request) -> Response | None:
        if signature_ok(request, self.credentials()):
            return client_forbidden(self.consumer_key[:8]) if self.unenrolled else None
        if request.headers.get("authorization", "").startswith("Bearer "):
            return self._reject(request, app_only_refused(), "app-only bearer token")
        return self._reject(
            request,
            problem(401, "Unauthorized", "Unauthorized"),
            "OAuth 1.0a signature missing or wrong",
        )

    async def _send(self, request: Request) -> Response:
        unauthorized = self._unauthorized(request)
        if unauthorized is not None:
            return unauthorized
        participant = request.path_params["participant_id"]
        raw = await request.body()
        reason = dm_body_problem(participant, raw, request.headers.get("content-type", ""))
        if reason:
            return self._reject(request, invalid_request(reason), reason)
        failure = self.next_failure("dm")
        if failure is not None and failure.kind == "error":
            return _scripted(failure)
        if participant in self._refused:
            return problem(403, "Forbidden", "You are not allowed to send messages to this user.")
        text = json.loads(raw).get("text", "")
        event = self._record(self.user_id, (self.user_id, participant), text)
        if failure is not None:
            await self.misbehave(request, failure)
        data = {"dm_conversation_id": event.dm_conversation_id, "dm_event_id": event.id}
        return JSONResponse({"data": data}, status_code=201)

    async def _events(self, request: Request) -> Response:
        unauthorized = self._unauthorized(request)
        if unauthorized is not None:
            return unauthorized
        reason = events_query_problem(request.query_params.multi_items())
        if reason:
            return self._reject(request, invalid_request(reason), reason)
        failure = self.next_failure("events")
        if failure is not None and failure.kind == "error":
            return _scripted(failure)
        return JSONResponse(self._event_page(request))

    def _event_page(self, request: Request) -> dict[str, Any]:
        query = request.query_params
        participant = request.path_params.get("participant_id")
        with self._lock:
            found = [
                e
                for e in reversed(self.events)
                if participant is None or participant in e.participant_ids
            ]
        start, size = int(query.get("pagination_token") or 0), int(query.get("max_results", 100))
        page = found[start : start + size]
        fields = set(filter(None, query.get("dm_event.fields", "").split(",")))
        meta: dict[str, Any] = {"result_count": len(page)}
        if start + size < len(found):
            meta["next_token"] = str(start + size)
        if not page:
            return {"meta": meta}
        return {"data": [event.to_json(fields) for event in page], "meta": meta}

    async def _me(self, request: Request) -> Response:
        refusal = self._unauthorized(request)
        if refusal is not None:
            return refusal
        return JSONResponse(
            {"data": {"id": self.user_id, "name": "Carebot", "username": self.username}}
        )


def _scripted(failure: Failure) -> Response:
    status = failure.status
    title = TITLES.get(status, "Error")
    answer = problem(status, title, failure.description or title)
    if status == 429:
        answer.headers["x-rate-limit-limit"] = "200"
        answer.headers["x-rate-limit-remaining"] = "0"
        answer.headers["x-rate-limit-reset"] = str(int(time.time()) + (failure.retry_after or 60))
    return answer
