"""The fake providers work with the real SDKs over HTTP and catch requests the provider rejects.

Each test drives the real SDK (twilio, python-telegram-bot, tweepy) against a fake on
127.0.0.1, or sends a deliberately broken request with plain httpx and checks that the fake
answers with the provider's error and records a violation. The fixtures fake_twilio,
fake_telegram and fake_x come from tests/fakes/fixtures.py through tests/conftest.py.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import telegram
import tweepy
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from werkzeug.datastructures import Headers

from bot.channels.twilio_client import RedirectedHttpClient
from tests.fakes import contracts
from tests.fakes.fixtures import check_no_violations
from tests.fakes.server import BackgroundServer
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_contract import type_problem
from tests.fakes.twilio import FakeTwilio
from tests.fakes.twilio_contract import SpecRequest
from tests.fakes.x import FakeX, redirect_session

PATIENT = "+32470123456"
SENDER = "+15005550006"


_sessions: list[requests.Session] = []


@pytest.fixture(autouse=True)
def _close_sdk_sessions() -> Iterator[None]:
    """Close the SDKs' HTTP sessions after each test, so no socket is left to the GC."""
    yield
    while _sessions:
        _sessions.pop().close()


def twilio_client(fake: FakeTwilio, *, token: str | None = None, timeout: float = 5.0) -> Client:
    http_client = RedirectedHttpClient(fake.url, timeout=timeout)
    _sessions.append(http_client.session)
    return Client(fake.account_sid, token or fake.auth_token, http_client=http_client)


def messages_url(fake: FakeTwilio) -> str:
    return f"{fake.url}/2010-04-01/Accounts/{fake.account_sid}/Messages.json"


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coroutine)


def bot(fake: FakeTelegram) -> telegram.Bot:
    return telegram.Bot(fake.token, base_url=f"{fake.url}/bot")


def send(fake: FakeTelegram, **kwargs: Any) -> telegram.Message:
    async def scenario() -> telegram.Message:
        async with bot(fake) as client:
            return await client.send_message(**kwargs)

    return run(scenario())  # type: ignore[no-any-return]


def x_client(fake: FakeX, **overrides: str) -> tweepy.Client:
    client = tweepy.Client(**{**fake.credentials(), **overrides})
    redirect_session(client.session, fake.url)
    _sessions.append(client.session)
    return client


# Twilio


def test_twilio_sdk_sends_an_sms_that_the_fake_records(fake_twilio: FakeTwilio) -> None:
    message = twilio_client(fake_twilio).messages.create(to=PATIENT, from_=SENDER, body="Hallo")
    assert re.fullmatch(r"SM[0-9a-f]{32}", message.sid) and message.status == "queued"
    recorded = [(m.sid, m.to, m.body) for m in fake_twilio.messages]
    assert recorded == [(message.sid, PATIENT, "Hallo")]


def test_twilio_answers_match_the_spec_response_schema(fake_twilio: FakeTwilio) -> None:
    answer = httpx.post(
        messages_url(fake_twilio),
        auth=(fake_twilio.account_sid, fake_twilio.auth_token),
        data={"To": PATIENT, "From": SENDER, "Body": "x"},
    )
    path = f"/2010-04-01/Accounts/{fake_twilio.account_sid}/Messages.json"
    request = SpecRequest(
        method="post",
        path=path,
        query=[],
        headers={},
        body=b"To=%2B32470123456&From=%2B15005550006&Body=x",
        content_type="application/x-www-form-urlencoded",
    )

    class Answer:
        status_code = answer.status_code
        content_type = "application/json"
        headers = Headers(list(answer.headers.items()))
        data = answer.content

    assert contracts.twilio_openapi().unmarshal_response(request, Answer()).errors == []


