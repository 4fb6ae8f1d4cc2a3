"""Issue 9, findings 4 and 5 over HTTP: forged requests (and secrets left empty), bodies too
large or too slow, headers never finished, and the store's write lock held elsewhere.

The slow-client tests run a real uvicorn server, configured as `carebot serve` configures it,
on 127.0.0.1, and talk to it over raw sockets.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from pydantic import SecretStr
from sqlalchemy import event
from sqlmodel import select
from starlette.requests import Request
from starlette.testclient import TestClient

from bot.channels import webhook as bodies
from bot.config import Settings
from bot.inbound import server
from bot.inbound.webhooks import build_app
from bot.store import db
from bot.store.models import Reply
from bot.store.store import Store
from tests.fuzzing import (
    PHONE,
    PUBLIC,
    SMS_PATH,
    STATUS_PATH,
    TELEGRAM_FORGERIES,
    TG_PATH,
    TG_SECRET,
    TWILIO_FORGERIES,
    WriteCounter,
    form_case,
    row_counts,
    secured,
    sign,
    telegram_case,
)

TG = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}


@pytest.fixture
def hooked(settings: Settings) -> Iterator[tuple[Store, TestClient]]:
    store = secured(settings)
    yield store, TestClient(build_app(store))
    store.engine.dispose()


@pytest.fixture
def served(hooked: tuple[Store, TestClient]) -> Iterator[tuple[Store, int]]:
    """The app behind a real uvicorn on 127.0.0.1, with carebot serve's configuration."""
    store = hooked[0]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    uv = uvicorn.Server(server.config(build_app(store), host="127.0.0.1", port=port))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    while not uv.started:
        time.sleep(0.02)
    yield store, port
    uv.should_exit = True
    thread.join(10)


def _sms(body: str = "bloeddruk 150 op 95", sid: str = "SM" + "a" * 32) -> dict[str, str]:
    return {"MessageSid": sid, "From": PHONE, "To": "+3278000000", "Body": body}


def _post_form(client: TestClient, path: str, form: dict[str, str]) -> int:
    headers = {"X-Twilio-Signature": sign(PUBLIC + path, form)}
    return int(client.post(path, data=form, headers=headers).status_code)


def _update(text: str, *, chat_type: str = "private", update_id: int = 7) -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1764000000,
            "text": text,
            "chat": {"id": 4242, "type": chat_type},
        },
    }


def _reply_texts(store: Store) -> list[str]:
    with store.session() as session:
        return [
            store.decrypt(
                session, r.key_owner, r.text_enc, table="reply", column="text", row=r.id or 0
            )
            for r in session.exec(select(Reply))
        ]


# --- forgeries: 403, and nothing written, and the store never touched ---------------------


@pytest.mark.parametrize("variant", TWILIO_FORGERIES)
@pytest.mark.parametrize("path", [SMS_PATH, STATUS_PATH + "?attempt=1"])
def test_a_forged_twilio_request_is_refused_without_touching_the_store(
    hooked: tuple[Store, TestClient], variant: str, path: str
) -> None:
    store, client = hooked
    form = (
        _sms()
        if path == SMS_PATH
        else {"MessageSid": "SM" + "c" * 32, "MessageStatus": "failed", "ErrorCode": "21610"}
    )
    case = form_case(path, form, variant)
    before, checkouts = row_counts(store), []
    event.listen(store.engine.pool, "checkout", lambda *_: checkouts.append(1))
    response = client.post(case.path, content=case.body, headers=case.headers)
    assert response.status_code == 403 and checkouts == []
    assert row_counts(store) == before


@pytest.mark.parametrize("variant", sorted(TELEGRAM_FORGERIES))
def test_a_telegram_update_without_the_secret_is_refused(
    hooked: tuple[Store, TestClient], variant: str
) -> None:
    store, client = hooked
    case = telegram_case(json.dumps(_update("STOP")).encode(), variant)
    before, counter = row_counts(store), WriteCounter(store)
    assert client.post(TG_PATH, content=case.body, headers=case.headers).status_code == 403
    assert counter.writes == 0 and row_counts(store) == before


def _with_empty(store: Store, name: str) -> TestClient:
    """The app over settings built without validation (model_copy), one secret empty."""
    unchecked = store.settings.model_copy(update={name: SecretStr("")})
    return TestClient(build_app(Store(engine=store.engine, keys=store.keys, settings=unchecked)))


def test_an_empty_twilio_token_that_slipped_past_the_settings_accepts_nobody(
    hooked: tuple[Store, TestClient],
) -> None:
    store = hooked[0]
    client, form, before = _with_empty(store, "twilio_auth_token"), _sms("STOP"), row_counts(store)
    signed_with_nothing = {"X-Twilio-Signature": sign(PUBLIC + SMS_PATH, form, token="")}
    assert client.post(SMS_PATH, data=form, headers=signed_with_nothing).status_code == 403
    assert row_counts(store) == before


def test_an_empty_webhook_secret_that_slipped_past_the_settings_accepts_nobody(
    hooked: tuple[Store, TestClient],
) -> None:
    store = hooked[0]
    client, before = _with_empty(store, "carebot_telegram_webhook_secret"), row_counts(store)
    response = client.post(
        TG_PATH, json=_update("STOP"), headers={"X-Telegram-Bot-Api-Secret-Token": ""}
    )
    assert response.status_code == 403 and row_counts(store) == before


# --- bodies: bounded before they are read, and never parsed by Starlette ------------------


