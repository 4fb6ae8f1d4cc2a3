"""Each channel's answer table: what its provider answered -> the `ErrorKind` carebot acts on.

Every row drives the real SDK over HTTP to the fake provider on 127.0.0.1, scripted to answer
one way, and checks the kind (and the wait the provider asked for), and that neither the
patient's address nor a credential reached a log line or the error, with carebot's loggers at
DEBUG and the SDKs at WARNING, as `bot.logs.setup_logging` keeps them. WhatsApp and voice keep
their tables beside their own tests."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr

from bot.channels.base import Channel, ChannelError, ErrorKind, OutboundMessage
from bot.channels.sms import SmsChannel
from bot.channels.telegram import TelegramChannel
from bot.channels.x import XChannel
from bot.config import Settings
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio
from tests.fakes.x import FakeX

PHONE = "+32470123456"
CHAT = "987654321"
X_USER = "1234567890123"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _bare(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def _message(address: str) -> OutboundMessage:
    return OutboundMessage(
        attempt_id=7, pseudonym="P-TEST-0001", address=address, body="Dag Jan", created_at=NOW
    )


@pytest.fixture(autouse=True)
def _debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for sdk in ("twilio", "telegram", "httpx", "httpcore", "tweepy", "urllib3", "requests"):
        caplog.set_level(logging.WARNING, logger=sdk)


def _refusal(
    channel: Channel, address: str, secrets: list[str], caplog: pytest.LogCaptureFixture
) -> ChannelError:
    async def attempt() -> ChannelError:
        try:
            await channel.send(_message(address))
        except ChannelError as exc:
            return exc
        finally:
            await channel.close()
        raise AssertionError("the send went through")

    error = asyncio.run(attempt())
    private = [address, address.removeprefix("+"), *secrets]
    for line in [str(error), str(error.code), *(r.getMessage() for r in caplog.records)]:
        assert not [s for s in private if s in line], line
    return error


SMS_TABLE: list[tuple[str, Callable[[FakeTwilio], None], ErrorKind]] = [
    ("unsubscribed (21610)", lambda f: f.fail_next(400, code=21610), ErrorKind.RECIPIENT_REFUSED),
    ("invalid number (21211)", lambda f: f.fail_next(400, code=21211), ErrorKind.UNREACHABLE),
    ("not a mobile (21614)", lambda f: f.fail_next(400, code=21614), ErrorKind.UNREACHABLE),
    (
        "region not enabled (21408)",
        lambda f: f.fail_next(400, code=21408),
        ErrorKind.ACCOUNT_REFUSED,
    ),
    ("rate limited (429)", lambda f: f.fail_next(429), ErrorKind.RETRY),
    ("provider error (500)", lambda f: f.fail_next(500), ErrorKind.AMBIGUOUS),
    ("answer lost after sending", lambda f: f.drop_next(target="create"), ErrorKind.AMBIGUOUS),
]


@pytest.mark.parametrize(("answer", "script", "kind"), SMS_TABLE, ids=[r[0] for r in SMS_TABLE])
def test_sms(
    fake_twilio: FakeTwilio,
    caplog: pytest.LogCaptureFixture,
    answer: str,
    script: Callable[[FakeTwilio], None],
    kind: ErrorKind,
) -> None:
    settings = _bare(
        twilio_account_sid=fake_twilio.account_sid,
        twilio_auth_token=SecretStr(fake_twilio.auth_token),
        twilio_from="+3250000000",
        carebot_twilio_api_url=fake_twilio.url,
    )
    script(fake_twilio)
    error = _refusal(
        SmsChannel(settings), PHONE, [fake_twilio.auth_token, fake_twilio.account_sid], caplog
    )
    assert error.kind is kind, answer


TELEGRAM_TABLE: list[tuple[str, Callable[[FakeTelegram], None], ErrorKind, float | None]] = [
    ("bot blocked (403)", lambda f: f.block(CHAT), ErrorKind.RECIPIENT_REFUSED, None),
    (
        "chat not found (400)",
        lambda f: f.fail_next(400, description="Bad Request: chat not found"),
        ErrorKind.UNREACHABLE,
        None,
    ),
    (
        "another bad request (400)",
        lambda f: f.fail_next(400, description="Bad Request: message text is empty"),
        ErrorKind.RETRY,
        None,
    ),
    ("flood wait (429)", lambda f: f.fail_next(429, retry_after=3), ErrorKind.RETRY, 3.0),
    ("server error (500)", lambda f: f.fail_next(500), ErrorKind.RETRY, None),
    (
        "answer lost after sending",
        lambda f: f.drop_next(target="sendMessage"),
        ErrorKind.AMBIGUOUS,
        None,
    ),
]


@pytest.mark.parametrize(
    ("answer", "script", "kind", "wait"), TELEGRAM_TABLE, ids=[r[0] for r in TELEGRAM_TABLE]
)
def test_telegram(
    fake_telegram: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
    answer: str,
    script: Callable[[FakeTelegram], None],
    kind: ErrorKind,
    wait: float | None,
) -> None:
    settings = _bare(
        telegram_bot_token=SecretStr(fake_telegram.token),
        carebot_telegram_api_url=f"{fake_telegram.url}/bot",
    )
    script(fake_telegram)
    error = _refusal(TelegramChannel(settings), CHAT, [fake_telegram.token], caplog)
    assert (error.kind, error.retry_after) == (kind, wait), answer


X_TABLE: list[tuple[str, Callable[[FakeX], None], ErrorKind]] = [
    ("does not accept DMs (403)", lambda f: f.refuse_dms(X_USER), ErrorKind.UNREACHABLE),
    (
        "app not in a project (403)",
        lambda f: setattr(f, "unenrolled", True),
        ErrorKind.ACCOUNT_REFUSED,
    ),
    ("rate limited (429)", lambda f: f.fail_next(429, reset_in=30), ErrorKind.RETRY),
    ("server error (503)", lambda f: f.fail_next(503), ErrorKind.AMBIGUOUS),
    ("answer lost after sending", lambda f: f.drop_next(target="dm"), ErrorKind.AMBIGUOUS),
]


@pytest.fixture
def x_settings(fake_x: FakeX) -> Iterator[Settings]:
    yield _bare(
        **{name: SecretStr(value) for name, value in _x_credentials(fake_x).items()},
        carebot_x_api_url=fake_x.url,
    )


def _x_credentials(fake_x: FakeX) -> dict[str, str]:
    return {f"x_{name}": value for name, value in fake_x.credentials().items()}


@pytest.mark.parametrize(("answer", "script", "kind"), X_TABLE, ids=[r[0] for r in X_TABLE])
def test_x(
    fake_x: FakeX,
    x_settings: Settings,
    caplog: pytest.LogCaptureFixture,
    answer: str,
    script: Callable[[FakeX], None],
    kind: ErrorKind,
) -> None:
    script(fake_x)
    if answer.startswith("app not"):
        fake_x.take_violations()  # the fake records the refused app as the provider would
    error = _refusal(XChannel(x_settings), X_USER, list(_x_credentials(fake_x).values()), caplog)
    assert error.kind is kind, answer
    if kind is ErrorKind.RETRY:
        assert error.retry_after is not None and 25 <= error.retry_after <= 31
