"""Issue 9, findings 6 and 7, and the fuzz: inputs that gave 5xx with valid credentials, texts
longer than a provider allows, status callbacks and `/start` from the wrong place, and a
bounded fuzz of every endpoint (benchmarks/fuzz.py runs the same cases at 10,000).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from pydantic import SecretStr
from sqlmodel import select
from starlette.testclient import TestClient

from bot.config import Settings
from bot.inbound.link import REFUSED
from bot.store.models import AuditEvent
from bot.store.store import Store
from tests.fakes.telegram import FakeTelegram
from tests.fuzzing import (
    SMS_PATH,
    STATUS_PATH,
    TG_PATH,
    Case,
    cases,
    row_counts,
    run,
)
from tests.inbound.test_security_http import TG, _post_form, _reply_texts, _sms, _update, hooked

__all__ = ["hooked"]  # the fixture, shared with the HTTP tests


# --- valid credentials: never a 5xx --------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"update_id": 8, "message": {"message_id": 1, "date": 1764000000, "text": "pijn \\ud800",'
        b' "chat": {"id": 4242, "type": "private"}}}',
        b"[" * 50_000 + b"]" * 50_000,
        b'{"update_id": 1' + b"0" * 5000 + b"}",
        b'{"update_id": 9, "message": {"date": 1e400, "chat": {"id": 1, "type": "private"}, '
        b'"text": "x"}}',
        b'{"update_id": 9, "message": {"date": 99999999999999999, "chat": {"id": 1, '
        b'"type": "private"}, "text": "x"}}',
        b'{"update_id": 10, "message": {"date": 1, "chat": {"id": 10000000000000000000000000,'
        b' "type": "private"}, "text": "x"}}',
        b'{"update_id": true, "message": {"date": 1, "chat": {"id": 1}, "text": ["x"]}}',
        b"\xff\xfe{not utf-8}",
    ],
)
def test_a_telegram_update_with_valid_credentials_never_gets_a_5xx(
    hooked: tuple[Store, TestClient], body: bytes
) -> None:
    store, client = hooked
    response = TestClient(client.app, raise_server_exceptions=False).post(
        TG_PATH, content=body, headers=TG
    )
    assert response.status_code == 200
    with store.session() as session:
        ignored = session.exec(
            select(AuditEvent).where(AuditEvent.action == "telegram.ignored")
        ).all()
    assert len(ignored) + len(_reply_texts(store)) == 1
    assert all("\ud800" not in text for text in _reply_texts(store))


@pytest.mark.parametrize("attempt", ["9" * 25, "1" * 18, "2147483648", "١٢", "²", "-1", "1e5", ""])
def test_a_status_callback_with_any_attempt_never_gets_a_5xx(
    hooked: tuple[Store, TestClient], attempt: str
) -> None:
    _, client = hooked
    client = TestClient(client.app, raise_server_exceptions=False)
    path = f"{STATUS_PATH}?attempt={quote(attempt)}"  # as Twilio would request it
    form = {"MessageSid": "SM" + "e" * 32, "MessageStatus": "delivered"}
    assert _post_form(client, path, form) == 204


@pytest.mark.parametrize(
    "form",
    [
        {"MessageSid": "SM" + "c" * 31 + "\x00", "MessageStatus": "failed"},
        {"MessageSid": "SM" + "c" * 32, "MessageStatus": "failed", "ErrorCode": "9" * 30},
        {"MessageSid": "", "MessageStatus": "failed"},
    ],
)
def test_a_malformed_status_callback_gets_400(
    hooked: tuple[Store, TestClient], form: dict[str, str]
) -> None:
    assert (
        _post_form(TestClient(hooked[1].app, raise_server_exceptions=False), STATUS_PATH, form)
        == 400
    )


def test_texts_longer_than_the_provider_allows_are_cut_before_they_are_stored(
    hooked: tuple[Store, TestClient],
) -> None:
    store, client = hooked
    assert _post_form(client, SMS_PATH, _sms("a" * 3000)) == 200
    update = _update("b" * 6000)
    assert client.post(TG_PATH, json=update, headers=TG).status_code == 200
    assert sorted(len(text) for text in _reply_texts(store)) == [1600, 4096]


# --- cross-channel confusion ---------------------------------------------------------------


def test_a_status_callback_never_moves_a_telegram_reminder(store: Store) -> None:
    from bot.channels.base import ErrorKind, StatusUpdate
    from bot.inbound import status
    from bot.patients import enrolment as patients
    from bot.store.models import Reminder

    who = patients.enrol(
        store,
        reference="AZ-4",
        program="post-stroke-weekly",
        language="nl",
        timezone="Europe/Brussels",
        name="An",
        contacts={},
        consent=["console"],
        actor="test",
    ).pseudonym
    now = datetime.now(UTC)
    with store.session() as session:
        patients.record_consent(
            session,
            pseudonym=who,
            channel="telegram",
            granted=True,
            method="deep-link",
            actor="patient",
            now=now,
        )
        session.add(
            Reminder(
                occurrence_key="t",
                pseudonym=who,
                program="post-stroke-weekly",
                local_slot="2026-11-30T10:00",
                due_at=now,
                status="sent",
                channel="telegram",
                provider_id="tg-5",
                updated_at=now,
            )
        )
    sms_says = StatusUpdate(
        channel="sms",
        provider_id="tg-5",
        status="failed",
        error_code="21610",
        kind=ErrorKind.RECIPIENT_REFUSED,
    )
    assert not status.apply(store, sms_says, now=now)
    with store.session() as session:
        assert session.exec(select(Reminder.status)).one() == "sent"
        assert patients.consents(session, who)["telegram"] is True


def _start_command(store: Store, ref: str) -> str:
    """`/start` with the deep-link token of a patient newly enrolled with consent on Telegram."""
    from bot.patients import enrolment as patients

    link = patients.enrol(
        store,
        reference=ref,
        program="post-stroke-weekly",
        language="en",
        timezone="Europe/Brussels",
        name="Ann",
        contacts={},
        consent=["telegram"],
        actor="test",
    ).links.get("telegram")
    assert link is not None
    return f"/start {link.split('start=')[1]}"


@pytest.mark.parametrize("chat_type", ["group", "supergroup", "channel"])
def test_start_from_a_group_binds_nothing(hooked: tuple[Store, TestClient], chat_type: str) -> None:
    from bot.store.models import Contact

    store, client = hooked
    start = _start_command(store, "AZ-5")
    group = client.post(TG_PATH, json=_update(start, chat_type=chat_type), headers=TG)
    assert "private chat" in group.json()["text"]
    with store.session() as session:
        assert session.exec(select(Contact).where(Contact.channel == "telegram")).all() == []
    private = client.post(TG_PATH, json=_update(start, update_id=8), headers=TG)
    assert private.json()["text"].startswith("Welcome")


# --- a bounded fuzz of every endpoint -------------------------------------------------------

FUZZ_CASES = 2000  # benchmarks/fuzz.py runs 10,000


def test_a_fuzz_of_every_endpoint_gives_no_5xx_and_no_unauthenticated_write(
    hooked: tuple[Store, TestClient],
) -> None:
    store, app_client = hooked
    client = TestClient(app_client.app, raise_server_exceptions=False)

    def send(case: Case) -> int:
        return int(
            client.request(
                case.method, case.path, content=case.body, headers=case.headers
            ).status_code
        )

    tally = run(send, store, cases(seed=9, count=FUZZ_CASES))
    assert (tally.server_errors, tally.unauthenticated_writes, tally.failures[:5]) == (0, 0, [])
    assert tally.cases == FUZZ_CASES and tally.statuses.get(200, 0) > FUZZ_CASES // 4
    assert len(_reply_texts(store)) > 100  # genuine cases did reach the store
    forged = [case for case in cases(seed=10, count=600) if not case.authentic]
    before = row_counts(store)
    assert run(send, store, iter(forged)).unauthenticated_writes == 0
    assert row_counts(store) == before and len(forged) > 150


def test_start_from_a_group_by_polling_binds_nothing(
    settings: Settings, fake_telegram: FakeTelegram
) -> None:
    import asyncio

    from bot.channels.telegram import TelegramChannel
    from bot.inbound.alerts import OnDemand
    from bot.inbound.inbox import StoreInbox
    from bot.store.models import Contact
    from bot.store.store import open_store

    configured = settings.model_copy(
        update={
            "telegram_bot_token": SecretStr(fake_telegram.token),
            "telegram_bot_username": "ward_test_bot",
            "carebot_telegram_api_url": f"{fake_telegram.url}/bot",
        }
    )
    store = open_store(configured)
    update = fake_telegram.updates.message_update(
        -100777, _start_command(store, "AZ-6"), date=int(time.time())
    )
    update["message"]["chat"]["type"] = "supergroup"
    fake_telegram.updates.push(update)

    async def once() -> int:
        channel = TelegramChannel(configured)
        try:
            return await channel.poll(StoreInbox(store, channels=OnDemand(store)))
        finally:
            await channel.close()

    assert asyncio.run(once()) == 1
    with store.session() as session:
        assert session.exec(select(Contact).where(Contact.channel == "telegram")).all() == []
    assert [m.text for m in fake_telegram.sent] == [REFUSED["group"]]
    store.engine.dispose()
