"""Webhooks: signatures checked before anything is stored, replies and status callbacks."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlmodel import select
from starlette.testclient import TestClient
from twilio.request_validator import RequestValidator

from bot.channels.base import OutboundMessage
from bot.config import Settings
from bot.inbound.webhooks import build_app
from bot.outbound.delivery import Delivery
from bot.outbound.dispatch import Dispatcher
from bot.patients import enrolment as patients
from bot.store.models import AuditEvent, DeliveryAttempt, Patient, Reminder, Reply
from bot.store.store import Store, open_store
from tests.helpers import settings_for, write_program

TOKEN = "0123456789abcdef0123456789abcdef"  # 32 hex digits, as Twilio's
PUBLIC = "https://carebot.example.org"
TG_SECRET = "tg-secret-0123456789"


@pytest.fixture
def hooked(settings: Settings) -> Iterator[tuple[Store, TestClient]]:
    configured = settings.model_copy(
        update={
            "twilio_auth_token": SecretStr(TOKEN),
            "carebot_public_url": PUBLIC,
            "carebot_telegram_webhook_secret": SecretStr(TG_SECRET),
            "telegram_bot_username": "ward_test_bot",  # for the patients' links
        }
    )
    store = open_store(configured)
    patients.enrol(
        store,
        reference="AZ-3",
        program="post-stroke-weekly",
        language="nl",
        timezone="Europe/Brussels",
        name="Jan",
        contacts={"sms": "+32470123456"},
        consent=["sms"],
        actor="test",
    )
    yield store, TestClient(build_app(store))
    store.engine.dispose()


def _signed(path: str, form: dict[str, str]) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(PUBLIC + path, form)}


SMS = {"MessageSid": "SM" + "a" * 32, "From": "+32470123456", "To": "+3278000000", "Body": "STOP"}


def test_a_signed_stop_is_recorded_as_an_opt_out(hooked: tuple[Store, TestClient]) -> None:
    store, client = hooked
    response = client.post(
        "/webhooks/twilio/sms", data=SMS, headers=_signed("/webhooks/twilio/sms", SMS)
    )
    assert response.status_code == 200 and "<Message>" not in response.text
    with store.session() as session:
        reply = session.exec(select(Reply)).one()
        assert reply.flags == "opt-out" and reply.pseudonym is not None
        assert patients.consents(session, reply.pseudonym)["sms"] is False


def test_a_signed_request_in_words_to_stop_is_answered_by_carebot(
    hooked: tuple[Store, TestClient],
) -> None:
    # Twilio answers a one-word STOP itself; a sentence it does not read, so carebot confirms.
    store, client = hooked
    form = dict(SMS, Body="stop met die berichten aub", MessageSid="SM" + "d" * 32)
    response = client.post(
        "/webhooks/twilio/sms", data=form, headers=_signed("/webhooks/twilio/sms", form)
    )
    assert "<Message>U krijgt geen berichten meer" in response.text
    with store.session() as session:
        reply = session.exec(select(Reply)).one()
        assert reply.flags == "opt-out"
        assert patients.consents(session, reply.pseudonym or "")["sms"] is False


def test_a_forged_signature_gets_403_and_stores_nothing(hooked: tuple[Store, TestClient]) -> None:
    store, client = hooked
    response = client.post(
        "/webhooks/twilio/sms", data=SMS, headers={"X-Twilio-Signature": "forged"}
    )
    assert response.status_code == 403
    with store.session() as session:
        assert session.exec(select(Reply)).all() == []


def test_an_urgent_sms_is_answered_in_the_webhook_response(
    hooked: tuple[Store, TestClient],
) -> None:
    _, client = hooked
    form = dict(SMS, Body="mijn arm is slap", MessageSid="SM" + "b" * 32)
    response = client.post(
        "/webhooks/twilio/sms", data=form, headers=_signed("/webhooks/twilio/sms", form)
    )
    assert "112" in response.text and "<Message>" in response.text


def test_a_status_callback_marks_the_reminder_delivered(hooked: tuple[Store, TestClient]) -> None:
    store, client = hooked
    now = datetime.now(UTC)
    with store.session() as session:
        who = session.exec(select(Patient.pseudonym)).one()
        session.add(
            Reminder(
                occurrence_key="k",
                pseudonym=who,
                program="post-stroke-weekly",
                local_slot="2026-11-30T10:00",
                due_at=now,
                status="sent",
                channel="sms",
                provider_id="SM" + "c" * 32,
                updated_at=now,
            )
        )
    form = {"MessageSid": "SM" + "c" * 32, "MessageStatus": "delivered"}
    response = client.post(
        "/webhooks/twilio/status", data=form, headers=_signed("/webhooks/twilio/status", form)
    )
    assert response.status_code == 204
    late = {"MessageSid": "SM" + "c" * 32, "MessageStatus": "sent"}
    client.post(
        "/webhooks/twilio/status", data=late, headers=_signed("/webhooks/twilio/status", late)
    )
    with store.session() as session:
        assert session.exec(select(Reminder)).one().status == "delivered"


def test_a_failure_callback_that_overtakes_the_dispatcher_is_kept(
    hooked: tuple[Store, TestClient],
) -> None:
    """Twilio answers `failed` before the dispatcher has recorded the SID it got back: the
    attempt in the callback URL finds the reminder, and the dispatcher's late record of the
    send does not turn it back into `sent`."""
    store, client = hooked
    now = datetime.now(UTC)
    with store.session() as session:
        who = session.exec(select(Patient.pseudonym)).one()
        reminder = Reminder(
            occurrence_key="k",
            pseudonym=who,
            program="post-stroke-weekly",
            local_slot="2026-11-30T10:00",
            due_at=now,
            status="sending",
            channel="sms",
            claim_token="cycle",
            updated_at=now,
        )
        session.add(reminder)
        session.flush()
        assert reminder.id is not None
        attempt = DeliveryAttempt(reminder_id=reminder.id, channel="sms", started_at=now)
        session.add(attempt)
        session.flush()
        assert attempt.id is not None
        delivery = Delivery(
            reminder.id,
            attempt.id,
            "sms",
            OutboundMessage(
                attempt_id=attempt.id, pseudonym=who, address=None, body="", created_at=now
            ),
        )
    sid = "SM" + "d" * 32
    form = {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    path = f"/webhooks/twilio/status?attempt={delivery.attempt_id}"
    assert client.post(path, data=form, headers=_signed(path, form)).status_code == 204
    Dispatcher(store=store, channels={}, now=now).record.sent(delivery, sid)
    with store.session() as session:
        row = session.exec(select(Reminder)).one()
        assert (row.status, row.provider_id) == ("failed", sid)


def test_telegram_webhook_needs_the_secret_token(hooked: tuple[Store, TestClient]) -> None:
    _, client = hooked
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 1764000000,
            "chat": {"id": 42, "type": "private"},
            "text": "hi",
        },
    }
    assert client.post("/webhooks/telegram", json=update).status_code == 403
    ok = client.post(
        "/webhooks/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
    )
    assert ok.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"update_id": 2, "message": {"text": "hi"}}',
        b'{"update_id": "x", "message": {"date": 1, "chat": {"id": 42}, "text": "hi"}}',
        b'{"update_id": 3, "message": {"date": 1, "chat": {"id": "42; drop"}, "text": "hi"}}',
    ],
)
def test_a_malformed_telegram_update_is_acknowledged_and_nothing_is_stored(
    hooked: tuple[Store, TestClient], body: bytes
) -> None:
    store, client = hooked
    response = client.post(
        "/webhooks/telegram", content=body, headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
    )
    assert response.status_code == 200 and response.json() == {}
    with store.session() as session:
        assert session.exec(select(Reply)).all() == []


def test_healthz_answers(hooked: tuple[Store, TestClient]) -> None:
    assert hooked[1].get("/healthz").json() == {"status": "ok"}


def test_an_urgent_sms_is_answered_even_when_the_on_call_notice_cannot_go(
    tmp_path: Path, settings: Settings
) -> None:
    """The on-call nurse is on Telegram, and Telegram cannot be reached: the patient still
    gets the emergency answer, and the failed notice is audited."""
    path = write_program(tmp_path, name="on-call-weekly")
    path.write_text(
        path.read_text().replace('order = ["console"]', 'order = ["sms"]')
        + '\n[on_call]\nchannel = "telegram"\naddress = "555999"\n'
    )
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    configured = settings_for(tmp_path, settings).model_copy(
        update={
            "twilio_auth_token": SecretStr(TOKEN),
            "carebot_public_url": PUBLIC,
            "telegram_bot_token": SecretStr("123456:" + "A" * 35),
            "carebot_telegram_api_url": f"http://127.0.0.1:{closed}/bot",
        }
    )
    store = open_store(configured)
    patients.enrol(
        store,
        reference="AZ-9",
        program="on-call-weekly",
        language="nl",
        timezone="Europe/Brussels",
        name="Jan",
        contacts={"sms": "+32470123456"},
        consent=["sms"],
        actor="test",
    )
    form = dict(SMS, Body="mijn arm is slap en ik praat raar", MessageSid="SM" + "c" * 32)
    with TestClient(build_app(store)) as client:
        response = client.post(
            "/webhooks/twilio/sms", data=form, headers=_signed("/webhooks/twilio/sms", form)
        )
    assert response.status_code == 200 and "<Message>Bel 112.</Message>" in response.text
    with store.session() as session:
        alerts = session.exec(select(AuditEvent).where(AuditEvent.action == "alert.on-call")).all()
        assert [json.loads(a.detail)["delivered"] for a in alerts] == [False]
    store.engine.dispose()
