"""Check a Bot API call's parameters against `telegram_bot_api.json`, as the Bot API server does.

`methods[NAME].fields` gives each parameter's `name`, `required` and `types` ("Integer",
"String", "Boolean", "Float", "InputFile", "Array of X", or an object type described in
`types`). Values arrive either as JSON values (a JSON body) or as text (query string, form or
multipart), where python-telegram-bot sends strings as they are and JSON-encodes everything else.
The checks coerce where the real server does (chat_id "123" is an Integer; a JSON-serialised
object is an object) and are strict otherwise: a missing required field, a value of the wrong
type or a parameter the method does not have is a "Bad Request". Object values are checked
recursively against their type's fields (required fields present, no unknown fields, each field
of a right type); an abstract type (`InputMedia`, `BotCommandScope`, ...) accepts any subtype.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from tests.fakes.contracts import telegram_type

INTEGER = re.compile(r"^-?[0-9]+$")
FLOAT = re.compile(r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$")
BOOLEAN_TEXT = {"true", "false", "1", "0"}
PARSE_MODES = {"html", "markdown", "markdownv2"}
SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_NOT_JSON = object()


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request: what the Bot API calls an InputFile."""

    filename: str
    size: int


def check_call(method: Mapping[str, Any], params: Mapping[str, Any]) -> str | None:
    """The server's description of what is wrong with this call, or None if it is valid."""
    fields = {field["name"]: field for field in method.get("fields", [])}
    for name in params:
        if name not in fields:
            return f'method {method["name"]} has no parameter "{name}"'
    for field in fields.values():
        if field["required"] and params.get(field["name"]) in (None, ""):
            name = field["name"]
            return "message text is empty" if name == "text" else f"{name} is empty"
    for name, value in params.items():
        problem = type_problem(value, fields[name]["types"])
        if problem:
            return f'parameter "{name}" {problem}'
    return None


def type_problem(value: Any, types: list[str]) -> str | None:
    """Why `value` is none of `types`, or None if it is one of them."""
    problems = [_problem(value, type_name) for type_name in types]
    if not all(problems):
        return None
    if len(types) == 1:
        return problems[0]
    # For a union of object types, say what is wrong with the one that came closest.
    closest = max((p for p in problems if p), key=len)
    detail = "" if closest.startswith("must be") else f" ({closest})"
    return f"must be {' or '.join(types)}{detail}"


def _problem(value: Any, type_name: str) -> str | None:
    if type_name.startswith("Array of "):
        return _array_problem(value, type_name.removeprefix("Array of "))
    scalar = _SCALARS.get(type_name)
    if scalar is not None:
        return None if scalar(value) else f"must be {type_name}, not {value!r}"
    if type_name == "InputFile":
        return None if isinstance(value, str | UploadedFile) else "must be InputFile"
    return _object_problem(_decoded(value), type_name)


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or isinstance(value, str) and bool(INTEGER.match(value))


def _is_float(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int | float) or isinstance(value, str) and bool(FLOAT.match(value))


def _is_string(value: Any) -> bool:
    # The server turns a JSON number into its text (chat_id, text "123"), not a bool or object.
    return isinstance(value, str) or _is_float(value)


def _is_boolean(value: Any) -> bool:
    return isinstance(value, bool) or isinstance(value, str) and value.lower() in BOOLEAN_TEXT


_SCALARS = {
    "Integer": _is_integer,
    "Float": _is_float,
    "String": _is_string,
    "Boolean": _is_boolean,
}


def _decoded(value: Any) -> Any:
    """A JSON-serialised value as its JSON value (the server accepts both forms)."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return _NOT_JSON


def _array_problem(value: Any, item_type: str) -> str | None:
    items = _decoded(value)
    if not isinstance(items, list):
        return f"must be a JSON-serialized array of {item_type}"
    for index, item in enumerate(items):
        problem = _problem(item, item_type)
        if problem:
            return f"item {index}: {problem}"
    return None


def _object_problem(value: Any, type_name: str) -> str | None:
    spec = telegram_type(type_name)
    if spec is None:
        return None if isinstance(value, dict) else f"must be a JSON object ({type_name})"
    subtypes = spec.get("subtypes")
    if subtypes:
        if any(_object_problem(value, sub) is None for sub in subtypes):
            return None
        return f"matches none of {type_name}'s kinds ({', '.join(subtypes)})"
    if not isinstance(value, dict):
        return f"must be a JSON-serialized {type_name} object"
    fields = {field["name"]: field for field in spec.get("fields", [])}
    missing = [name for name, field in fields.items() if field["required"] and name not in value]
    unknown = sorted(set(value) - set(fields))
    if missing or unknown:
        return f"{type_name}: missing {missing}, unknown {unknown}"
    for name, item in value.items():
        problem = type_problem(item, fields[name]["types"])
        if problem:
            return f"{type_name}.{name} {problem}"
    return None


def rule_problem(method: str, params: Mapping[str, Any]) -> str | None:
    """Rules the server enforces beyond field types, for the methods carebot uses."""
    chat = params.get("chat_id")
    if chat is not None and not (_is_integer(chat) or str(chat).startswith("@")):
        return "chat not found"
    if method == "sendMessage":
        text = str(params.get("text", ""))
        if not text.strip():
            return "message text is empty"
        if len(text) > 4096:
            return "message is too long"
        mode = params.get("parse_mode")
        if mode is not None and str(mode).lower() not in PARSE_MODES:
            return f"unsupported parse_mode {mode!r}"
    if method == "getUpdates" and "limit" in params and not 1 <= int(params["limit"]) <= 100:
        return "limit must be between 1 and 100"
    if method == "setWebhook":
        url = str(params.get("url", ""))
        if url and not url.startswith("https://"):
            return "bad webhook: An HTTPS URL must be provided for webhook"
        secret = params.get("secret_token")
        if secret is not None and not SECRET_TOKEN.match(str(secret)):
            return "secret token contains unallowed characters"
    return None


async def read_params(request: Request) -> dict[str, Any] | None:
    """The call's parameters from its query string and body (None if the body is unreadable)."""
    params: dict[str, Any] = dict(request.query_params)
    content_type = request.headers.get("content-type", "")
    kind = content_type.split(";")[0].strip().lower()
    raw = await request.body()
    if not raw:
        return params
    if kind == "application/json":
        try:
            body = json.loads(raw)
        except ValueError:
            return None
        return {**params, **body} if isinstance(body, dict) else None
    if kind == "application/x-www-form-urlencoded":
        return {**params, **dict(parse_qsl(raw.decode(), keep_blank_values=True))}
    if kind == "multipart/form-data":
        return {**params, **_multipart(raw, content_type)}
    return None


def _attached(parts: dict[str, Any]) -> dict[str, Any]:
    """Drop file parts that another parameter refers to as "attach://<name>"."""
    texts = [value for value in parts.values() if isinstance(value, str)]
    return {
        name: value
        for name, value in parts.items()
        if not (
            isinstance(value, UploadedFile) and any(f"attach://{name}" in text for text in texts)
        )
    }


def _multipart(raw: bytes, content_type: str) -> dict[str, Any]:
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    parts: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        decoded = part.get_payload(decode=True)
        payload = decoded if isinstance(decoded, bytes) else b""
        if part.get_filename() is not None:
            parts[str(name)] = UploadedFile(part.get_filename() or "", len(payload))
        else:
            parts[str(name)] = payload.decode()
    return _attached(parts)
