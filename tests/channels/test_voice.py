"""Voice calls through Twilio: the real SDK against the fake Twilio on 127.0.0.1, which checks
each call against Twilio's OpenAPI spec and parses its TwiML; the keypress and status callbacks
come back, signed by the fake, over real HTTP to carebot's own app (`build_app`, serving the
channel's routes) on a real store.

Each send test also checks that neither the patient's number nor the account's secrets reached
a log line or the error."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlmodel import select
from twilio.request_validator import RequestValidator

from bot.channels import registry
from bot.channels.addresses import AddressError
from bot.channels.base import ChannelError, ErrorKind, OutboundMessage
from bot.channels.voice import VoiceChannel, callbacks, twiml
from bot.config import REPO_ROOT, Settings
from bot.inbound.webhooks import build_app
from bot.patients import enrolment as patients
from bot.programs import render
from bot.programs.model import Program, ProgramError
from bot.programs.parse import parse_program
from bot.store.models import Reminder, Reply
from bot.store.store import Store, open_store
from tests.conftest import Cli
from tests.fakes.server import BackgroundServer
from tests.fakes.twilio import FakeTwilio
from tests.helpers import CONFIGURED, settings_for, write_program

PATIENT = "+32470123456"
SENDER = "+3250000000"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BODY = "Dag Jan, tijd voor uw wekelijkse controle: meet uw bloeddruk en uw bloedsuiker."


@dataclass
class Carebot:
    """carebot's web app on a real store, served over HTTP for the fake's callbacks."""

    store: Store
    url: str
    who: str

    def reminder(self, sid: str) -> None:
        """A reminder sent on voice as the call `sid`."""
        with self.store.session() as session:
            session.add(
                Reminder(
                    occurrence_key="k",
                    pseudonym=self.who,
                    program="test-weekly",
                    local_slot="2026-03-02T10:00",
                    due_at=NOW,
                    status="sent",
                    channel="voice",
                    provider_id=sid,
                    updated_at=NOW,
                )
            )

    def status(self) -> str:
        with self.store.session() as session:
            return session.exec(select(Reminder.status)).one()

    def text(self, reply: Reply) -> str:
        assert reply.id is not None and reply.key_owner
        with self.store.session() as session:
            return self.store.decrypt(
                session, reply.key_owner, reply.text_enc, table="reply", column="text", row=reply.id
            )

    def replies(self) -> list[Reply]:
        with self.store.session() as session:
            return list(session.exec(select(Reply)).all())


def _program(folder: Path) -> None:
    path = write_program(folder)
    path.write_text(path.read_text().replace('order = ["console"]', 'order = ["voice", "console"]'))


@pytest.fixture
def carebot(settings: Settings, tmp_path: Path, fake_twilio: FakeTwilio) -> Iterator[Carebot]:
    fake_twilio.clock = lambda: NOW
    _program(tmp_path)
    configured = settings_for(tmp_path, settings).model_copy(
        update={"twilio_auth_token": SecretStr(fake_twilio.auth_token)}
    )
    store = open_store(configured)
    enrolled = patients.enrol(
        store,
        reference="AZ-1",
        program="test-weekly",
        language="nl",
        timezone="Europe/Brussels",
        name="Jan",
        contacts={"voice": PATIENT},
        consent=["voice"],
        actor="test",
    )
    with BackgroundServer(build_app(store)) as url:
        yield Carebot(store, url, enrolled.pseudonym)
    store.engine.dispose()


@pytest.fixture
def channel(carebot: Carebot, fake_twilio: FakeTwilio) -> Iterator[VoiceChannel]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        twilio_account_sid=fake_twilio.account_sid,
        twilio_auth_token=SecretStr(fake_twilio.auth_token),
        twilio_voice_from=SENDER,
        carebot_twilio_api_url=fake_twilio.url,
        carebot_public_url=carebot.url,
    )
    assert VoiceChannel.configured(settings)
    made = VoiceChannel(settings)
    yield made
    asyncio.run(made.close())


@pytest.fixture(autouse=True)
def _debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for chatty in ("twilio", "urllib3", "requests"):
        caplog.set_level(logging.WARNING, logger=chatty)


def message(**changes: Any) -> OutboundMessage:
    base = OutboundMessage(
        attempt_id=7,
        pseudonym="P-TEST-0001",
        address=PATIENT,
        body=BODY,
        created_at=NOW,
        language="nl",
        template="reminder",
    )
    return replace(base, **changes)


def call(channel: VoiceChannel, outbound: OutboundMessage) -> str:
    return asyncio.run(channel.send(outbound))


def assert_nothing_leaked(caplog: pytest.LogCaptureFixture, fake: FakeTwilio, *texts: str) -> None:
    secrets = [PATIENT, PATIENT.removeprefix("+"), fake.auth_token, fake.account_sid]
    for line in [r.getMessage() + (r.exc_text or "") for r in caplog.records] + list(texts):
        assert not [s for s in secrets if s in line], line


def test_the_call_reads_the_reminder_slowly_twice_then_asks_for_a_key(
    channel: VoiceChannel,
    carebot: Carebot,
    fake_twilio: FakeTwilio,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sid = call(channel, message())
    [made] = fake_twilio.voice.calls
    assert (made.sid, made.to, made.from_) == (sid, PATIENT, SENDER)
    assert made.params["MachineDetection"] == "Enable"
    assert made.params["StatusCallback"] == f"{carebot.url}{callbacks.STATUS_PATH}?attempt=7"
    read = [s for s in made.says if not s.in_gather]
    assert [s.text for s in read[:2]] == [BODY, BODY]
    assert {(s.language, s.voice, s.rate) for s in made.says} == {
        ("nl-BE", "Polly.Lisa-Neural", "slow")
    }
    assert "<Pause" in made.twiml.split("</Say>", 1)[1].split("<Say", 1)[0]
    assert [(g.num_digits, g.action) for g in made.gathers] == [
        ("1", f"{carebot.url}{callbacks.GATHER_PATH}?attempt=7&lang=nl")
    ] * 2
    asked = [s.text for s in made.says if s.in_gather]
    assert asked and all("Druk op 2" in text for text in asked)
    assert_nothing_leaked(caplog, fake_twilio)


@pytest.mark.parametrize(
    ("language", "locale", "question"),
    [("fr", "fr-BE", "appuyez sur 2"), ("en", "en-GB", "press 2")],
)
def test_the_call_speaks_the_patients_language(
    channel: VoiceChannel, fake_twilio: FakeTwilio, language: str, locale: str, question: str
) -> None:
    call(channel, message(language=language))
    [made] = fake_twilio.voice.calls
    assert {s.language for s in made.says} == {locale}
    assert question in next(s.text for s in made.says if s.in_gather)


def test_a_language_with_no_voice_places_no_call(
    channel: VoiceChannel, fake_twilio: FakeTwilio
) -> None:
    with pytest.raises(ChannelError) as caught:
        call(channel, message(language="de"))
    assert caught.value.kind is ErrorKind.ACCOUNT_REFUSED and fake_twilio.voice.calls == []


def test_the_program_may_choose_the_voice_but_not_inject_markup(
    channel: VoiceChannel, fake_twilio: FakeTwilio
) -> None:
    call(channel, message(options={"voices": {"nl": "Google.nl-BE-Standard-B"}}))
    assert {s.voice for s in fake_twilio.voice.calls[0].says} == {"Google.nl-BE-Standard-B"}
    with pytest.raises(ChannelError):
        call(channel, message(options={"voices": {"nl": 'x" language="en'}}))


@pytest.mark.parametrize(
    "hostile",
    [
        "Jan</prosody></Say><Dial>+19005550100</Dial><Say>",
        "Jan ]]> & <![CDATA[ <Hangup/> &amp; \"' ",
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]>&e;',
    ],
)
def test_hostile_body_text_is_read_out_never_run_as_twiml(
    channel: VoiceChannel, fake_twilio: FakeTwilio, hostile: str
) -> None:
    call(channel, message(body=hostile))
    [made] = fake_twilio.voice.calls
    assert [s.text for s in made.says if not s.in_gather][:2] == [hostile, hostile]
    assert "<Dial" not in made.twiml and "<Hangup" not in made.twiml


def test_a_reminder_too_long_for_twilio_places_no_call(
    channel: VoiceChannel, fake_twilio: FakeTwilio
) -> None:
    with pytest.raises(ChannelError) as caught:
        call(channel, message(body="meet uw bloeddruk " * 120))
    assert caught.value.kind is ErrorKind.ACCOUNT_REFUSED and fake_twilio.voice.calls == []


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (400, 21211, ErrorKind.UNREACHABLE),
        (400, 21217, ErrorKind.UNREACHABLE),
        (400, 13224, ErrorKind.UNREACHABLE),
        (400, 21216, ErrorKind.UNREACHABLE),
        (400, 21215, ErrorKind.ACCOUNT_REFUSED),
        (400, 13227, ErrorKind.ACCOUNT_REFUSED),
        (400, 21210, ErrorKind.ACCOUNT_REFUSED),
        (400, 21219, ErrorKind.ACCOUNT_REFUSED),
        (429, 20429, ErrorKind.RETRY),
        (500, 20500, ErrorKind.AMBIGUOUS),
        (503, 20503, ErrorKind.AMBIGUOUS),
        (401, 20003, ErrorKind.RETRY),
    ],
)
def test_each_twilio_answer_maps_to_one_error_kind_and_leaks_nothing(
    channel: VoiceChannel,
    fake_twilio: FakeTwilio,
    caplog: pytest.LogCaptureFixture,
    status: int,
    code: int,
    kind: ErrorKind,
) -> None:
    fake_twilio.fail_next(status, code=code, message=f"cannot call {PATIENT}", on="call")
    with pytest.raises(ChannelError) as caught:
        call(channel, message())
    assert (caught.value.kind, caught.value.code) == (kind, str(code))
    assert caught.value.retry_after == (1.0 if status == 429 else None)
    assert_nothing_leaked(caplog, fake_twilio, str(caught.value), repr(caught.value))


def test_a_lost_answer_is_ambiguous_and_the_lookup_finds_the_call(
    channel: VoiceChannel, fake_twilio: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    assert asyncio.run(channel.lookup(message())) is None
    fake_twilio.drop_next(target="call")
    with pytest.raises(ChannelError) as caught:
        call(channel, message())
    assert caught.value.kind is ErrorKind.AMBIGUOUS
    [made] = fake_twilio.voice.calls
    assert asyncio.run(channel.lookup(message())) == made.sid
    call(channel, message())
    with pytest.raises(NotImplementedError):  # two calls then: an admin decides
        asyncio.run(channel.lookup(message()))
    assert_nothing_leaked(caplog, fake_twilio, str(caught.value))


@pytest.mark.parametrize(
    ("status", "answered_by", "outcome"),
    [
        ("completed", "human", ("delivered", None)),
        ("completed", "unknown", ("delivered", None)),
        ("completed", "machine_start", ("failed", "answered-by-machine")),
        ("completed", "machine_end_beep", ("failed", "answered-by-machine")),
        ("completed", "fax", ("failed", "answered-by-machine")),
        ("no-answer", None, ("failed", "no-answer")),
        ("busy", None, ("failed", "busy")),
        ("failed", None, ("failed", "failed")),
        ("canceled", None, ("failed", "canceled")),
    ],
)
def test_the_calls_status_callback_moves_the_reminder(
    channel: VoiceChannel,
    carebot: Carebot,
    fake_twilio: FakeTwilio,
    caplog: pytest.LogCaptureFixture,
    status: str,
    answered_by: str | None,
    outcome: tuple[str, str | None],
) -> None:
    """A machine that answered heard the reminder for nobody: the reminder ends `failed`."""
    sid = call(channel, message())
    carebot.reminder(sid)
    assert fake_twilio.voice.answer(sid, status=status, answered_by=answered_by).status_code == 204
    assert carebot.status() == outcome[0]
    form = {"CallSid": sid, "CallStatus": status}
    if status == "completed" and answered_by:
        form["AnsweredBy"] = answered_by
    found = callbacks.call_outcome(form, {"attempt": "7"})
    assert found is not None and (found.reason, found.attempt) == (outcome[1], "7")
    assert_nothing_leaked(caplog, fake_twilio)


def test_a_ringing_call_changes_nothing() -> None:
    form = {"CallSid": "CA" + "0" * 32, "CallStatus": "ringing"}
    assert callbacks.call_outcome(form, {"attempt": "7"}) is None


@pytest.mark.parametrize(
    ("digit", "text", "thanks", "flags", "priority"),
    [
        ("1", "keypress 1: measured", "Tot volgende week", "", 3),
        ("2", "asks to talk to a nurse", "belt u terug", "attention", 1),
    ],
)
def test_a_keypress_is_the_patients_reply_and_is_thanked_in_their_language(
    channel: VoiceChannel,
    carebot: Carebot,
    fake_twilio: FakeTwilio,
    caplog: pytest.LogCaptureFixture,
    digit: str,
    text: str,
    thanks: str,
    flags: str,
    priority: int,
) -> None:
    """Key 2 reaches the nurses' queue as `attention`, though its text alone says nothing to
    triage; either key means the reminder was heard (`read`)."""
    sid = call(channel, message())
    carebot.reminder(sid)
    answer = fake_twilio.voice.press(sid, digit)
    assert answer.status_code == 200 and thanks in answer.text and "<Hangup" in answer.text
    assert fake_twilio.take_violations() == []
    [reply] = carebot.replies()
    assert (reply.channel, reply.pseudonym, reply.provider_message_id) == (
        "voice",
        carebot.who,
        f"{sid}-{digit}",
    )
    assert (reply.flags, reply.priority) == (flags, priority)
    assert text in carebot.text(reply)
    assert carebot.status() == "read"
    assert fake_twilio.voice.press(sid, digit).status_code == 200  # a replay: nothing new
    assert len(carebot.replies()) == 1
    assert_nothing_leaked(caplog, fake_twilio)


def test_another_key_is_no_reply_and_the_question_comes_again(
    channel: VoiceChannel, carebot: Carebot, fake_twilio: FakeTwilio
) -> None:
    sid = call(channel, message(language="fr"))
    carebot.reminder(sid)
    answer = fake_twilio.voice.press(sid, "7")
    assert carebot.replies() == [] and carebot.status() == "sent"
    assert "<Gather" in answer.text and "appuyez sur 2" in answer.text
    assert "attempt=7" in answer.text and "lang=fr" in answer.text


def test_a_forged_or_altered_callback_is_refused(carebot: Carebot, fake_twilio: FakeTwilio) -> None:
    url = f"{carebot.url}{callbacks.GATHER_PATH}?attempt=7&lang=nl"
    form = {"CallSid": "CA" + "0" * 32, "Digits": "2", "To": PATIENT}
    good = RequestValidator(fake_twilio.auth_token).compute_signature(url, form)
    tampered = url.replace("attempt=7", "attempt=8")
    for target, data, signature in [
        (tampered, form, good),
        (url, {**form, "Digits": "1"}, good),
        (url, form, ""),
        (f"{carebot.url}{callbacks.STATUS_PATH}", {**form, "CallStatus": "busy"}, good),
    ]:
        headers = {"X-Twilio-Signature": signature} if signature else {}
        assert httpx.post(target, data=data, headers=headers).status_code == 403
    assert httpx.post(url, data=form, headers={"X-Twilio-Signature": good}).status_code == 200
    assert [r.flags for r in carebot.replies()] == ["attention"]


def test_a_signed_callback_carebot_cannot_use_is_refused(
    carebot: Carebot, fake_twilio: FakeTwilio
) -> None:
    for path, form in [
        (callbacks.GATHER_PATH, {"CallSid": "CA123", "Digits": "2", "To": PATIENT}),
        (callbacks.GATHER_PATH, {"CallSid": "CA" + "0" * 32, "Digits": "2", "To": "<b>"}),
        (callbacks.STATUS_PATH, {"CallSid": "SM" + "0" * 32, "CallStatus": "completed"}),
    ]:
        assert fake_twilio.signed_post(f"{carebot.url}{path}", form).status_code == 400
    assert carebot.replies() == []


def test_send_text_is_refused_for_want_of_the_patients_language(
    channel: VoiceChannel, fake_twilio: FakeTwilio
) -> None:
    with pytest.raises(ChannelError) as caught:
        asyncio.run(channel.send_text(PATIENT, "Bel 112."))
    assert caught.value.kind is ErrorKind.ACCOUNT_REFUSED and fake_twilio.voice.calls == []


@pytest.mark.parametrize(
    ("given", "stored"), [("050 36 51 11", "+3250365111"), ("0470 12 34 56", PATIENT)]
)
def test_a_landline_or_a_mobile_can_be_called(given: str, stored: str) -> None:
    assert registry.normalise("voice", given) == stored


def test_a_number_no_call_can_ring_is_refused_without_echoing_it() -> None:
    with pytest.raises(AddressError) as caught:
        registry.normalise("voice", "0900 12 345")
    assert "12 345" not in str(caught.value)


def test_the_registry_knows_voice_as_a_typed_personal_channel() -> None:
    assert registry.ceiling("voice") == "personal" and registry.typed_address("voice")


def _parse(source: str) -> Program:
    return parse_program(
        source,
        templates_dir=REPO_ROOT / "templates",
        settings=Settings(_env_file=None),  # type: ignore[call-arg]
    )


def _shipped_on_voice(options: str = "") -> str:
    source = (REPO_ROOT / "schedules" / "post-stroke-weekly.toml").read_text()
    source = source.replace('"x", "console"]', '"x", "voice", "console"]').replace(
        'templates = { x = "reminder_public" }',
        'templates = { x = "reminder_public", voice = "reminder_voice" }',
    )
    return source + f'\n[templates.reminder_voice]\nsensitivity = "personal"\n{options}'


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_the_shipped_voice_template_loads_and_fits_one_call(language: str) -> None:
    program = _parse(_shipped_on_voice())
    body = render.render_message(
        program,
        channel="voice",
        language=language,
        name="Marie-Christine " * 4,
        week=52,
        emergency_number="112",
        hospital="",
    )
    assert "112" in body and "{{" not in body
    document = twiml.reminder_call(body=body, language=language, action="https://h/g", options={})
    assert len(document) <= twiml.TWIML_LIMIT


@pytest.mark.parametrize(
    ("options", "refusal"),
    [
        ('voices = { nl = "x\\" language=\\"en" }', "voices.nl: bad voice"),
        ('voices = { de = "Polly.Vicki-Neural" }', "voices.de: no voice"),
        ('voices = "Polly.Lisa-Neural"', "voices must be a table"),
        ("speed = 2", "channel voice takes no option 'speed'"),
    ],
)
def test_bad_voice_options_refuse_the_program_when_loaded(options: str, refusal: str) -> None:
    with pytest.raises(ProgramError, match=refusal):
        _parse(_shipped_on_voice(f"\n[channels.options.voice]\n{options}\n"))
    assert _parse(
        _shipped_on_voice('\n[channels.options.voice]\nvoices = { nl = "Polly.Lotte" }\n')
    )


def test_a_template_too_long_for_one_call_refuses_the_program_when_loaded(tmp_path: Path) -> None:
    path = write_program(tmp_path, template="Dag {{ name }}. " + "Meet uw bloeddruk. " * 150)
    source = path.read_text().replace('order = ["console"]', 'order = ["voice", "console"]')
    with pytest.raises(ProgramError, match="too long for a call"):
        parse_program(
            source,
            templates_dir=tmp_path / "templates",
            settings=Settings(_env_file=None),  # type: ignore[call-arg]
        )


def test_carebot_patient_enrol_takes_a_number_to_call(cli: Cli) -> None:
    _program(cli.cwd)
    cli.env.update(  # a configured channel
        CONFIGURED, TWILIO_VOICE_FROM="+3250000001", CAREBOT_PUBLIC_URL="https://carebot.example"
    )
    cli.env["CAREBOT_SCHEDULES_DIR"] = str(cli.cwd / "schedules")
    cli.env["CAREBOT_TEMPLATES_DIR"] = str(cli.cwd / "templates")
    args = ["patient", "enrol", "--ref", "AZ-7", "--program", "test-weekly", "--lang", "fr"]
    args += ["--tz", "Europe/Brussels", "--name", "Marie", "--consent", "voice"]
    result = cli(*args, "--voice", "050 36 51 11", "--format", "json")  # a landline rings too
    assert result.code == 0, result.err
    pseudonym = json.loads(result.out)["pseudonym"]
    shown = json.loads(cli("patient", "show", pseudonym, "--format", "json").out)
    assert shown["addresses"] == {"voice": "reachable"} and shown["consent"]["voice"]
    assert "36 51" not in result.out + result.err
    refused = cli(*args[:3], "AZ-8", *args[4:], "--voice", "0900 12 345")
    assert refused.code == 1 and "voice number" in refused.err and "12 345" not in refused.err


@pytest.mark.parametrize("skew_minutes", [-15, 15])
def test_the_lookup_finds_the_call_although_twilios_clock_is_off(
    channel: VoiceChannel, fake_twilio: FakeTwilio, skew_minutes: int
) -> None:
    """Twilio's clock a quarter of an hour off the real time, carebot's (`tick --at`) a week
    ahead; and a call carebot recorded for another attempt is not taken for this one."""
    fake_twilio.clock = lambda: NOW + timedelta(minutes=skew_minutes)
    ahead = message(created_at=NOW + timedelta(days=7), sent_wall_at=NOW)
    call(channel, ahead)  # an earlier attempt, answered: its SID is recorded
    [earlier] = fake_twilio.voice.calls
    fake_twilio.drop_next(target="call")
    with pytest.raises(ChannelError):
        call(channel, ahead)
    lost = fake_twilio.voice.calls[-1]
    known = replace(ahead, known_ids=frozenset({earlier.sid}))
    assert asyncio.run(channel.lookup(known)) == lost.sid