def test_twilio_sdk_looks_up_messages_by_recipient_and_time(fake_twilio: FakeTwilio) -> None:
    client = twilio_client(fake_twilio)
    sent = client.messages.create(to=PATIENT, from_=SENDER, body="one")
    client.messages.create(to="+32470999999", from_=SENDER, body="other patient")
    since = datetime.now(UTC) - timedelta(minutes=1)
    found = client.messages.list(to=PATIENT, date_sent_after=since)
    assert [m.sid for m in found] == [sent.sid]
    assert client.messages.list(to=PATIENT, date_sent_before=since - timedelta(days=2)) == []
    assert client.messages(sent.sid).fetch().body == "one"


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"From": SENDER, "Body": "no recipient"}, 21604),
        ({"To": PATIENT, "From": SENDER}, 21602),
        ({"To": PATIENT, "Body": "no sender"}, 21603),
        ({"To": "0470 12 34 56", "From": SENDER, "Body": "not E.164"}, 21211),
        ({"To": PATIENT, "From": SENDER, "Body": "x", "Attempt": "first"}, 70002),
    ],
)
def test_twilio_create_that_twilio_rejects_is_a_violation(
    fake_twilio: FakeTwilio, form: dict[str, str], code: int
) -> None:
    answer = httpx.post(
        messages_url(fake_twilio), data=form, auth=(fake_twilio.account_sid, fake_twilio.auth_token)
    )
    assert (answer.status_code, answer.json()["code"]) == (400, code)
    assert set(answer.json()) == {"code", "message", "more_info", "status"}
    assert len(fake_twilio.take_violations()) == 1 and fake_twilio.messages == []


def test_twilio_unknown_parameter_is_accepted_but_recorded(fake_twilio: FakeTwilio) -> None:
    form = {"To": PATIENT, "From": SENDER, "Body": "x", "StatusCallBack": "https://h.example/cb"}
    answer = httpx.post(
        messages_url(fake_twilio), data=form, auth=(fake_twilio.account_sid, fake_twilio.auth_token)
    )
    assert answer.status_code == 201
    assert "StatusCallBack" in fake_twilio.take_violations()[0]


def test_twilio_wrong_auth_token_is_a_401_violation(fake_twilio: FakeTwilio) -> None:
    client = twilio_client(fake_twilio, token="wrong")
    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to=PATIENT, from_=SENDER, body="x")
    assert (caught.value.status, caught.value.code) == (401, 20003)
    assert fake_twilio.take_violations() == [
        f"POST /2010-04-01/Accounts/{fake_twilio.account_sid}/Messages.json: 20003 Authenticate"
    ]


@pytest.mark.parametrize(
    ("status", "code"), [(429, 20429), (500, 20500), (400, 21610), (400, 21211)]
)
def test_twilio_scripted_failures_reach_the_sdk_with_their_codes(
    fake_twilio: FakeTwilio, status: int, code: int
) -> None:
    fake_twilio.fail_next(status, code=code)
    with pytest.raises(TwilioRestException) as caught:
        twilio_client(fake_twilio).messages.create(to=PATIENT, from_=SENDER, body="x")
    assert (caught.value.status, caught.value.code) == (status, code)
    assert fake_twilio.messages == []


def test_twilio_look_up_can_fail_too(fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_next(503, on="list")
    # twilio 9 raises a plain TwilioException, not TwilioRestException, for a failed list page.
    with pytest.raises(TwilioException, match="20503"):
        twilio_client(fake_twilio).messages.list(to=PATIENT)


def test_twilio_dropped_connection_leaves_an_accepted_message(fake_twilio: FakeTwilio) -> None:
    fake_twilio.drop_next()
    with pytest.raises(requests.ConnectionError):
        twilio_client(fake_twilio).messages.create(to=PATIENT, from_=SENDER, body="x")
    assert len(fake_twilio.messages) == 1


def test_twilio_hang_past_the_client_timeout_leaves_an_accepted_message(
    fake_twilio: FakeTwilio,
) -> None:
    fake_twilio.hang_next(5)
    with pytest.raises(requests.Timeout):
        twilio_client(fake_twilio, timeout=0.3).messages.create(to=PATIENT, from_=SENDER, body="x")
    assert len(fake_twilio.messages) == 1


def test_twilio_rate_limit_answers_20429(fake_twilio: FakeTwilio) -> None:
    fake_twilio.rate_limit = 2
    client = twilio_client(fake_twilio)
    for _ in range(2):
        client.messages.create(to=PATIENT, from_=SENDER, body="x")
    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to=PATIENT, from_=SENDER, body="x")
    assert (caught.value.status, caught.value.code) == (429, 20429)
    assert fake_twilio.rate_limited == [PATIENT] and len(fake_twilio.messages) == 2


