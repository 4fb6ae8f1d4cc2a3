"""`carebot patient import FILE.csv`: all rows or none, every refusal named, the file as data."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from bot.patients import importer
from tests.conftest import Cli
from tests.helpers import CONFIGURED

HEADER = "ref,program,lang,tz,name,sms,x,consent\n"
GOOD = (
    HEADER
    + "AZ-100,post-stroke-weekly,nl,Europe/Brussels,Jan,+32470111111,,sms;console\n"
    + "AZ-101,post-stroke-weekly,fr,Europe/Paris,Marie,,,console\n"
)


@pytest.fixture(autouse=True)
def _channels_configured(cli: Cli) -> None:
    """SMS and Telegram count as configured, so that enrolling on them is not refused."""
    cli.env.update(CONFIGURED)


def _file(cli: Cli, text: str | bytes, name: str = "list.csv") -> str:
    path = Path(cli.cwd) / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return name


def _patients(cli: Cli) -> list[dict[str, object]]:
    result = cli("patient", "list", "--format", "json")
    assert result.code == 0, result.err
    return list(json.loads(result.out))


def test_a_good_file_enrols_every_row_as_enrol_would(cli: Cli) -> None:
    result = cli("patient", "import", _file(cli, GOOD), "--format", "json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["written"] is True
    assert [(r["row"], r["status"]) for r in report["rows"]] == [(2, "enrolled"), (3, "enrolled")]
    found = json.loads(cli("patient", "find", "--ref", "AZ-100", "--format", "json").out)
    assert found["pseudonym"] == report["rows"][0]["pseudonym"]
    listed = {p["pseudonym"]: p for p in _patients(cli)}
    assert listed[found["pseudonym"]]["channels"] == ["console", "sms"]
    assert listed[report["rows"][1]["pseudonym"]]["language"] == "fr"
    again = cli("patient", "import", "list.csv")
    assert again.code == 0 and "2 already enrolled, left unchanged" in again.out
    assert len(_patients(cli)) == 2
    assert cli("audit", "verify").code == 0


def test_one_bad_row_writes_nothing_and_every_refusal_is_named_without_its_value(
    cli: Cli,
) -> None:
    rows = [
        'AZ-200,post-stroke-weekly,nl,Europe/Brussels,=HYPERLINK("http://evil"),,,console',
        "AZ-201,post-stroke-weekly,de,Europe/Brussels,Piet,,,console",
        "AZ-202,post-stroke-weekly,nl,Secret/Janssens,Piet,,,console",
        "AZ-203,post-stroke-weekly,nl,Europe/Brussels,Piet,+32470111112,,sms",
        "AZ-204,post-stroke-weekly,nl,Europe/Brussels,Piet,+32470111112,,sms",
        "AZ-205,post-stroke-weekly,nl,Europe/Brussels,Piet,,,sms",
        "AZ-206,post-stroke-weekly,nl,Europe/Brussels,Piet,Janssens-phone,,sms",
        "AZ-207,post-stroke-weekly,nl",
        "AZ-208,post-stroke-weekly,nl,Europe/Brussels,Piet,,,console",
    ]
    result = cli("patient", "import", _file(cli, HEADER + "\n".join(rows) + "\n"), "--format=csv")
    assert result.code == 1
    refused = {
        int(r["row"]): (r["column"], r["reason"])
        for r in csv.DictReader(io.StringIO(result.out))
        if r["status"] == "refused"
    }
    assert refused == {
        2: ("name", "starts like a spreadsheet formula (=, +, -, @)"),
        3: ("lang", "the language (--lang) is not offered; choose nl, fr, en"),
        4: ("tz", refused[4][1]),
        6: ("sms", "the same sms as row 5"),
        7: ("consent", "consent to sms needs its address (--sms)"),
        8: ("sms", refused[8][1]),
        9: ("", "has 3 cells, the header has 8"),
    }
    assert "time zone" in refused[4][1] and "SMS number" in refused[8][1]
    for secret in ("HYPERLINK", "evil", "Janssens", "+32470111112"):
        assert secret not in result.out + result.err
    assert _patients(cli) == []  # rows 5 and 10 were good: not written either
    assert cli("patient", "find", "--ref", "AZ-208").code == 1
    table = cli("patient", "import", "list.csv")
    assert "7 of 9 row(s) refused: nothing was written" in table.out
    assert cli("audit", "verify").code == 0  # the rolled-back rows left the chain whole


def test_a_row_enrolment_refuses_is_refused_in_the_import(cli: Cli) -> None:
    cli("patient", "import", _file(cli, GOOD))
    taken = HEADER + "\nAZ-300,post-stroke-weekly,nl,Europe/Brussels,An,+32470111111,,sms\n"
    result = cli("patient", "import", _file(cli, taken, "more.csv"), "--format", "json")
    assert result.code == 1
    (row,) = json.loads(result.out)["rows"]
    assert row["column"] == "sms" and "already the contact of P-" in row["reason"]
    assert row["row"] == 3  # numbered as a spreadsheet shows it, the blank line too
    assert len(_patients(cli)) == 2


def test_a_dry_run_checks_every_row_and_writes_nothing(cli: Cli) -> None:
    before = cli("audit", "log", "--format", "json").out
    result = cli("patient", "import", _file(cli, GOOD), "--dry-run")
    assert result.code == 0, result.err
    assert "dry run: 2 row(s) checked, none refused; nothing was written" in result.out
    assert _patients(cli) == []
    log = json.loads(cli("audit", "log", "--format", "json").out)
    assert before != "" and [e["action"] for e in log][-1] == "patient.import.check"
    assert "patient.enrol" not in {e["action"] for e in log}
    assert cli("patient", "import", "list.csv").code == 0
    assert len(_patients(cli)) == 2
    assert cli("audit", "verify").code == 0


def test_a_hostile_file_is_refused_as_a_whole_in_one_line(cli: Cli) -> None:
    cases = {
        b"ref,program\n\xff\xfe\x00J\x00a\x00n": "the file is not UTF-8 text",
        b"ref,program,lang,tz,name\nA,\x00,nl,UTC,Jan\n": "holds a NUL character",
        b"ref,program,lang,tz,name,janssens\n": "unknown column (number 6)",
        b"ref,program,lang\n": "missing column(s): tz, name",
        b"": "the file is empty",
        b'ref,program,lang,tz,name\n"A,"x"y,nl,UTC,Jan\n': "not valid CSV",
        HEADER.encode() + b"A," * (importer.MAX_BYTES // 2): "larger than 2 MB",
        (
            HEADER + "A,p,nl,UTC,Jan,,,\n" * (importer.MAX_ROWS + 1)
        ).encode(): f"more than {importer.MAX_ROWS}",
    }
    for number, (data, said) in enumerate(cases.items()):
        result = cli("patient", "import", _file(cli, data, f"f{number}.csv"))
        assert result.code == 1, said
        assert said in result.err and len(result.err.strip().splitlines()) == 1, result.err
        assert "janssens" not in result.err.lower()
    missing = cli("patient", "import", "no-such-Janssens.csv")
    assert missing.code == 1 and "Janssens" not in missing.err
    assert _patients(cli) == []
