"""Check requests to the fake Twilio against Twilio's OpenAPI spec and Twilio's own rules.

Two layers, both answering with Twilio's error shape `{code, message, more_info, status}`:
1. openapi-core validates the whole request (path, query, security scheme, and the
   form-encoded body: the required `To`, property types, enums, SID patterns) against
   `twilio_api_v2010.json`, through `SpecRequest`, a small adapter to openapi-core's request
   protocol. The host is always `https://api.twilio.com`, the spec's server.
2. Rules the spec cannot express that Twilio enforces with documented error codes: `To` in
   E.164 (21211), a sender (21603), a valid `From` (21212), a body, media or content (21602),
   at most 1600 characters (21617), `To` differs from `From` (21266), a usable StatusCallback
   (21609).
Unknown form fields are not errors (Twilio ignores them) but `unknown_fields` reports them, since
a misspelt optional parameter would be silently ignored in production as well.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from openapi_core.datatypes import RequestParameters
from starlette.responses import JSONResponse
from werkzeug.datastructures import Headers, ImmutableMultiDict

from tests.fakes.contracts import twilio_openapi, twilio_spec

HOST_URL = "https://api.twilio.com"
MESSAGES_PATH = "/2010-04-01/Accounts/{AccountSid}/Messages.json"
E164 = re.compile(r"^((whatsapp|rcs):)?\+[1-9][0-9]{1,14}$")
# A sender is a number, a short code or an alphanumeric sender ID (letters required).
SENDER = re.compile(
    r"^(((whatsapp|rcs):)?\+[1-9][0-9]{1,14}|[0-9]{3,8}|(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11})$"
)
BARE_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


@dataclass(frozen=True)
class TwilioError:
    """An error answer in Twilio's JSON shape."""

    status: int
    code: int
    message: str

    def response(self) -> JSONResponse:
        """The HTTP answer Twilio gives for this error."""
        body = {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }
        return JSONResponse(body, status_code=self.status)


class SpecRequest:
    """A request as openapi-core's `Request` protocol wants it."""

    host_url = HOST_URL

    def __init__(
        self,
        *,
        method: str,
        path: str,
        query: Sequence[tuple[str, str]],
        headers: Mapping[str, str],
        body: bytes | None = None,
        content_type: str = "application/octet-stream",
    ) -> None:
        self.method = method.lower()
        self.path = path
        self.body = body
        self.content_type = content_type
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(query)),
            header=Headers(list(headers.items())),
            cookie=ImmutableMultiDict(),
        )


def _describe(error: Exception) -> str:
    cause = error.__cause__
    details = [str(e.message) for e in getattr(cause, "schema_errors", None) or ()]
    if not details and cause is not None:
        details = [f"{type(cause).__name__}: {cause}"]
    return f"{error!r}: {'; '.join(details)}" if details else repr(error)


def spec_problems(request: SpecRequest) -> list[str]:
    """Every way `request` breaks the OpenAPI spec, in words (empty when it conforms)."""
    result = twilio_openapi().unmarshal_request(request)
    return [_describe(error) for error in result.errors]


def query_for_spec(query: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Twilio documents `DateSent` filters as dates too, though the spec says date-time."""
    return [
        (
            name,
            f"{value}T00:00:00Z"
            if name.startswith("DateSent") and BARE_DATE.match(value)
            else value,
        )
        for name, value in query
    ]


def create_error(problems: list[str], form: Mapping[str, list[str]]) -> TwilioError | None:
    """The error Twilio answers to a create-message request, or None if it would accept it."""
    if "To" not in form or any("'To' is a required property" in p for p in problems):
        return TwilioError(400, 21604, "A 'To' phone number is required.")
    if problems:
        return TwilioError(400, 70002, f"Invalid request: {problems[0]}")
    return _message_rule_error({name: values[-1] for name, values in form.items()})


def _message_rule_error(fields: Mapping[str, str]) -> TwilioError | None:
    to, sender = fields.get("To", ""), fields.get("From")
    if not E164.match(to):
        return TwilioError(400, 21211, f"The 'To' number {to} is not a valid phone number.")
    if not sender and not fields.get("MessagingServiceSid"):
        return TwilioError(400, 21603, "A 'From' phone number is required.")
    if sender is not None and not SENDER.match(sender):
        return TwilioError(
            400,
            21212,
            f"The 'From' number {sender} is not a valid phone number, shortcode, "
            "or alphanumeric sender ID.",
        )
    if sender == to:
        return TwilioError(400, 21266, "'To' and 'From' number cannot be the same")
    if not any(fields.get(name) for name in ("Body", "MediaUrl", "ContentSid")):
        return TwilioError(400, 21602, "Message body is required.")
    if len(fields.get("Body", "")) > 1600:
        return TwilioError(
            400, 21617, "The concatenated message body exceeds the 1600 character limit."
        )
    callback = fields.get("StatusCallback")
    if callback is not None and not _usable_callback(callback):
        return TwilioError(400, 21609, f"Invalid StatusCallback: {callback}")
    return None


def _usable_callback(url: str) -> bool:
    parts = urlsplit(url)
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and "_" not in (parts.hostname or "")
    )


def unknown_fields(form: Mapping[str, Any]) -> list[str]:
    """Form fields that the create-message operation does not define."""
    operation = twilio_spec()["paths"][MESSAGES_PATH]["post"]
    schema = operation["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    return sorted(set(form) - set(schema["properties"]))
