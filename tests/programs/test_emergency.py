"""The emergency number a patient is told to call is their country's (from their phone
number, else their time zone, else CAREBOT_DEFAULT_REGION), or their program's override."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from phonenumbers import shortnumberinfo

from bot.inbound.receive import receive
from bot.patients import enrolment as patients
from bot.programs import emergency
from bot.store.store import Store
from tests.conftest import Cli
from tests.helpers import CONFIGURED, write_program

URGENT = "my face is drooping and my arm is numb"


@pytest.mark.parametrize(
    ("region", "number"),
    [("US", "911"), ("CA", "911"), ("JP", "119"), ("BE", "112"), ("GB", "999"), ("DE", "112")],
)
def test_a_countrys_number_for_a_stroke(region: str, number: str) -> None:
    assert emergency.number_for_region(region, fallback="000") == number


@pytest.mark.parametrize(("region", "number"), sorted(emergency.AMBULANCE.items()))
def test_each_number_of_the_table_is_an_emergency_number_of_its_country(
    region: str, number: str
) -> None:
    assert shortnumberinfo.is_emergency_number(number, region)


@pytest.mark.parametrize(
    ("zone", "region"),
    [
        ("America/New_York", "US"),
        ("Asia/Tokyo", "JP"),
        ("Europe/Brussels", "BE"),
        ("Europe/Amsterdam", "NL"),
        ("US/Eastern", "US"),  # a link, from tzdata.zi
        ("Japan", "JP"),
        ("UTC", None),
        ("CET", None),
    ],
)
def test_a_time_zones_country_comes_from_tzdata(zone: str, region: str | None) -> None:
    assert emergency.region_of_timezone(zone) == region


def _enrol(cli: Cli, ref: str, tz: str, *extra: str) -> str:
    enrolled = cli(
        "patient", "enrol", "--ref", ref, "--program", "post-stroke-weekly", "--lang", "en",
        "--tz", tz, "--name", "Ann", "--consent", "console", "--format", "json", *extra,
    )  # fmt: skip
    assert enrolled.code == 0, enrolled.err
    return str(json.loads(enrolled.out)["pseudonym"])


@pytest.mark.parametrize(
    ("tz", "number"),
    [("America/New_York", "911"), ("Asia/Tokyo", "119"), ("Europe/Brussels", "112")],
)
def test_carebot_reply_tells_a_patient_the_number_of_their_time_zones_country(
    cli: Cli, tz: str, number: str
) -> None:
    pseudonym = _enrol(cli, "AZ-1", tz)
    replied = cli("reply", pseudonym, URGENT)
    assert replied.code == 0, replied.err
    assert f"This may be a stroke. Call {number} right now." in replied.out
    preview = cli("program", "preview", "post-stroke-weekly", "--format", "json")
    assert f"Call {number}." in json.loads(preview.out)[0]["message"]


def test_a_patient_in_a_zone_of_no_country_gets_the_default_regions_number(cli: Cli) -> None:
    cli.env["CAREBOT_DEFAULT_REGION"] = "US"
    replied = cli("reply", _enrol(cli, "AZ-2", "UTC"), URGENT)
    assert "Call 911 right now" in replied.out


def test_the_programs_emergency_number_wins(cli: Cli) -> None:
    path = write_program(cli.cwd)
    path.write_text(
        path.read_text().replace(
            'description = "test program"',
            'description = "test program"\nemergency_number = "999"',
        )
        # An older text that writes 112 out is not sent to a patient told to call 999.
    )
    cli.env["CAREBOT_TEMPLATES_DIR"] = str(cli.cwd / "templates")
    cli.env["CAREBOT_SCHEDULES_DIR"] = str(cli.cwd / "schedules")
    enrolled = cli(
        "patient", "enrol", "--ref", "AZ-3", "--program", "test-weekly", "--lang", "nl",
        "--tz", "America/New_York", "--name", "Jan", "--consent", "console", "--format", "json",
    )  # fmt: skip
    assert enrolled.code == 0, enrolled.err
    replied = cli("reply", json.loads(enrolled.out)["pseudonym"], URGENT)
    assert "Bel nu meteen 999." in replied.out and "Bel 112" not in replied.out


def test_a_patients_phone_number_decides_over_their_time_zone(store: Store) -> None:
    now = datetime(2026, 11, 30, 9, tzinfo=UTC)
    enrolled = patients.enrol(
        store,
        reference="AZ-4",
        program="post-stroke-weekly",
        language="fr",
        timezone="Europe/Brussels",
        name="Luc",
        contacts={"sms": "+12015550123"},
        consent=["sms"],
        actor="test",
        now=now,
    )
    got = receive(
        store, channel="sms", text="je vois double", received_at=now, address="+12015550123"
    )
    assert got.pseudonym == enrolled.pseudonym
    assert got.answer == "Cela peut être un AVC. Appelez le 911 tout de suite. N'attendez pas."


def test_an_unknown_sender_is_told_the_number_of_the_country_they_write_from(
    store: Store,
) -> None:
    now = datetime(2026, 11, 30, 9, tzinfo=UTC)
    got = receive(store, channel="sms", text=URGENT, received_at=now, address="+12015550123")
    assert got.pseudonym is None and got.answer is not None
    assert got.answer.startswith("Call 911 now.")
    got = receive(store, channel="sms", text=URGENT, received_at=now, address="+32470123456")
    assert got.answer is not None and got.answer.startswith("Call 112 now.")


def test_an_sms_number_is_read_in_the_default_region_and_the_refusal_says_which(
    cli: Cli,
) -> None:
    cli.env.update(CONFIGURED)  # SMS configured: the number itself is what is refused
    args = ("--sms", "(201) 555-0123")
    refused = cli(
        "patient", "enrol", "--ref", "AZ-5", "--program", "post-stroke-weekly", "--lang", "en",
        "--tz", "America/New_York", "--name", "Ann", "--consent", "sms", *args,
    )  # fmt: skip
    assert refused.code == 1
    assert refused.err.splitlines() == [
        "error: the SMS number is not a valid phone number (read as a BE number: give it with"
        " its country code, such as +1 for the US, or set CAREBOT_DEFAULT_REGION)"
    ]
    assert "555" not in refused.err
    cli.env["CAREBOT_DEFAULT_REGION"] = "US"
    enrolled = cli(
        "patient", "enrol", "--ref", "AZ-5", "--program", "post-stroke-weekly", "--lang", "en",
        "--tz", "America/New_York", "--name", "Ann", "--consent", "sms", *args,
    )  # fmt: skip
    assert enrolled.code == 0, enrolled.err


def test_an_unknown_default_region_is_refused(cli: Cli) -> None:
    cli.env["CAREBOT_DEFAULT_REGION"] = "XX"
    listed = cli("patient", "list")
    assert listed.code == 1
    assert listed.err.splitlines() == [
        "error: bad setting: CAREBOT_DEFAULT_REGION must be a two-letter country code such as"
        " BE, NL or US"
    ]