def test_twilio_status_callback_is_signed_like_twilio(fake_twilio: FakeTwilio) -> None:
    received: list[tuple[str, dict[str, str]]] = []

    async def callback(request: Request) -> Response:
        form = dict(httpx.QueryParams((await request.body()).decode()))
        received.append((request.headers["x-twilio-signature"], form))
        return Response(status_code=204)

    with BackgroundServer(Starlette(routes=[Route("/cb", callback, methods=["POST"])])) as url:
        message = twilio_client(fake_twilio).messages.create(
            to=PATIENT, from_=SENDER, body="x", status_callback=f"{url}/cb"
        )
        assert fake_twilio.deliver(message.sid).status_code == 204
    signature, form = received[0]
    assert RequestValidator(fake_twilio.auth_token).validate(f"{url}/cb", form, signature)
    assert (form["MessageSid"], form["MessageStatus"]) == (message.sid, "delivered")


# Telegram


def test_ptb_sends_a_message_that_the_fake_records(fake_telegram: FakeTelegram) -> None:
    async def scenario() -> telegram.Message:
        async with bot(fake_telegram) as client:
            assert client.username == fake_telegram.username
            return await client.send_message(chat_id=4242, text="Meet uw bloeddruk")

    message = run(scenario())
    assert (message.chat.id, message.text) == (4242, "Meet uw bloeddruk")
    assert [(s.chat_id, s.text) for s in fake_telegram.sent] == [("4242", "Meet uw bloeddruk")]


def test_telegram_answers_match_the_bot_api_types(fake_telegram: FakeTelegram) -> None:
    url = f"{fake_telegram.url}/bot{fake_telegram.token}"
    sent = httpx.post(f"{url}/sendMessage", json={"chat_id": 7, "text": "x"}).json()["result"]
    me = httpx.get(f"{url}/getMe").json()["result"]
    fake_telegram.push_update(7, "/start abc")
    update = httpx.post(f"{url}/getUpdates", data={"timeout": "0"}).json()["result"][0]
    assert type_problem(sent, ["Message"]) is None and type_problem(me, ["User"]) is None
    assert type_problem(update, ["Update"]) is None


def test_ptb_raises_forbidden_when_the_patient_blocked_the_bot(
    fake_telegram: FakeTelegram,
) -> None:
    fake_telegram.block(4242)
    with pytest.raises(telegram.error.Forbidden, match="bot was blocked by the user"):
        send(fake_telegram, chat_id=4242, text="x")
    assert fake_telegram.sent == []


