"""A reply is stored before it is analysed: an analysis that fails (a stored program with a
threshold that is not a number, a bug in triage) never loses it. It is queued `attention`,
says "could not be analysed", is audited, and a warning sign still gets the emergency answer."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from sqlmodel import select
from starlette.testclient import TestClient
from twilio.request_validator import RequestValidator

from bot.config import Settings
from bot.inbound import receive
from bot.inbound.webhooks import build_app
from bot.patients import enrolment as patients
from bot.store.models import AuditEvent, Program, Reply
from bot.store.store import Store, open_store
from tests.conftest import Cli

TOKEN = "0123456789abcdef0123456789abcdef"
PUBLIC = "https://carebot.example.org"
PATH = "/webhooks/twilio/sms"


def _broken(*args: object, **kwargs: object) -> object:
    raise TypeError("'>=' not supported between instances of 'int' and 'str'")


@pytest.fixture
def hooked(settings: Settings) -> Iterator[tuple[Store, TestClient]]:
    store = open_store(
        settings.model_copy(
            update={"twilio_auth_token": SecretStr(TOKEN), "carebot_public_url": PUBLIC}
        )
    )
    patients.enrol(
        store,
        reference="AZ-9",
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


def _sms(client: TestClient, body: str, sid: str) -> str:
    form = {"MessageSid": sid, "From": "+32470123456", "To": "+3278000000", "Body": body}
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC + PATH, form)
    response = client.post(PATH, data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200
    return str(response.text)


def _stored(store: Store) -> tuple[Reply, dict[str, object], dict[str, object]]:
    """The one reply, its decrypted readings, and the detail of its audit event."""
    with store.session() as session:
        reply = session.exec(select(Reply)).one()
        assert reply.id is not None
        readings = json.loads(
            store.decrypt(
                session,
                reply.key_owner,
                reply.readings_enc or b"",
                table="reply",
                column="readings",
                row=reply.id,
            )
        )
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "reply.receive")).one()
        return reply, readings, json.loads(event.detail)


def test_a_webhook_reply_whose_analysis_fails_is_kept_and_its_warning_sign_answered(
    hooked: tuple[Store, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, client = hooked
    monkeypatch.setattr(receive, "classify", _broken)
    answer = _sms(client, "bloeddruk 200/120 en mijn arm is slap", "SM" + "b" * 32)
    assert "<Message>" in answer and "112" in answer  # the warning-sign check still ran
    reply, readings, detail = _stored(store)
    assert (reply.flags, reply.priority) == ("urgent,attention", 0)
    assert readings["analysis"] == "could not be analysed"
    assert detail["analysis"] == "failed" and detail["error"] == "TypeError"


def test_a_webhook_reply_with_no_warning_sign_whose_analysis_fails_is_queued_attention(
    hooked: tuple[Store, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, client = hooked
    monkeypatch.setattr(receive, "classify", _broken)
    assert "<Message>" not in _sms(client, "bloeddruk 150 op 95", "SM" + "c" * 32)
    reply, readings, _ = _stored(store)
    assert (reply.flags, reply.priority) == ("attention", 1)
    assert readings["analysis"] == "could not be analysed"


def test_a_stored_program_with_a_threshold_that_is_no_number_loses_no_reply(
    hooked: tuple[Store, TestClient],
) -> None:
    # What an older carebot let through: `urgent_systolic_high = "high"`, stored as written.
    store, client = hooked
    with store.session() as session:
        row = session.get(Program, "post-stroke-weekly")
        assert row is not None
        definition = json.loads(row.definition)
        definition["thresholds"]["urgent_systolic_high"] = "high"
        row.definition = json.dumps(definition)
        session.add(row)
    assert "<Message>" not in _sms(client, "bloeddruk 150 op 95", "SM" + "d" * 32)
    reply, readings, detail = _stored(store)
    assert reply.flags == "attention" and readings["analysis"] == "could not be analysed"
    assert detail["error"] == "TypeError"


def test_carebot_reply_keeps_a_reply_whose_analysis_fails(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    enrolled = cli(
        "patient", "enrol", "--ref", "AZ-10", "--program", "post-stroke-weekly", "--lang", "en",
        "--tz", "Europe/Brussels", "--name", "Ann", "--consent", "console", "--format", "json",
    )  # fmt: skip
    assert enrolled.code == 0, enrolled.err
    pseudonym = json.loads(enrolled.out)["pseudonym"]
    monkeypatch.setattr(receive, "classify", _broken)
    replied = cli("reply", pseudonym, "my face is drooping and my arm is numb")
    assert replied.code == 0, replied.err
    assert "flags: urgent, attention" in replied.out
    assert "Call 112 right now" in replied.out
    listed = json.loads(cli("replies", "--format", "json").out)
    assert [r["flags"] for r in listed] == [["urgent", "attention"]]
    shown = json.loads(cli("replies", "show", str(listed[0]["id"]), "--format", "json").out)
    assert shown["readings"]["analysis"] == "could not be analysed"
    log = cli("audit", "log", "--format", "json")
    events = [e for e in json.loads(log.out) if e["action"] == "reply.receive"]
    assert len(events) == 1 and "TypeError" in json.dumps(events[0])