def _raw(port: int, data: bytes, *, wait: float = 5.0) -> bytes:
    """Send raw bytes, return what the server answered before closing (or b"" if nothing)."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
            if b"\r\n\r\n" in received:
                break
        return received


def test_a_declared_body_over_64_kib_gets_413_before_a_byte_of_it_is_sent(
    served: tuple[Store, int],
) -> None:
    _, port = served
    head = (
        f"POST {SMS_PATH} HTTP/1.1\r\nHost: x\r\nX-Twilio-Signature: abc\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        "Content-Length: 200000000\r\n\r\n"
    ).encode()
    assert _raw(port, head).startswith(b"HTTP/1.1 413")


def test_a_streamed_body_is_cut_off_at_64_kib(hooked: tuple[Store, TestClient]) -> None:
    store, client = hooked

    def chunks() -> Iterator[bytes]:
        for _ in range(200):  # 800 KiB, with no Content-Length
            yield b"Body=" + b"x" * 4096 + b"&"

    response = client.post(SMS_PATH, content=chunks(), headers={"X-Twilio-Signature": "abc"})
    assert response.status_code == 413
    # Telegram's own: acknowledged (Telegram would only send it again), nothing stored.
    assert client.post(TG_PATH, content=chunks(), headers=TG).json() == {}
    assert _reply_texts(store) == []


def test_a_twilio_form_is_parsed_by_carebot_not_by_starlette(
    hooked: tuple[Store, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, client = hooked

    async def no_form(self: Request, **_: object) -> None:
        raise AssertionError("request.form() was called")

    monkeypatch.setattr(Request, "form", no_form)
    assert (
        client.post(SMS_PATH, data=_sms(), headers={"X-Twilio-Signature": "x"}).status_code == 403
    )
    assert _post_form(client, SMS_PATH, _sms()) == 200
    assert _reply_texts(store) == ["bloeddruk 150 op 95"]


def test_a_body_sent_too_slowly_gets_408(
    served: tuple[Store, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, port = served
    monkeypatch.setattr(bodies, "BODY_TIMEOUT", 0.5)
    head = (
        f"POST {SMS_PATH} HTTP/1.1\r\nHost: x\r\nX-Twilio-Signature: abc\r\n"
        "Content-Length: 100\r\n\r\nBody="
    ).encode()
    assert _raw(port, head).startswith(b"HTTP/1.1 408")
    # Telegram's own: acknowledged (Telegram would only send it again), nothing stored.
    head = (
        f"POST {TG_PATH} HTTP/1.1\r\nHost: x\r\nX-Telegram-Bot-Api-Secret-Token: "
        f"{TG_SECRET}\r\nContent-Length: 100\r\n\r\n{{"
    ).encode()
    assert _raw(port, head).startswith(b"HTTP/1.1 200")


def test_a_client_that_never_finishes_its_headers_is_disconnected(
    served: tuple[Store, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, port = served
    monkeypatch.setattr(server, "HEADER_TIMEOUT", 0.5)
    started = time.monotonic()
    assert _raw(port, f"POST {TG_PATH} HTTP/1.1\r\nHost: x\r\n".encode()) == b""
    assert time.monotonic() - started < 4  # closed by the server, not by the socket timeout


def test_serve_sets_uvicorns_limits() -> None:
    config = server.config(build_app, host="127.0.0.1", port=1)  # type: ignore[arg-type]
    assert (
        config.limit_concurrency,
        config.timeout_keep_alive,
        config.h11_max_incomplete_event_size,
    ) == (64, 5, 16 * 1024)
    assert config.http is server.TimedH11Protocol


# --- the store's write lock held elsewhere -------------------------------------------------


@pytest.fixture
def locked(hooked: tuple[Store, TestClient]) -> Iterator[threading.Event]:
    """Another connection holds the SQLite write lock until the event is set."""
    store = hooked[0]
    if not db.is_sqlite(store.engine):
        pytest.skip("SQLite's write lock")
    other = db.make_engine(store.settings.carebot_database_url, store.keys.master)
    release, held = threading.Event(), threading.Event()

    def hold() -> None:
        with other.connect() as conn:
            conn.exec_driver_sql("UPDATE channel_state SET value = value")
            held.set()
            release.wait(15)
            conn.rollback()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    held.wait(5)
    yield release
    release.set()
    thread.join(5)
    other.dispose()


def test_healthz_answers_while_another_connection_holds_the_write_lock(
    hooked: tuple[Store, TestClient], locked: threading.Event
) -> None:
    response = hooked[1].get("/healthz")
    assert response.status_code == 200 and not locked.is_set()


def test_a_forged_request_is_refused_while_a_genuine_one_waits_for_the_lock(
    served: tuple[Store, int], locked: threading.Event
) -> None:
    import httpx

    _, port = served
    url = f"http://127.0.0.1:{port}"
    form = _sms("bloeddruk 140 op 90")
    waiting: list[int] = []
    genuine = threading.Thread(
        target=lambda: waiting.append(
            httpx.post(
                url + SMS_PATH,
                data=form,
                timeout=30,
                headers={"X-Twilio-Signature": sign(PUBLIC + SMS_PATH, form)},
            ).status_code
        )
    )
    genuine.start()
    time.sleep(0.5)  # the genuine request is now waiting for the lock
    forged = httpx.post(url + SMS_PATH, data=form, headers={"X-Twilio-Signature": "x"}, timeout=5)
    health = httpx.get(url + "/healthz", timeout=5)
    assert (forged.status_code, health.status_code, waiting) == (403, 200, [])
    locked.set()
    genuine.join(20)
    assert waiting == [200]
