"""End to end over real channels: the `carebot` command and the real SDKs against local fake
providers on 127.0.0.1 that check every request against tests/contracts/."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from tests.conftest import CAREBOT, Cli
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio
from tests.fakes.x import FakeX
from tests.helpers import cli_tick, first_due

PHONE = "+32470123456"
CHAT = 555001


@pytest.fixture
def served(wired: Cli) -> Iterator[str]:
    """`carebot serve` on a free port, its URL also the public URL given to Twilio."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    wired.env["CAREBOT_PUBLIC_URL"] = url
    assert wired("db", "upgrade").code == 0
    proc = subprocess.Popen(
        [CAREBOT, "serve", "--port", str(port)],
        cwd=wired.cwd,
        env=wired.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        assert _healthz(url) == 200, "carebot serve did not start"
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _healthz(url: str, seconds: float = 10.0) -> int:
    """GET /healthz once the server listens (it may start after the first cycle)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return httpx.get(f"{url}/healthz", timeout=5).status_code
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _enrol(cli: Cli, consent: str = "sms", **extra: str) -> dict[str, str]:
    args = [
        "patient",
        "enrol",
        "--ref",
        "AZ-42",
        "--program",
        "post-stroke-weekly",
        "--lang",
        "nl",
        "--tz",
        "Europe/Brussels",
        "--name",
        "Jan",
        "--sms",
        PHONE,
        "--consent",
        consent,
        "--format",
        "json",
    ]
    for key, value in extra.items():
        args += [f"--{key}", value]
    result = cli(*args)
    assert result.code == 0, result.err
    return dict(json.loads(result.out))


def _deliveries(cli: Cli) -> list[dict[str, object]]:
    return list(json.loads(cli("audit", "deliveries", "--format", "json").out))


def test_a_reminder_goes_by_sms_and_the_status_callback_marks_it_delivered(
    wired: Cli, served: str, fake_twilio: FakeTwilio
) -> None:
    _enrol(wired)
    cli_tick(wired, first_due() + timedelta(minutes=1))
    assert [m.to for m in fake_twilio.messages] == [PHONE]
    sms = fake_twilio.messages[0]
    assert "Jan" in sms.body
    assert sms.status_callback == f"{served}/webhooks/twilio/status?attempt=1"
    assert fake_twilio.deliver(sms.sid).status_code == 204
    first = _deliveries(wired)[0]
    assert (first["status"], first["channel"], first["provider_id"]) == (
        "delivered",
        "sms",
        sms.sid,
    )


def test_sms_reaches_the_configured_api_url_with_a_twilio_region_and_edge_set(
    wired: Cli, fake_twilio: FakeTwilio
) -> None:
    wired.env.update({"TWILIO_REGION": "ie1", "TWILIO_EDGE": "dublin"})  # read by the SDK
    _enrol(wired)
    cli_tick(wired, first_due() + timedelta(minutes=1))
    assert [m.to for m in fake_twilio.messages] == [PHONE]
    assert _deliveries(wired)[0]["status"] == "sent"


@pytest.mark.subprocess  # one flow through the installed script: enrol, a reply, a tick
def test_a_signed_stop_opts_out_and_nothing_more_is_sent(
    wired: Cli, served: str, fake_twilio: FakeTwilio
) -> None:
    _enrol(wired)
    response = fake_twilio.inbound(
        f"{served}/webhooks/twilio/sms", from_=PHONE, to="+3278000000", body="STOP"
    )
    assert response.status_code == 200
    forged = httpx.post(
        f"{served}/webhooks/twilio/sms",
        data={"From": PHONE, "Body": "START"},
        headers={"X-Twilio-Signature": "forged"},
    )
    assert forged.status_code == 403
    cli_tick(wired, first_due() + timedelta(minutes=1))
    assert fake_twilio.messages == []
    assert _deliveries(wired)[0]["status"] == "undeliverable"
    replies = json.loads(wired("replies", "--format", "json").out)
    assert [r["flags"] for r in replies] == [["opt-out"]]  # the forged START left no trace


def _code(link: str) -> str:
    return parse_qs(urlparse(link).query)["start"][0]


def _the_chats_second_has_passed(fake: FakeTelegram) -> None:
    """The next tick is days later by its `--at`, but the fake's one message a second per chat
    (Telegram's limit) runs on the real clock: let that second pass since the last message."""
    wait = fake.sent[-1].accepted_at + 1.0 - time.monotonic()
    if wait > 0:
        time.sleep(wait)


def test_telegram_start_code_binds_the_chat_once(wired: Cli, fake_telegram: FakeTelegram) -> None:
    link = _enrol(wired, consent="telegram")["telegram_link"]
    assert link.startswith("https://t.me/carebot_test_bot?start=")
    fake_telegram.push_update(CHAT, f"/start {_code(link)}")
    fake_telegram.push_update(CHAT + 1, f"/start {_code(link)}")  # someone else, same code
    cli_tick(wired, datetime.now().astimezone())
    answers = {s.chat_id: s.text for s in fake_telegram.sent}
    assert answers[str(CHAT)].startswith("Welkom")
    assert "already used" in answers[str(CHAT + 1)]
    listed = json.loads(wired("patient", "list", "--format", "json").out)
    assert listed[0]["channels"] == ["telegram"]
    _the_chats_second_has_passed(fake_telegram)
    cli_tick(wired, first_due() + timedelta(minutes=1))
    assert [s.chat_id for s in fake_telegram.sent][-1] == str(CHAT)
    assert "Jan" in fake_telegram.sent[-1].text


def test_a_telegram_chat_already_bound_to_another_patient_is_refused(
    wired: Cli, fake_telegram: FakeTelegram
) -> None:
    first = _enrol(wired, consent="telegram")
    second = _enrol(wired, consent="telegram", ref="AZ-43", sms="+32470123457")
    fake_telegram.push_update(CHAT, f"/start {_code(first['telegram_link'])}")
    fake_telegram.push_update(CHAT, f"/start {_code(second['telegram_link'])}")
    cli_tick(wired, datetime.now().astimezone())
    assert "another patient" in fake_telegram.sent[-1].text
    shown = json.loads(wired("patient", "show", second["pseudonym"], "--format", "json").out)
    assert "telegram" not in shown["addresses"]


def test_telegram_stop_withdraws_consent_and_no_reminder_follows(
    wired: Cli, fake_telegram: FakeTelegram
) -> None:
    link = _enrol(wired, consent="telegram")["telegram_link"]
    fake_telegram.push_update(CHAT, f"/start {_code(link)}")
    fake_telegram.push_update(CHAT, "/stop")
    cli_tick(wired, datetime.now().astimezone())
    assert fake_telegram.sent[-1].text.startswith("U krijgt geen berichten meer")
    listed = json.loads(wired("patient", "list", "--format", "json").out)
    assert listed[0]["channels"] == []
    sent_before = len(fake_telegram.sent)
    cli_tick(wired, first_due() + timedelta(minutes=1))
    assert len(fake_telegram.sent) == sent_before
    assert _deliveries(wired)[0]["status"] == "undeliverable"


def test_when_the_patient_blocks_the_bot_the_reminder_goes_by_sms(
    wired: Cli, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio
) -> None:
    link = _enrol(wired, consent="telegram,sms")["telegram_link"]
    fake_telegram.push_update(CHAT, f"/start {_code(link)}")
    cli_tick(wired, datetime.now().astimezone())
    fake_telegram.block(CHAT)
    cli_tick(wired, first_due() + timedelta(minutes=1))
    assert [m.to for m in fake_twilio.messages] == [PHONE]
    first = _deliveries(wired)[0]
    assert (first["status"], first["channel"]) == ("sent", "sms")
    listed = json.loads(wired("patient", "list", "--format", "json").out)
    assert listed[0]["channels"] == ["sms"]  # blocking the bot withdrew telegram consent


def test_with_telegram_unreachable_the_sms_reminders_still_go(
    wired: Cli, fake_twilio: FakeTwilio
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        wired.env["CAREBOT_TELEGRAM_API_URL"] = f"http://127.0.0.1:{probe.getsockname()[1]}/bot"
    _enrol(wired)
    cli_tick(wired, first_due() + timedelta(minutes=1))  # polling Telegram fails first
    assert [m.to for m in fake_twilio.messages] == [PHONE]


def test_a_twilio_account_refusal_goes_by_the_next_channel_and_keeps_the_number(
    wired: Cli, fake_twilio: FakeTwilio, fake_x: FakeX
) -> None:
    _x_wired(wired, fake_x)
    pseudonym = _enrol(wired, consent="sms,x", x="2244994950")["pseudonym"]
    fake_twilio.fail_next(400, code=21408)  # the account may not send to Belgium
    cli_tick(wired, first_due() + timedelta(minutes=1))
    assert fake_twilio.messages == [] and len(fake_x.sent) == 1  # by X, in the same tick
    first = _deliveries(wired)[0]
    assert (first["status"], first["channel"]) == ("sent", "x")
    shown = json.loads(wired("patient", "show", pseudonym, "--format", "json").out)
    assert shown["addresses"] == {"sms": "reachable", "x": "reachable"}
    assert shown["consent"] == {"sms": True, "x": True}


def test_twilio_429_and_500_are_retried_without_sending_twice(
    wired: Cli, fake_twilio: FakeTwilio
) -> None:
    _enrol(wired)
    due = first_due()
    fake_twilio.fail_next(429)
    cli_tick(wired, due + timedelta(minutes=1))
    assert fake_twilio.messages == [] and _deliveries(wired)[0]["status"] == "planned"
    fake_twilio.fail_next(500)  # ambiguous: looked up first; not there, so retried later
    cli_tick(wired, due + timedelta(minutes=30))
    assert fake_twilio.messages == []
    fake_twilio.drop_next(target="create")  # accepted, then the connection drops
    fake_twilio.clock = lambda: due + timedelta(hours=2)  # the provider's clock agrees
    cli_tick(wired, due + timedelta(hours=2))
    cli_tick(wired, due + timedelta(hours=4))
    assert len(fake_twilio.messages) == 1  # found by the look-up, never sent again
    first = _deliveries(wired)[0]
    assert first["status"] == "sent" and first["provider_id"] == fake_twilio.messages[0].sid


def test_an_urgent_reply_is_answered_at_once_and_the_on_call_nurse_gets_only_the_pseudonym(
    wired: Cli, fake_twilio: FakeTwilio
) -> None:
    from tests.helpers import write_program

    path = write_program(wired.cwd, name="on-call-weekly")
    path.write_text(path.read_text() + '\n[on_call]\nchannel = "sms"\naddress = "+32470999888"\n')
    wired.env.update(
        {
            "CAREBOT_SCHEDULES_DIR": str(wired.cwd / "schedules"),
            "CAREBOT_TEMPLATES_DIR": str(wired.cwd / "templates"),
        }
    )
    enrolled = wired(
        "patient",
        "enrol",
        "--ref",
        "AZ-77",
        "--program",
        "on-call-weekly",
        "--lang",
        "nl",
        "--tz",
        "Europe/Brussels",
        "--name",
        "Jan",
        "--consent",
        "console",
        "--format",
        "json",
    )
    pseudonym = json.loads(enrolled.out)["pseudonym"]
    result = wired("reply", pseudonym, "mijn arm is slap en ik praat raar")
    assert result.code == 0, result.err
    assert "urgent" in result.out and "Bel 112" in result.out  # the program's emergency text
    assert [(m.to, m.body) for m in fake_twilio.messages] == [
        (
            "+32470999888",
            f"carebot: urgent reply waiting from {pseudonym}. "
            "Open it with `carebot replies --urgent`.",
        )
    ]
    queue = json.loads(wired("replies", "--format", "json").out)
    assert queue[0]["pseudonym"] == pseudonym and "urgent" in queue[0]["flags"]


def test_carebot_run_polls_telegram_and_serves_webhooks_until_stopped(
    wired: Cli, fake_telegram: FakeTelegram
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    wired.env["CAREBOT_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
    link = _enrol(wired, consent="telegram")["telegram_link"]
    fake_telegram.push_update(CHAT, f"/start {_code(link)}")
    proc = subprocess.Popen(
        [CAREBOT, "run", "--interval", "1", "--port", str(port)],
        cwd=wired.cwd,
        env=wired.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not fake_telegram.sent:
            time.sleep(0.2)
        assert [s.chat_id for s in fake_telegram.sent] == [str(CHAT)]  # the welcome
        assert _healthz(f"http://127.0.0.1:{port}") == 200  # the webhooks are served too
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def _x_wired(cli: Cli, fake_x: FakeX) -> None:
    creds = fake_x.credentials()
    cli.env.update(
        {
            "X_CONSUMER_KEY": creds["consumer_key"],
            "X_CONSUMER_SECRET": creds["consumer_secret"],
            "X_ACCESS_TOKEN": creds["access_token"],
            "X_ACCESS_TOKEN_SECRET": creds["access_token_secret"],
            "CAREBOT_X_API_URL": fake_x.url,
        }
    )


def _x_enrolled(cli: Cli, fake_x: FakeX, *, ref: str, user_id: str) -> None:
    """The `carebot` command pointed at the fake X, and one patient enrolled on X."""
    _x_wired(cli, fake_x)
    result = cli(
        "patient",
        "enrol",
        "--ref",
        ref,
        "--program",
        "post-stroke-weekly",
        "--lang",
        "en",
        "--tz",
        "Europe/Brussels",
        "--name",
        "Jan",
        "--x",
        user_id,
        "--consent",
        "x",
        "--format",
        "json",
    )
    assert result.code == 0, result.err


def test_x_sends_only_the_public_template_and_reads_replies(cli: Cli, fake_x: FakeX) -> None:
    _x_enrolled(cli, fake_x, ref="AZ-X1", user_id="2244994945")
    cli_tick(cli, first_due() + timedelta(minutes=1))
    assert [e.text for e in fake_x.sent] == [
        "Hello Jan, have a good week! Remember your weekly check."
    ]  # nothing about health
    fake_x.push_dm("2244994945", "STOP")
    cli_tick(cli, first_due() + timedelta(minutes=2))
    listed = json.loads(cli("patient", "list", "--format", "json").out)
    assert listed[0]["channels"] == []
    queue = json.loads(cli("replies", "--format", "json").out)
    assert [(r["channel"], r["flags"]) for r in queue] == [("x", ["opt-out"])]


def test_a_patient_who_refuses_dms_has_their_x_contact_marked_unreachable(
    cli: Cli, fake_x: FakeX
) -> None:
    _x_enrolled(cli, fake_x, ref="AZ-X4", user_id="2244994948")
    fake_x.refuse_dms("2244994948")
    cli_tick(cli, first_due() + timedelta(minutes=1))
    cli_tick(cli, first_due() + timedelta(hours=1))
    delivery = _deliveries(cli)[0]  # the first week's; later weeks are planned too
    assert (delivery["status"], delivery["attempts"]) == ("undeliverable", 1)  # no retry
    pseudonym = str(delivery["pseudonym"])
    shown = json.loads(cli("patient", "show", pseudonym, "--format", "json").out)
    assert shown["addresses"] == {"x": "unreachable"}
    assert fake_x.sent == []


def test_an_x_app_without_dm_access_keeps_the_patients_contact_and_retries(
    cli: Cli, fake_x: FakeX
) -> None:
    """X's 403 "Client Forbidden" is the hospital's app, not the patient: every patient on
    X would otherwise be marked unreachable by one misconfiguration."""
    _x_enrolled(cli, fake_x, ref="AZ-X5", user_id="2244994949")
    fake_x.unenrolled = True
    cli_tick(cli, first_due() + timedelta(minutes=1))
    delivery = _deliveries(cli)[0]  # the first week's; later weeks are planned too
    assert delivery["status"] == "planned"  # to be retried within the catch-up grace
    assert "X app" in str(delivery["error"])
    pseudonym = str(delivery["pseudonym"])
    shown = json.loads(cli("patient", "show", pseudonym, "--format", "json").out)
    assert shown["addresses"] == {"x": "reachable"}
    fake_x.unenrolled = False  # the admin attached the app to a project
    cli_tick(cli, first_due() + timedelta(hours=1))
    assert _deliveries(cli)[0]["status"] == "sent"
    assert len(fake_x.sent) == 1


def test_an_expired_telegram_code_is_refused_politely(
    wired: Cli, fake_telegram: FakeTelegram
) -> None:
    link = _enrol(wired, consent="telegram")["telegram_link"]
    later = datetime.now().astimezone() + timedelta(hours=73)  # the link lives 72 hours
    fake_telegram.clock = lambda: later
    fake_telegram.push_update(CHAT, f"/start {_code(link)}")
    cli_tick(wired, later)
    assert "expired" in fake_telegram.sent[-1].text
    listed = json.loads(wired("patient", "list", "--format", "json").out)
    assert listed[0]["channels"] == ["telegram"]  # consent on paper, but no chat bound...
    assert json.loads(wired("patient", "show", listed[0]["pseudonym"], "--format", "json").out)[
        "addresses"
    ] == {"sms": "reachable"}


def test_a_migrated_telegram_chat_is_followed(wired: Cli, fake_telegram: FakeTelegram) -> None:
    link = _enrol(wired, consent="telegram")["telegram_link"]
    fake_telegram.push_update(CHAT, f"/start {_code(link)}")
    cli_tick(wired, datetime.now().astimezone())
    fake_telegram.migrate(CHAT, -1001234567890)
    cli_tick(wired, first_due() + timedelta(minutes=1))
    assert fake_telegram.sent[-1].chat_id == "-1001234567890"
    assert _deliveries(wired)[0]["status"] == "sent"


def test_a_dm_whose_answer_was_lost_is_found_at_x_and_not_sent_again(
    cli: Cli, fake_x: FakeX
) -> None:
    _x_enrolled(cli, fake_x, ref="AZ-X2", user_id="2244994946")
    due = first_due() + timedelta(minutes=1)
    fake_x.clock = lambda: due
    fake_x.drop_next(target="dm")  # accepted, then the connection drops
    cli_tick(cli, due)
    cli_tick(cli, due + timedelta(hours=1))
    assert len(fake_x.sent) == 1
    first = _deliveries(cli)[0]
    assert first["status"] == "sent" and first["provider_id"] == fake_x.sent[0].id


def test_an_urgent_dm_is_answered_at_once_by_dm_and_only_once(cli: Cli, fake_x: FakeX) -> None:
    _x_enrolled(cli, fake_x, ref="AZ-X3", user_id="2244994947")
    fake_x.push_dm("2244994947", "my left arm is weak and my speech is slurred")
    now = datetime.now().astimezone()
    cli_tick(cli, now)
    cli_tick(cli, now + timedelta(minutes=1))  # the same DM comes back in the next poll
    assert [(e.participant_ids, e.text) for e in fake_x.sent] == [
        ((fake_x.user_id, "2244994947"), "This may be a stroke. Call 112 right now. Do not wait.")
    ]
    queue = json.loads(cli("replies", "--format", "json").out)
    assert [(r["channel"], "urgent" in r["flags"]) for r in queue] == [("x", True)]