def test_ptb_raises_retry_after_with_the_scripted_delay(
    fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # PTB 22 warns about int retry_after otherwise
    fake_telegram.fail_next(429, retry_after=3)
    with pytest.raises(telegram.error.RetryAfter) as caught:
        send(fake_telegram, chat_id=4242, text="x")
    assert caught.value.retry_after == timedelta(seconds=3)


def test_ptb_raises_chat_migrated_with_the_new_chat_id(fake_telegram: FakeTelegram) -> None:
    fake_telegram.migrate(-4242, -1004242)
    with pytest.raises(telegram.error.ChatMigrated) as caught:
        send(fake_telegram, chat_id=-4242, text="x")
    assert caught.value.new_chat_id == -1004242


def test_telegram_second_message_to_a_chat_within_a_second_gets_429(
    fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")

    async def scenario() -> None:
        async with bot(fake_telegram) as client:
            await client.send_message(chat_id=1, text="one")
            await client.send_message(chat_id=2, text="other chat")
            with pytest.raises(telegram.error.RetryAfter):
                await client.send_message(chat_id=1, text="too soon")

    run(scenario())
    assert fake_telegram.rate_limited == ["1"] and len(fake_telegram.sent) == 2


def test_telegram_hang_makes_ptb_time_out_after_the_message_was_sent(
    fake_telegram: FakeTelegram,
) -> None:
    fake_telegram.hang_next(5)
    with pytest.raises(telegram.error.TimedOut):
        send(fake_telegram, chat_id=1, text="x", read_timeout=0.3)
    assert len(fake_telegram.sent) == 1


@pytest.mark.parametrize(
    ("send", "description"),
    [
        ({"json": {"chat_id": 1}}, "Bad Request: message text is empty"),
        ({"data": {"chat_id": "1"}}, "Bad Request: message text is empty"),
        ({"json": {"text": "x"}}, "Bad Request: chat_id is empty"),
        ({"data": {"chat_id": "jan", "text": "x"}}, "Bad Request: chat not found"),
        ({"json": {"chat_id": [1], "text": "x"}}, 'Bad Request: parameter "chat_id" must be'),
        ({"data": {"chat_id": "1", "text": "x", "txt": "y"}}, 'no parameter "txt"'),
        (
            {
                "json": {
                    "chat_id": 1,
                    "text": "x",
                    "reply_markup": {"inline_keyboard": [[{"txt": "a"}]]},
                }
            },
            "InlineKeyboardButton: missing ['text'], unknown ['txt']",
        ),
    ],
)
def test_telegram_call_the_bot_api_rejects_is_a_violation(
    fake_telegram: FakeTelegram, send: dict[str, Any], description: str
) -> None:
    answer = httpx.post(f"{fake_telegram.url}/bot{fake_telegram.token}/sendMessage", **send)
    assert answer.status_code == 400 and answer.json()["ok"] is False
    assert description in answer.json()["description"]
    assert len(fake_telegram.take_violations()) == 1 and fake_telegram.sent == []


def test_telegram_wrong_token_and_unknown_method_are_violations(
    fake_telegram: FakeTelegram,
) -> None:
    wrong = fake_telegram.token[:-4] + "abcd"
    assert httpx.post(f"{fake_telegram.url}/bot{wrong}/getMe").status_code == 401
    unknown = httpx.post(f"{fake_telegram.url}/bot{fake_telegram.token}/sendMesage")
    assert unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert len(fake_telegram.take_violations()) == 2


def test_ptb_get_updates_returns_pushed_updates_and_honours_offset(
    fake_telegram: FakeTelegram,
) -> None:
    first = fake_telegram.push_update(555, "/start P7K2", username="jan")
    fake_telegram.push_update(555, "145/92")

    async def scenario() -> tuple[list[telegram.Update], list[telegram.Update], float]:
        async with bot(fake_telegram) as client:
            both = list(await client.get_updates())
            rest = list(await client.get_updates(offset=first + 1))
            started = time.monotonic()
            assert await client.get_updates(offset=first + 2, timeout=5) == ()
            return both, rest, time.monotonic() - started

    both, rest, waited = run(scenario())
    assert [u.message.text for u in both] == ["/start P7K2", "145/92"]
    assert both[0].message.entities[0].type == "bot_command"
    assert [u.update_id for u in rest] == [first + 1]
    assert 0.9 <= waited < 2


def test_telegram_webhook_needs_https_and_then_blocks_get_updates(
    fake_telegram: FakeTelegram,
) -> None:
    async def scenario() -> None:
        async with bot(fake_telegram) as client:
            with pytest.raises(telegram.error.BadRequest, match="(?i)https url"):
                await client.set_webhook("http://carebot.example/webhooks/telegram")
            assert await client.set_webhook(
                "https://carebot.example/webhooks/telegram", secret_token="s3cret"
            )
            with pytest.raises(telegram.error.Conflict):
                await client.get_updates()
            assert await client.delete_webhook()

    run(scenario())
    assert len(fake_telegram.take_violations()) == 2


# X


def test_tweepy_sends_a_dm_through_the_redirect_adapter(fake_x: FakeX) -> None:
    answer = x_client(fake_x).create_direct_message(
        participant_id="42", text="Meet uw bloeddruk", user_auth=True
    )
    assert answer.data["dm_event_id"] == fake_x.sent[0].id
    assert answer.data["dm_conversation_id"] == f"42-{fake_x.user_id}"
    assert [e.text for e in fake_x.sent] == ["Meet uw bloeddruk"]


def test_tweepy_reads_dm_events_newest_first_with_the_fields_asked(fake_x: FakeX) -> None:
    client = x_client(fake_x)
    client.create_direct_message(participant_id="42", text="reminder", user_auth=True)
    fake_x.push_dm(42, "145/92")
    page = client.get_direct_message_events(
        dm_event_fields=["created_at", "sender_id", "dm_conversation_id"],
        event_types="MessageCreate",
        max_results=50,
        user_auth=True,
    )
    assert [(e.text, e.sender_id) for e in page.data] == [
        ("145/92", 42),
        ("reminder", int(fake_x.user_id)),
    ]
    assert page.meta == {"result_count": 2} and page.data[0].created_at is not None
    assert client.get_me(user_auth=True).data.username == fake_x.username


def test_tweepy_raises_too_many_requests_with_the_reset_time(fake_x: FakeX) -> None:
    fake_x.fail_next(429, reset_in=30)
    with pytest.raises(tweepy.TooManyRequests) as caught:
        x_client(fake_x).create_direct_message(participant_id="42", text="x")
    assert caught.value.reset_time is not None
    assert 25 <= caught.value.reset_time - time.time() <= 31


def test_x_events_look_up_can_be_rate_limited(fake_x: FakeX) -> None:
    fake_x.fail_next(429, on="events")
    with pytest.raises(tweepy.TooManyRequests):
        x_client(fake_x).get_direct_message_events(user_auth=True)
    assert x_client(fake_x).get_direct_message_events(user_auth=True).data is None


def test_tweepy_raises_forbidden_when_the_user_refuses_dms(fake_x: FakeX) -> None:
    fake_x.refuse_dms(43)
    with pytest.raises(tweepy.Forbidden):
        x_client(fake_x).create_direct_message(participant_id="43", text="x")
    fake_x.fail_next(500)
    with pytest.raises(tweepy.TwitterServerError):
        x_client(fake_x).create_direct_message(participant_id="42", text="x")
    assert fake_x.sent == []


def test_x_dropped_connection_leaves_a_sent_dm(fake_x: FakeX) -> None:
    fake_x.drop_next()
    with pytest.raises(requests.ConnectionError):
        x_client(fake_x).create_direct_message(participant_id="42", text="x")
    assert len(fake_x.sent) == 1


@pytest.mark.parametrize("text", ["", "   ", "x" * 10_001])
def test_x_dm_with_empty_or_too_long_text_is_a_violation(fake_x: FakeX, text: str) -> None:
    with pytest.raises(tweepy.BadRequest):
        x_client(fake_x).create_direct_message(participant_id="42", text=text)
    assert len(fake_x.take_violations()) == 1 and fake_x.sent == []


def test_x_request_signed_with_the_wrong_secret_is_a_401_violation(fake_x: FakeX) -> None:
    with pytest.raises(tweepy.Unauthorized):
        x_client(fake_x, access_token_secret="wrong").create_direct_message(
            participant_id="42", text="x"
        )
    assert len(fake_x.take_violations()) == 1 and fake_x.sent == []


def test_x_app_only_bearer_token_is_refused_for_dms(fake_x: FakeX) -> None:
    client = tweepy.Client(bearer_token="app-only")
    redirect_session(client.session, fake_x.url)
    _sessions.append(client.session)
    with pytest.raises(tweepy.Forbidden, match="Application-Only"):
        client.get_direct_message_events(user_auth=False)
    assert len(fake_x.take_violations()) == 1


def test_x_unknown_dm_event_field_is_a_violation(fake_x: FakeX) -> None:
    with pytest.raises(tweepy.BadRequest):
        x_client(fake_x).get_direct_message_events(dm_event_fields=["body"], user_auth=True)
    assert "dm_event.fields" in fake_x.take_violations()[0]


# The plumbing


def test_the_fixture_check_fails_a_test_that_broke_the_contract() -> None:
    with FakeTelegram() as fake:
        httpx.post(f"{fake.url}/bot{fake.token}/sendMessage", json={"chat_id": 1})
    with pytest.raises(pytest.fail.Exception, match="message text is empty"):
        check_no_violations(fake)


def test_contracts_dir_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert (contracts.contracts_dir() / contracts.TWILIO_FILE).is_file()
    monkeypatch.setenv("CAREBOT_CONTRACTS_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="CAREBOT_CONTRACTS_DIR"):
        contracts.contracts_dir()


@pytest.mark.parametrize(
    ("fake_class", "path"),
    [
        (FakeTwilio, "/2010-04-01/Accounts/AC0/Messages"),
        (FakeTelegram, "/bot1:x/sendMessage/extra"),
        (FakeX, "/1.1/direct_messages/events/new.json"),
    ],
)
def test_a_path_the_provider_does_not_serve_is_a_404_violation(
    fake_class: type[FakeTwilio | FakeTelegram | FakeX], path: str
) -> None:
    with fake_class() as fake:
        assert httpx.post(f"{fake.url}{path}").status_code == 404
    assert fake.take_violations() == [f"POST {path}: no such endpoint"]
