"""Each channel's answer table: what its provider answered -> the `ErrorKind` carebot acts on.

Every row drives the real SDK over HTTP to the fake provider on 127.0.0.1, scripted to answer
one way, and checks the kind (and the wait the provider asked for), and that neither the
patient's address nor a credential reached a log line or the error, with carebot's loggers at
DEBUG and the SDKs at WARNING, as `bot.logs.setup_logging` keeps them. WhatsApp and voice keep
their tables beside their own tests."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr
from telegram import Bot

from bot.channels.base import Channel, ChannelError, ErrorKind, OutboundMessage
from bot.channels.sms import SmsChannel
from bot.channels.telegram import TelegramChannel
from bot.channels.telegram_client import StatusRequest
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
    # A 5xx may come after Telegram sent the message (a proxy timing out, a crash after the
    # write): PTB raises a bare NetworkError("Internal Server Error") for it.
    ("server error (500)", lambda f: f.fail_next(500), ErrorKind.AMBIGUOUS, None),
    ("sent, then 500", lambda f: f.fail_after_sending(500), ErrorKind.AMBIGUOUS, None),
    ("sent, then 502", lambda f: f.fail_after_sending(502), ErrorKind.AMBIGUOUS, None),
    ("sent, then 503", lambda f: f.fail_after_sending(503), ErrorKind.AMBIGUOUS, None),
    ("sent, then 504", lambda f: f.fail_after_sending(504), ErrorKind.AMBIGUOUS, None),
    (
        "another error answer (409)",
        lambda f: f.fail_next(409, description="Conflict: scripted"),
        ErrorKind.RETRY,
        None,
    ),
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


def _short_timeouts(channel: TelegramChannel, fake: FakeTelegram, **timeouts: Any) -> None:
    """The channel's bot with PTB's request timeouts shortened, so that a test need not wait
    15 s for a read timeout; the request class is the channel's own."""
    channel.bot = Bot(fake.token, base_url=f"{fake.url}/bot", request=StatusRequest(**timeouts))


def _telegram(fake: FakeTelegram, url: str | None = None) -> TelegramChannel:
    return TelegramChannel(
        _bare(
            telegram_bot_token=SecretStr(fake.token),
            carebot_telegram_api_url=url or f"{fake.url}/bot",
        )
    )


async def _send_error(channel: TelegramChannel, *, close: bool = True) -> ChannelError:
    try:
        await channel.send(_message(CHAT))
    except ChannelError as exc:
        return exc
    finally:
        if close:
            await channel.close()
    raise AssertionError("the send went through")


def test_telegram_read_timeout_after_sending_is_ambiguous(fake_telegram: FakeTelegram) -> None:
    """PTB's TimedOut from httpx.ReadTimeout: the request left, Telegram may have sent it."""
    channel = _telegram(fake_telegram)
    _short_timeouts(channel, fake_telegram, read_timeout=0.5)
    fake_telegram.hang_next(3, target="sendMessage")
    error = asyncio.run(_send_error(channel))
    assert error.kind is ErrorKind.AMBIGUOUS
    assert [s.chat_id for s in fake_telegram.sent] == [CHAT]  # it had been sent


def test_telegram_connect_refused_is_a_safe_retry(fake_telegram: FakeTelegram) -> None:
    """A connection refused (bot initialised, then Telegram gone): nothing left, retry."""

    async def scenario() -> ChannelError:
        channel = _telegram(fake_telegram)
        await channel._bot()  # getMe while the fake is up
        with socket.socket() as free:  # a port nobody listens on
            free.bind(("127.0.0.1", 0))
            port = free.getsockname()[1]
        channel.bot._base_url = f"http://127.0.0.1:{port}/bot{fake_telegram.token}"
        return await _send_error(channel)

    error = asyncio.run(scenario())
    assert error.kind is ErrorKind.RETRY
    assert fake_telegram.sent == []


def test_telegram_connect_timeout_is_a_safe_retry(fake_telegram: FakeTelegram) -> None:
    """A connect timeout (a listener whose backlog is full drops the SYN): nothing left."""

    async def scenario(port: int) -> ChannelError:
        channel = _telegram(fake_telegram)
        _short_timeouts(channel, fake_telegram, connect_timeout=0.3)
        await channel._bot()
        channel.bot._base_url = f"http://127.0.0.1:{port}/bot{fake_telegram.token}"
        return await _send_error(channel)

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = []
        for _ in range(4):  # fill the accept queue: later connects hang in SYN_SENT
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        try:
            error = asyncio.run(scenario(port))
        finally:
            for filler in fillers:
                filler.close()
    assert error.kind is ErrorKind.RETRY, str(error)
    assert fake_telegram.sent == []


def test_telegram_pool_timeout_is_a_safe_retry(fake_telegram: FakeTelegram) -> None:
    """Every pooled connection busy (PTB's "Pool timeout: ... *not* sent"): nothing left."""

    async def scenario() -> tuple[ChannelError, ChannelError]:
        channel = _telegram(fake_telegram)
        _short_timeouts(
            channel, fake_telegram, connection_pool_size=1, pool_timeout=0.2, read_timeout=1.0
        )
        await channel._bot()
        fake_telegram.hang_next(3, target="sendMessage")
        first = asyncio.create_task(_send_error(channel, close=False))
        await asyncio.sleep(0.1)  # the first holds the one connection
        second = await _send_error(channel, close=False)
        result = await first, second
        await channel.close()
        return result

    hung, waited = asyncio.run(scenario())
    assert hung.kind is ErrorKind.AMBIGUOUS
    assert waited.kind is ErrorKind.RETRY
    assert len(fake_telegram.sent) == 1  # only the hung one reached Telegram


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
