"""WhatsApp through Twilio: the real SDK against the fake Twilio on 127.0.0.1, which enforces
WhatsApp's 24-hour session and checks every request against Twilio's OpenAPI spec.

Each send test also checks that neither the patient's number nor the account's secrets reached
a log line or the error, at DEBUG for carebot's loggers (the SDKs stay at WARNING, as
`bot.logs.setup_logging` keeps them)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlmodel import select
from starlette.testclient import TestClient
from twilio.request_validator import RequestValidator

from bot.channels import registry
from bot.channels.addresses import AddressError
from bot.channels.base import ChannelError, ErrorKind, OutboundMessage
from bot.channels.whatsapp import WhatsAppChannel, option_problems, template_fields
from bot.config import REPO_ROOT, Settings
from bot.inbound.webhooks import build_app
from bot.patients import enrolment as patients
from bot.programs.model import ProgramError
from bot.programs.parse import parse_program
from bot.store.models import Contact, Reminder, Reply
from bot.store.store import Store, open_store
from tests.conftest import Cli
from tests.fakes.twilio import FakeTwilio
from tests.helpers import CONFIGURED, settings_for, write_program

PATIENT = "+32470123456"
SENDER = "+3250000000"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BODY = "Dag Jan, tijd voor uw wekelijkse controle."


@pytest.fixture
def channel(fake_twilio: FakeTwilio) -> Iterator[WhatsAppChannel]:
    fake_twilio.clock = lambda: NOW
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        twilio_account_sid=fake_twilio.account_sid,
        twilio_auth_token=SecretStr(fake_twilio.auth_token),
        twilio_whatsapp_from=SENDER,
        carebot_twilio_api_url=fake_twilio.url,
        carebot_public_url="https://carebot.example.org",
    )
    assert WhatsAppChannel.configured(settings)
    made = WhatsAppChannel(settings)
    yield made
    asyncio.run(made.close())


def message(**changes: Any) -> OutboundMessage:
    base = OutboundMessage(
        attempt_id=7,
        pseudonym="P-TEST-0001",
        address=PATIENT,
        body=BODY,
        created_at=NOW,
        language="nl",
        template="reminder",
        last_reply_at=NOW - timedelta(hours=2),
    )
    return replace(base, **changes)


def send(channel: WhatsAppChannel, outbound: OutboundMessage) -> str:
    return asyncio.run(channel.send(outbound))


def assert_nothing_leaked(caplog: pytest.LogCaptureFixture, fake: FakeTwilio, *texts: str) -> None:
    secrets = [PATIENT, PATIENT.removeprefix("+"), fake.auth_token, fake.account_sid]
    for record in caplog.records:
        line = record.getMessage() + (record.exc_text or "")
        assert not [s for s in secrets if s in line], line
    for text in texts:
        assert not [s for s in secrets if s in text], text


@pytest.fixture(autouse=True)
def _debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for chatty in ("twilio", "urllib3", "requests"):
        caplog.set_level(logging.WARNING, logger=chatty)


def test_within_the_session_it_sends_the_body_to_the_whatsapp_address(
    channel: WhatsAppChannel, fake_twilio: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    fake_twilio.open_session(f"whatsapp:{PATIENT}", NOW - timedelta(hours=2))
    sid = send(channel, message())
    [sent] = fake_twilio.messages
    assert (sent.sid, sent.to, sent.from_, sent.body) == (
        sid,
        f"whatsapp:{PATIENT}",
        f"whatsapp:{SENDER}",
        BODY,
    )
    assert sent.status_callback == (
        "https://carebot.example.org/webhooks/twilio/whatsapp/status?attempt=7"
    )
    assert "ContentSid" not in sent.params
    assert_nothing_leaked(caplog, fake_twilio)


@pytest.mark.parametrize("last", [None, NOW - timedelta(hours=30), NOW - timedelta(hours=23.9)])
def test_outside_the_session_it_sends_the_approved_template_and_nothing_of_the_patient(
    channel: WhatsAppChannel,
    fake_twilio: FakeTwilio,
    caplog: pytest.LogCaptureFixture,
    last: datetime | None,
) -> None:
    content_sid = fake_twilio.approve_template("Your weekly check with {{1}} is due.")
    options = {
        "content_sids": {"reminder": content_sid},
        "content_variables": {"reminder": {"1": "AZ Sint-Lucas"}},
    }
    send(channel, message(options=options, last_reply_at=last))
    [sent] = fake_twilio.messages
    assert sent.params["ContentSid"] == content_sid and "Body" not in sent.params
    assert json.loads(sent.params["ContentVariables"]) == {"1": "AZ Sint-Lucas"}
    assert sent.body == "Your weekly check with AZ Sint-Lucas is due."
    assert_nothing_leaked(caplog, fake_twilio)


def test_outside_the_session_without_a_template_nothing_is_sent_and_the_next_channel_is_tried(
    channel: WhatsAppChannel, fake_twilio: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(ChannelError) as caught:
        send(channel, message(last_reply_at=None, options={"content_sids": {}}))
    assert (caught.value.kind, caught.value.code) == (ErrorKind.ACCOUNT_REFUSED, "63016")
    assert fake_twilio.messages == []
    assert_nothing_leaked(caplog, fake_twilio, str(caught.value))


def test_when_twilio_says_the_session_is_closed_the_template_goes_instead(
    channel: WhatsAppChannel, fake_twilio: FakeTwilio
) -> None:
    content_sid = fake_twilio.approve_template("Time for your weekly check.")
    # carebot saw a reply 2 hours ago, but it did not reach Twilio's WhatsApp sender.
    send(channel, message(options={"content_sids": {"reminder": content_sid}}))
    [sent] = fake_twilio.messages
    assert sent.params["ContentSid"] == content_sid
    [violation] = fake_twilio.take_violations()
    assert "63016" in violation


def test_the_fake_refuses_a_free_form_body_outside_the_session(
    channel: WhatsAppChannel, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.open_session(f"whatsapp:{PATIENT}", NOW - timedelta(hours=25))
    with pytest.raises(ChannelError) as caught:
        send(channel, message())
    assert caught.value.code == "63016" and fake_twilio.messages == []
    assert "63016" in fake_twilio.take_violations()[0]


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (400, 21610, ErrorKind.RECIPIENT_REFUSED),
        (400, 63003, ErrorKind.UNREACHABLE),
        (400, 63024, ErrorKind.UNREACHABLE),
        (400, 63032, ErrorKind.UNREACHABLE),
        (400, 21211, ErrorKind.UNREACHABLE),
        (400, 63016, ErrorKind.ACCOUNT_REFUSED),
        (400, 63007, ErrorKind.ACCOUNT_REFUSED),
        (400, 63112, ErrorKind.ACCOUNT_REFUSED),
        (400, 21655, ErrorKind.ACCOUNT_REFUSED),
        (429, 63018, ErrorKind.RETRY),
        (429, 20429, ErrorKind.RETRY),
        (500, 20500, ErrorKind.AMBIGUOUS),
        (503, 20503, ErrorKind.AMBIGUOUS),
        (400, 70002, ErrorKind.RETRY),
        (401, 20003, ErrorKind.RETRY),
    ],
)
def test_each_twilio_answer_maps_to_one_error_kind_and_leaks_nothing(
    channel: WhatsAppChannel,
    fake_twilio: FakeTwilio,
    caplog: pytest.LogCaptureFixture,
    status: int,
    code: int,
    kind: ErrorKind,
) -> None:
    fake_twilio.open_session(f"whatsapp:{PATIENT}")
    fake_twilio.fail_next(status, code=code, message=f"refused for whatsapp:{PATIENT}")
    with pytest.raises(ChannelError) as caught:
        send(channel, message(options={}))  # no template: a 63016 is not retried with one
    assert (caught.value.kind, caught.value.code) == (kind, str(code))
    assert caught.value.retry_after == (1.0 if status == 429 else None)
    assert_nothing_leaked(caplog, fake_twilio, str(caught.value), repr(caught.value))


def test_a_dropped_answer_is_ambiguous_and_the_lookup_finds_the_message(
    channel: WhatsAppChannel, fake_twilio: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    fake_twilio.open_session(f"whatsapp:{PATIENT}")
    fake_twilio.drop_next()
    with pytest.raises(ChannelError) as caught:
        send(channel, message())
    assert caught.value.kind is ErrorKind.AMBIGUOUS
    [sent] = fake_twilio.messages
    assert asyncio.run(channel.lookup(message())) == sent.sid
    with pytest.raises(NotImplementedError):  # something else went to the patient then
        asyncio.run(channel.lookup(message(body="another text")))
    assert_nothing_leaked(caplog, fake_twilio, str(caught.value))


def test_lookup_says_nothing_was_sent_when_twilio_has_nothing_for_the_patient(
    channel: WhatsAppChannel, fake_twilio: FakeTwilio
) -> None:
    assert asyncio.run(channel.lookup(message())) is None


def test_lookup_after_a_possible_template_send_leaves_it_to_an_admin(
    channel: WhatsAppChannel, fake_twilio: FakeTwilio
) -> None:
    content_sid = fake_twilio.approve_template("Time for your weekly check.")
    sent = message(last_reply_at=None, options={"content_sids": {"reminder": content_sid}})
    send(channel, sent)
    # The attempt rebuilt after a crash carries its options: a template went, whose text is
    # Meta's, so a message to the patient then cannot be told apart from another.
    with pytest.raises(NotImplementedError):
        asyncio.run(channel.lookup(sent))


def test_lookup_outside_the_session_without_a_template_knows_nothing_was_sent(
    channel: WhatsAppChannel, fake_twilio: FakeTwilio
) -> None:
    """Outside the session with no Content SID the send is refused before any request, so
    another message to the patient then is not this one: the reminder may be planned again."""
    fake_twilio.open_session(f"whatsapp:{PATIENT}")
    asyncio.run(channel.send_text(PATIENT, "Bel 112."))
    assert asyncio.run(channel.lookup(message(last_reply_at=None, options={}))) is None


def test_send_text_answers_a_patient_in_session(
    channel: WhatsAppChannel, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.open_session(f"whatsapp:{PATIENT}")
    asyncio.run(channel.send_text(PATIENT, "Bel 112."))
    assert [(m.to, m.body) for m in fake_twilio.messages] == [(f"whatsapp:{PATIENT}", "Bel 112.")]


@pytest.mark.parametrize("given", ["whatsapp:+32470123456", "0470 12 34 56", "+32 470 12 34 56"])
def test_the_address_is_a_mobile_number_stored_without_prefix(given: str) -> None:
    assert registry.normalise("whatsapp", given) == PATIENT


def test_a_landline_is_refused_without_echoing_it() -> None:
    with pytest.raises(AddressError) as caught:
        registry.normalise("whatsapp", "050 36 51 11")
    assert "36 51" not in str(caught.value) and "WhatsApp" in str(caught.value)


def test_the_registry_knows_whatsapp_as_a_typed_personal_channel() -> None:
    assert registry.ceiling("whatsapp") == "personal"
    assert registry.typed_address("whatsapp")


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"content_sids": {"reminder": "HX123"}}, "content_sids.reminder"),
        ({"content_sids": {}, "content_variables": {"reminder": {"1": "x"}}}, "no content_sids"),
        (
            {"content_sids": {"reminder": "HX" + "0" * 32}, "content_variables": {"reminder": 1}},
            "non-empty text",
        ),
        ({"content_sids": ["HX"]}, "tables"),
        ({"content_sids": {"remnder": "HX" + "0" * 32}}, "names no template"),
        ({"content_sids": {}}, "must map a template"),
        ({"content_sids": {"reminder": "HX" + "0" * 32}, "sender": "x"}, "no option 'sender'"),
    ],
)
def test_bad_whatsapp_options_are_named(options: dict[str, Any], problem: str) -> None:
    found = option_problems(options, templates=["reminder"])
    assert [line for line in found if problem in line], found
    with pytest.raises(ChannelError) as caught:
        template_fields(message(options=options))
    assert caught.value.kind is ErrorKind.ACCOUNT_REFUSED


def _program_on_whatsapp(options: str) -> str:
    source = (REPO_ROOT / "schedules" / "post-stroke-weekly.toml").read_text()
    source = source.replace('order = ["telegram", "sms"', 'order = ["whatsapp", "telegram", "sms"')
    return source.replace("[templates.reminder]", f"{options}\n\n[templates.reminder]")


def _parse(source: str) -> Any:
    return parse_program(
        source,
        templates_dir=REPO_ROOT / "templates",
        settings=Settings(_env_file=None),  # type: ignore[call-arg]
    )


def test_a_program_maps_its_reminder_to_a_content_sid_for_whatsapp() -> None:
    sid = "HX" + "a" * 32
    program = _parse(
        _program_on_whatsapp(
            f'[channels.options.whatsapp]\ncontent_sids = {{ reminder = "{sid}" }}'
        )
    )
    options = program.channel_options["whatsapp"]
    assert option_problems(options, templates=list(program.templates)) == []
    fields = template_fields(message(options=options, last_reply_at=None))
    assert fields == {"content_sid": sid}


@pytest.mark.parametrize(
    "options",
    ["", "[channels.options.whatsapp]\ncontent_sids = {}"],
)
def test_a_program_on_whatsapp_without_a_content_sid_is_refused_when_loaded(options: str) -> None:
    with pytest.raises(ProgramError, match="channels.options.whatsapp: content_sids must map"):
        _parse(_program_on_whatsapp(options))


# --- the webhooks, served by carebot's own app -------------------------------------------

TOKEN = "0123456789abcdef0123456789abcdef"  # 32 hex digits, as Twilio's
PUBLIC = "https://carebot.example.org"
SMS_SID = "SM" + "c" * 32


def _program(folder: Path) -> None:
    path = write_program(folder)
    text = path.read_text().replace('order = ["console"]', 'order = ["whatsapp", "console"]')
    text += f'\n[channels.options.whatsapp]\ncontent_sids = {{ reminder = "HX{"b" * 32}" }}\n'
    path.write_text(text)


@pytest.fixture
def hooked(settings: Settings, tmp_path: Path) -> Iterator[tuple[Store, TestClient, str]]:
    _program(tmp_path)
    configured = settings_for(tmp_path, settings).model_copy(
        update={"twilio_auth_token": SecretStr(TOKEN), "carebot_public_url": PUBLIC}
    )
    store = open_store(configured)
    for reference, number in (("AZ-1", "+32470999999"), ("AZ-2", PATIENT)):
        patients.enrol(
            store,
            reference=reference,
            program="test-weekly",
            language="nl",
            timezone="Europe/Brussels",
            name="Jan",
            contacts={"whatsapp": number},
            consent=["whatsapp"],
            actor="test",
        )
    with store.session() as session:
        index = store.keys.address_index("whatsapp", PATIENT)
        who = session.exec(select(Contact.pseudonym).where(Contact.address_index == index)).one()
    yield store, TestClient(build_app(store)), who
    store.engine.dispose()


def _post(client: TestClient, path: str, form: dict[str, str]) -> Any:
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC + path, form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def test_a_signed_whatsapp_message_is_the_patients_reply_on_whatsapp(
    hooked: tuple[Store, TestClient, str],
) -> None:
    store, client, who = hooked
    form = {
        "MessageSid": "SM" + "a" * 32,
        "From": f"whatsapp:{PATIENT}",
        "To": f"whatsapp:{SENDER}",
        "Body": "bloeddruk 135/85",
    }
    response = _post(client, "/webhooks/twilio/whatsapp", form)
    assert response.status_code == 200 and response.text.startswith("<?xml")
    with store.session() as session:
        reply = session.exec(select(Reply)).one()
        assert (reply.channel, reply.pseudonym) == ("whatsapp", who)
    assert _post(client, "/webhooks/twilio/whatsapp", form).status_code == 200  # a replay
    with store.session() as session:
        assert len(session.exec(select(Reply)).all()) == 1


@pytest.mark.parametrize("sender", [PATIENT, "whatsapp:0470123456", "whatsapp:"])
def test_a_sender_that_is_not_a_whatsapp_number_is_refused(
    hooked: tuple[Store, TestClient, str], sender: str
) -> None:
    store, client, _ = hooked
    form = {"MessageSid": "SM" + "a" * 32, "From": sender, "Body": "ok"}
    assert _post(client, "/webhooks/twilio/whatsapp", form).status_code == 400
    forged = client.post(
        "/webhooks/twilio/whatsapp",
        data={**form, "From": f"whatsapp:{PATIENT}"},
        headers={"X-Twilio-Signature": "forged"},
    )
    assert forged.status_code == 403
    with store.session() as session:
        assert session.exec(select(Reply)).all() == []


def test_a_whatsapp_status_callback_moves_the_whatsapp_reminder_on_its_own_path(
    hooked: tuple[Store, TestClient, str],
) -> None:
    store, client, who = hooked
    now = datetime.now(UTC)
    with store.session() as session:
        session.add(
            Reminder(
                occurrence_key="k",
                pseudonym=who,
                program="test-weekly",
                local_slot="2026-11-30T10:00",
                due_at=now,
                status="sent",
                channel="whatsapp",
                provider_id=SMS_SID,
                updated_at=now,
            )
        )
    form = {"MessageSid": SMS_SID, "MessageStatus": "read"}
    assert _post(client, "/webhooks/twilio/status", form).status_code == 204  # SMS's: no change
    with store.session() as session:
        assert session.exec(select(Reminder)).one().status == "sent"
    assert _post(client, "/webhooks/twilio/whatsapp/status", form).status_code == 204
    with store.session() as session:
        assert session.exec(select(Reminder)).one().status == "read"


def test_carebot_patient_enrol_takes_a_whatsapp_number(cli: Cli) -> None:
    _program(cli.cwd)
    cli.env.update(CONFIGURED, TWILIO_WHATSAPP_FROM="+3278000001")  # a configured channel
    cli.env["CAREBOT_SCHEDULES_DIR"] = str(cli.cwd / "schedules")
    cli.env["CAREBOT_TEMPLATES_DIR"] = str(cli.cwd / "templates")
    args = ["patient", "enrol", "--ref", "AZ-7", "--program", "test-weekly", "--lang", "nl"]
    args += ["--tz", "Europe/Brussels", "--name", "Jan", "--consent", "whatsapp"]
    result = cli(*args, "--whatsapp", "0470 12 34 56", "--format", "json")
    assert result.code == 0, result.err
    pseudonym = json.loads(result.out)["pseudonym"]
    shown = json.loads(cli("patient", "show", pseudonym, "--format", "json").out)
    assert shown["addresses"] == {"whatsapp": "reachable"} and shown["consent"]["whatsapp"]
    assert PATIENT not in result.out + result.err
    stored = open_store(
        Settings(
            _env_file=None,  # type: ignore[call-arg]
            carebot_database_url=cli.env["CAREBOT_DATABASE_URL"],
            carebot_master_key=SecretStr(cli.env["CAREBOT_MASTER_KEY"]),
            carebot_pseudonym_secret=SecretStr(cli.env["CAREBOT_PSEUDONYM_SECRET"]),
        )
    )
    with stored.session() as session:  # found by the number in E.164, as a reply will be
        index = stored.keys.address_index("whatsapp", PATIENT)
        found = session.exec(select(Contact.pseudonym).where(Contact.address_index == index))
        assert found.one() == pseudonym
    stored.engine.dispose()
    refused = cli(*args[:3], "AZ-8", *args[4:], "--whatsapp", "050 36 51 11")
    assert refused.code == 1 and "WhatsApp" in refused.err and "36 51" not in refused.err, (
        refused.err
    )


@pytest.mark.parametrize("skew_minutes", [-15, 15])
def test_the_lookup_finds_the_message_although_twilios_clock_is_off(
    channel: WhatsAppChannel, fake_twilio: FakeTwilio, skew_minutes: int
) -> None:
    """Twilio's clock a quarter of an hour off the real time, carebot's (`tick --at`) a week
    ahead: the look-up searches around the real time the request left."""
    fake_twilio.clock = lambda: NOW + timedelta(minutes=skew_minutes)
    fake_twilio.open_session(f"whatsapp:{PATIENT}")  # the patient wrote, by Twilio's clock
    ahead = message(created_at=NOW + timedelta(days=7), last_reply_at=NOW + timedelta(days=7))
    fake_twilio.drop_next()
    with pytest.raises(ChannelError):
        send(channel, replace(ahead, sent_wall_at=NOW))
    [sent] = fake_twilio.messages
    assert asyncio.run(channel.lookup(replace(ahead, sent_wall_at=NOW))) == sent.sid
    # a SID carebot recorded for another attempt is never this one's
    assert (
        asyncio.run(
            channel.lookup(replace(ahead, sent_wall_at=NOW, known_ids=frozenset({sent.sid})))
        )
        is None
    )
