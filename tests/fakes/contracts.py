"""Find and load the provider contracts that the fakes check every request against.

The directory is `$CAREBOT_CONTRACTS_DIR`; else `../shared/contracts` beside the repository
(the repo being the directory that holds `pyproject.toml`) when it is there; else
`<repo>/tests/contracts`, the copy kept in the repository, so that a fresh clone with nothing
beside it passes `make test`. `tests/test_contracts.py` fails when the kept copy and the one
beside the repository disagree, so the copy cannot fall behind unnoticed. Each file is parsed
once per process: the Twilio OpenAPI spec is 1.9 MB, and building its openapi-core validator
is worth doing only once too.
"""

from __future__ import annotations

import functools
import json
import os
import re
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from openapi_core import Config, OpenAPI

TWILIO_FILE = "twilio_api_v2010.json"
TELEGRAM_FILE = "telegram_bot_api.json"

# Formats the Twilio spec uses that JSON Schema does not define. A loose check is enough here:
# the fakes apply Twilio's own, stricter rules (E.164 for `To`, ...) on top.
_PHONE_OR_SENDER = re.compile(r"^(\w+:)?\+?[0-9A-Za-z][0-9A-Za-z \-]{0,14}$")


def repo_root() -> Path:
    """The nearest directory above this file that holds `pyproject.toml`."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "pyproject.toml").is_file():
            return parent
    raise FileNotFoundError("no pyproject.toml above tests/fakes")


def kept_dir() -> Path:
    """The copy of the contracts kept in the repository."""
    return repo_root() / "tests" / "contracts"


def beside_dir() -> Path:
    """Where the project's contracts live beside the repository, when they do."""
    return repo_root().parent / "shared" / "contracts"


def contracts_dir() -> Path:
    """Where the contract files live; raises a clear error when they are missing."""
    configured = os.environ.get("CAREBOT_CONTRACTS_DIR")
    if configured:
        path = Path(configured)
    elif (beside_dir() / TWILIO_FILE).is_file():
        path = beside_dir()
    else:
        path = kept_dir()
    if not (path / TWILIO_FILE).is_file() or not (path / TELEGRAM_FILE).is_file():
        raise FileNotFoundError(
            f"provider contracts not found in {path}; set CAREBOT_CONTRACTS_DIR"
        )
    return path


@functools.cache
def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def twilio_spec() -> dict[str, Any]:
    """Twilio's OpenAPI 3.0.1 description of the 2010-04-01 REST API (parsed once)."""
    return _load(contracts_dir() / TWILIO_FILE)


def telegram_spec() -> dict[str, Any]:
    """Every Bot API method and type, with each field's name, types and `required` flag."""
    return _load(contracts_dir() / TELEGRAM_FILE)


def _is_rfc2822(value: Any) -> bool:
    try:
        return isinstance(value, str) and parsedate_to_datetime(value) is not None
    except (TypeError, ValueError):
        return False


def _twilio_config() -> Config:
    validators = {
        "phone-number": lambda v: not isinstance(v, str) or bool(_PHONE_OR_SENDER.match(v)),
        "date-time-rfc-2822": lambda v: not isinstance(v, str) or _is_rfc2822(v),
        "currency": lambda v: not isinstance(v, str) or bool(re.fullmatch(r"[A-Za-z]{3}", v)),
        "uri-map": lambda v: isinstance(v, dict),
    }
    unmarshallers = {name: (lambda v: v) for name in validators}
    # The spec is Twilio's published one: validating the spec itself would only cost seconds.
    return Config(
        spec_validator_cls=None,
        extra_format_validators=validators,
        extra_format_unmarshallers=unmarshallers,
    )


@functools.cache
def _twilio_openapi(path: Path) -> OpenAPI:
    return OpenAPI.from_dict(_load(path), config=_twilio_config())


def twilio_openapi() -> OpenAPI:
    """An openapi-core validator for the Twilio spec (built once)."""
    return _twilio_openapi(contracts_dir() / TWILIO_FILE)


@functools.cache
def _telegram_methods(path: Path) -> dict[str, dict[str, Any]]:
    return {name.lower(): method for name, method in _load(path)["methods"].items()}


def telegram_method(name: str) -> dict[str, Any] | None:
    """The Bot API method called `name` (the server matches names case-insensitively)."""
    return _telegram_methods(contracts_dir() / TELEGRAM_FILE).get(name.lower())


def telegram_type(name: str) -> dict[str, Any] | None:
    """The Bot API object type called `name` (`Message`, `InlineKeyboardMarkup`, ...)."""
    types: dict[str, dict[str, Any]] = telegram_spec()["types"]
    return types.get(name)
