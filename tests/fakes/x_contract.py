"""What the fake X checks. There is no contract file for X, so this encodes X API v2's documented
rules for direct messages and what tweepy 4.17 sends.

- Auth: an OAuth 1.0a user-context `Authorization: OAuth ...` header with the consumer key and
  access token the fake issued, HMAC-SHA1, and a signature that verifies over the URL tweepy
  signed (`https://api.twitter.com` + path + query; a JSON body is not signed).
- Sending: a numeric participant id; `Content-Type: application/json`; a JSON object with only
  `text` and `attachments`; a non-empty `text` of at most 10,000 characters, or one attachment.
- Reading events: only the documented query parameters, `dm_event.fields`, `event_types` and
  `expansions` from their documented sets, `max_results` 1-100, a `pagination_token` the fake
  gave out. (`media.fields`, `tweet.fields`, `user.fields` values are not checked.)
Errors use X's shapes: problem JSON `{title, type, status, detail}`, and for a bad request
`{errors: [{message}], title: "Invalid Request", detail, type: .../invalid-request}`.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from oauthlib.oauth1 import Client as OAuthClient
from oauthlib.oauth1.rfc5849.utils import parse_authorization_header
from starlette.requests import Request
from starlette.responses import JSONResponse

X_API = "https://api.twitter.com"
MAX_TEXT = 10_000
USER_ID = re.compile(r"^[0-9]{1,19}$")
DM_EVENT_FIELDS = {
    "id",
    "text",
    "event_type",
    "created_at",
    "dm_conversation_id",
    "sender_id",
    "participant_ids",
    "referenced_tweets",
    "attachments",
}
EVENT_TYPES = {"MessageCreate", "ParticipantsJoin", "ParticipantsLeave"}
EXPANSIONS = {"attachments.media_keys", "referenced_tweets.id", "sender_id", "participant_ids"}
EVENT_QUERY = {
    "dm_event.fields",
    "event_types",
    "expansions",
    "max_results",
    "media.fields",
    "pagination_token",
    "tweet.fields",
    "user.fields",
}
ENUMS = {"dm_event.fields": DM_EVENT_FIELDS, "event_types": EVENT_TYPES, "expansions": EXPANSIONS}


def problem(status: int, title: str, detail: str) -> JSONResponse:
    """X's problem answer for auth, permission, rate-limit and server errors."""
    body = {"title": title, "type": "about:blank", "status": status, "detail": detail}
    return JSONResponse(body, status_code=status)


def app_only_refused() -> JSONResponse:
    """X's answer to an app-only bearer token on a DM endpoint (user context required)."""
    return JSONResponse(
        {
            "title": "Unsupported Authentication",
            "detail": "Authenticating with OAuth 2.0 Application-Only is forbidden for this"
            " endpoint.  Supported authentication types are [OAuth 1.0a User Context,"
            " OAuth 2.0 User Context].",
            "type": "https://api.twitter.com/2/problems/unsupported-authentication",
            "status": 403,
        },
        status_code=403,
    )


def client_forbidden(client_id: str) -> JSONResponse:
    """X's answer to every v2 call when the app's keys are not from an app attached to a
    Project (or its access level does not include the endpoint): the account's problem."""
    return JSONResponse(
        {
            "client_id": client_id,
            "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use"
            " keys and tokens from a Twitter developer App that is attached to a"
            " Project. You can create a project via the developer portal.",
            "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
            "title": "Client Forbidden",
            "required_enrollment": "Appropriate Level of API Access",
            "reason": "client-not-enrolled",
            "type": "https://api.twitter.com/2/problems/client-forbidden",
        },
        status_code=403,
    )


def invalid_request(message: str) -> JSONResponse:
    """X's answer to a request with an invalid parameter or body."""
    return JSONResponse(
        {
            "errors": [{"message": message}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        },
        status_code=400,
    )


def signature_ok(request: Request, credentials: Mapping[str, str]) -> bool:
    """Whether the request carries a valid OAuth 1.0a signature made with `credentials`."""
    header = request.headers.get("authorization", "")
    if not header.startswith("OAuth "):
        return False
    params = dict(parse_authorization_header(header))
    if (
        params.get("oauth_consumer_key"),
        params.get("oauth_token"),
        params.get("oauth_signature_method"),
    ) != (credentials["consumer_key"], credentials["access_token"], "HMAC-SHA1"):
        return False
    signer = OAuthClient(
        credentials["consumer_key"],
        client_secret=credentials["consumer_secret"],
        resource_owner_key=credentials["access_token"],
        resource_owner_secret=credentials["access_token_secret"],
        timestamp=params.get("oauth_timestamp"),
        nonce=params.get("oauth_nonce"),
    )
    query = f"?{request.url.query}" if request.url.query else ""
    _, headers, _ = signer.sign(X_API + request.url.path + query, http_method=request.method)
    expected = dict(parse_authorization_header(headers["Authorization"]))["oauth_signature"]
    return hmac.compare_digest(expected, params.get("oauth_signature", ""))


def dm_body_problem(participant: str, raw: bytes, content_type: str) -> str | None:
    """What is wrong with a send-DM request, or None."""
    if not USER_ID.match(participant):
        return f"The `participant_id` path parameter value [{participant}] is not valid"
    if not content_type.startswith("application/json"):
        return "Content-Type must be application/json"
    try:
        body: Any = json.loads(raw)
    except ValueError:
        return "Request body is not valid JSON"
    if not isinstance(body, dict) or set(body) - {"text", "attachments"}:
        return "Request body must be an object with only `text` and `attachments`"
    text, attachments = body.get("text"), body.get("attachments")
    if text is None and not attachments:
        return "One of `text` or `attachments` is required"
    if text is not None and (not isinstance(text, str) or not text.strip()):
        return "`text` must be a non-empty string"
    if text is not None and len(text) > MAX_TEXT:
        return f"`text` is longer than {MAX_TEXT} characters"
    if attachments is not None and not _one_media(attachments):
        return "`attachments` must be a list of one {`media_id`}"
    return None


def _one_media(attachments: Any) -> bool:
    return (
        isinstance(attachments, list)
        and len(attachments) == 1
        and isinstance(attachments[0], dict)
        and set(attachments[0]) == {"media_id"}
    )


def events_query_problem(items: Sequence[tuple[str, str]]) -> str | None:
    """What is wrong with the query of a DM-events look-up, or None."""
    for name, value in items:
        if name not in EVENT_QUERY:
            return f"The query parameter [{name}] is not one of {sorted(EVENT_QUERY)}"
        allowed = ENUMS.get(name)
        values = value.split(",")
        if allowed is not None and not set(values) <= allowed:
            bad = sorted(set(values) - allowed)
            return f"The `{name}` query parameter value {bad} is not one of {sorted(allowed)}"
        if name == "max_results" and not (value.isdigit() and 1 <= int(value) <= 100):
            return f"The `max_results` query parameter value [{value}] is not between 1 and 100"
        if name == "pagination_token" and not value.isdigit():
            return f"The `pagination_token` query parameter value [{value}] is not valid"
    return None
