"""Issue 9, finding 4: a secret that is present but empty or too short is refused at start.

An empty `TWILIO_AUTH_TOKEN=` or `CAREBOT_TELEGRAM_WEBHOOK_SECRET=` used to be read as a
secret, and the webhooks then accepted what anybody could sign.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from pydantic import ValidationError

from bot.config import SECRETS, Settings, settings_error
from bot.store import crypto
from tests.conftest import Cli

GOOD = {
    "carebot_master_key": crypto.encode_key(crypto.new_key()),
    "carebot_pseudonym_secret": crypto.encode_key(crypto.new_key()),
    "carebot_telegram_webhook_secret": secrets.token_urlsafe(24),
    "telegram_bot_token": "123456789:" + secrets.token_urlsafe(26),
    "twilio_auth_token": secrets.token_hex(16),
    "x_consumer_key": secrets.token_urlsafe(18),
    "x_consumer_secret": secrets.token_urlsafe(37),
    "x_access_token": "12345-" + secrets.token_urlsafe(30),
    "x_access_token_secret": secrets.token_urlsafe(33),
}
SHORT = {
    "carebot_master_key": "c2hvcnQ=",
    "carebot_pseudonym_secret": "c2hvcnQ=",
    "carebot_telegram_webhook_secret": "tg-secret",
    "telegram_bot_token": "123:abc",
    "twilio_auth_token": "0123456789abcdef",
    "x_consumer_key": "abc",
    "x_consumer_secret": "abc",
    "x_access_token": "1-abc",
    "x_access_token_secret": "abc",
}


def _settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_every_secret_setting_has_a_rule() -> None:
    secret_fields = {
        name
        for name, field in Settings.model_fields.items()
        if "SecretStr" in str(field.annotation)
    }
    assert secret_fields == set(SECRETS) == set(GOOD) == set(SHORT)


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_a_well_formed_secret_is_accepted(name: str) -> None:
    value = getattr(_settings(**{name: GOOD[name]}), name)
    assert value.get_secret_value() == GOOD[name]


@pytest.mark.parametrize("name", sorted(SECRETS))
@pytest.mark.parametrize("kind", ["empty", "short", "blank"])
def test_an_empty_or_short_secret_is_refused_without_echoing_it(name: str, kind: str) -> None:
    value = {"empty": "", "short": SHORT[name], "blank": " " * 40}[kind]
    with pytest.raises(ValidationError) as caught:
        _settings(**{name: value})
    message = settings_error(caught.value)
    assert name.upper() in message and "\n" not in message
    assert (value.strip() or "never") not in message
    assert ("empty" in message) == (kind == "empty")


@pytest.mark.subprocess  # the installed script's own exit code on a bad setting
def test_a_command_refuses_to_start_on_an_empty_twilio_token(cli: Cli) -> None:
    cli.env["TWILIO_AUTH_TOKEN"] = ""
    result = cli("serve", "--port", "1")
    assert result.code == 1
    assert result.err.strip() == (
        "error: bad setting: TWILIO_AUTH_TOKEN is set but empty: remove it or give it a value"
    )


def test_a_command_refuses_a_short_webhook_secret_in_one_line(cli: Cli) -> None:
    cli.env["CAREBOT_TELEGRAM_WEBHOOK_SECRET"] = "sesame42"
    result = cli("tick")
    assert result.code == 1 and "sesame42" not in result.err + result.out
    assert result.err.count("\n") == 1 and "CAREBOT_TELEGRAM_WEBHOOK_SECRET" in result.err
