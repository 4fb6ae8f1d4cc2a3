"""`carebot export fhir`: a simulated ward exported, every resource valid FHIR, the Patient
nothing but a pseudonym, the filters, the folder's rules and the audited access."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli
from tests.export.fhir_check import check, read_export
from tests.export.fhir_sim import (
    GONE_NAME,
    GONE_REF,
    NAME,
    OTHER_NAME,
    OTHER_PHONE,
    OTHER_REF,
    PHONE,
    REF,
    Ward,
    enrol,
    ok,
    simulate,
)


@pytest.fixture
def ward(cli: Cli) -> Ward:
    return simulate(cli)


def _export(cli: Cli, *args: str, out: str = "out") -> Path:
    ok(cli, "export", "fhir", "--out", out, *args)
    return cli.cwd / out


def _of(found: dict[str, list[dict[str, Any]]], kind: str, ident: str) -> dict[str, Any]:
    return next(r for r in found[kind] if r["id"] == ident)


def test_the_ward_is_exported_as_valid_fhir_each_resource_and_each_bundle(
    cli: Cli, ward: Ward
) -> None:
    out = _export(cli)
    found = read_export(out)
    for resources in found.values():
        for resource in resources:
            check(resource)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format"] == "carebot.fhir-export" and manifest["version"] == 1
    assert manifest["fhir_version"] == "4.0.1" and manifest["since"] is None
    assert manifest["counts"] == {kind: len(rs) for kind, rs in found.items()}
    bundles = sorted(f["patient"] for f in manifest["files"] if f["type"] == "Bundle")
    assert bundles == sorted([ward.one, ward.other])  # the erased patient is left out
    for pseudonym in bundles:
        bundle = json.loads((out / "bundles" / f"{pseudonym}.json").read_text())
        check(bundle)
        assert bundle["entry"][0]["resource"]["id"] == pseudonym
        for entry in bundle["entry"][1:]:
            text = json.dumps(entry["resource"])
            assert f"Patient/{pseudonym}" in text and ward.gone not in text
    assert ward.gone not in json.dumps(found)


def test_readings_urgent_replies_and_consents_say_what_happened(cli: Cli, ward: Ward) -> None:
    found = read_export(_export(cli))
    first, with_unit, meter, urgent, plain = ward.replies
    bp = _of(found, "Observation", f"bp-{first}")
    assert bp["code"]["coding"][0]["code"] == "85354-9"
    assert [
        (c["code"]["coding"][0]["code"], c["valueQuantity"]["value"]) for c in bp["component"]
    ] == [
        ("8480-6", 150),
        ("8462-4", 95),
    ]
    assert bp["component"][0]["valueQuantity"]["code"] == "mm[Hg]"
    assumed = _of(found, "Observation", f"glucose-{first}")
    assert assumed["valueQuantity"] == {
        "value": 7.8, "unit": "mmol/L", "system": "http://unitsofmeasure.org", "code": "mmol/L"
    }  # fmt: skip
    assert assumed["code"]["coding"][0]["code"] == "14743-9" and "note" in assumed
    given = _of(found, "Observation", f"glucose-{with_unit}")
    assert given["valueQuantity"]["value"] == 7.8 and "note" not in given
    high = _of(found, "Observation", f"glucose-{meter}")
    assert "valueQuantity" not in high and high["interpretation"][0]["coding"][0]["code"] == "HH"
    assert not any(r["id"].endswith(f"-{plain}") for r in found["Observation"])
    issues = {r["id"]: r for r in found["DetectedIssue"]}
    assert set(issues) == {f"urgent-{meter}", f"urgent-{urgent}"}
    resolved = issues[f"urgent-{urgent}"]
    assert resolved["mitigation"][0]["author"]["identifier"]["value"] == "cli:nurse-test"
    assert "mitigation" not in issues[f"urgent-{meter}"]
    evidence = [d["reference"] for d in resolved["evidence"][0]["detail"]]
    assert evidence == [f"Communication/reply-{urgent}", f"Observation/bp-{urgent}"]
    assert "seen in A&E" not in json.dumps(found)  # the nurse's note stays out
    reply = _of(found, "Communication", f"reply-{urgent}")
    assert reply["priority"] == "urgent" and reply["payload"][0]["contentString"].startswith(
        "mijn arm"
    )
    mine = [c for c in found["Consent"] if c["patient"]["reference"] == f"Patient/{ward.one}"]
    sms = [(c["provision"]["type"], c["status"]) for c in mine if _channel(c) == "sms"]
    assert sms == [("permit", "inactive"), ("deny", "active")]  # granted, then withdrawn
    assert [(c["provision"]["type"], c["status"]) for c in mine if _channel(c) == "console"] == [
        ("permit", "active")
    ]


def _channel(consent: dict[str, Any]) -> str:
    return str(consent["provision"]["code"][0]["coding"][0]["code"])


def test_reminders_are_requests_and_those_sent_are_communications(cli: Cli, ward: Ward) -> None:
    found = read_export(_export(cli, "--patient", ward.one))
    requests = found["CommunicationRequest"]
    assert requests and {r["subject"]["reference"] for r in requests} == {f"Patient/{ward.one}"}
    sent = [c for c in found["Communication"] if c["id"].startswith("sent-")]
    assert len(sent) == 1
    delivered = sent[0]
    assert delivered["status"] == "completed" and "received" in delivered and "sent" in delivered
    assert delivered["medium"][0]["coding"][1] == {
        "system": "urn:carebot:channel",
        "code": "console",
    }
    based = delivered["basedOn"][0]["reference"].removeprefix("CommunicationRequest/")
    assert _of(found, "CommunicationRequest", based)["status"] == "completed"
    assert any(r["status"] == "active" for r in requests)  # the next weeks, still planned


def test_the_patient_carries_nothing_but_the_pseudonym(cli: Cli, ward: Ward) -> None:
    out = _export(cli)
    patients = read_export(out)["Patient"]
    assert patients == [
        {
            "resourceType": "Patient",
            "id": p,
            "identifier": [{"system": "urn:carebot:pseudonym", "value": p}],
            "active": True,
        }
        for p in sorted([ward.one, ward.other])
    ]
    everything = "\n".join(
        p.read_text(encoding="utf-8").lower() for p in out.rglob("*") if p.is_file()
    )
    for secret in (NAME, PHONE, REF, OTHER_NAME, OTHER_PHONE, OTHER_REF, GONE_NAME, GONE_REF):
        assert secret.lower() not in everything
    assert PHONE.removeprefix("+32") not in everything


def test_no_texts_leaves_the_replies_words_out(cli: Cli, ward: Ward) -> None:
    found = read_export(_export(cli, "--no-texts"))
    replies = [c for c in found["Communication"] if c["id"].startswith("reply-")]
    assert replies and all("contentString" not in p for c in replies for p in c.get("payload", []))
    assert "bloeddruk" not in json.dumps(found) and "arm is slap" not in json.dumps(found)
    assert json.loads((cli.cwd / "out" / "manifest.json").read_text())["reply_texts"] is False


def test_since_and_patient_filter_what_is_exported(cli: Cli, ward: Ward) -> None:
    one = read_export(_export(cli, "--patient", ward.one.lower(), out="one"))
    assert [p["id"] for p in one["Patient"]] == [ward.one]
    assert all(ward.other not in json.dumps(r) for rs in one.values() for r in rs)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
    later = read_export(_export(cli, "--since", tomorrow.isoformat(), out="later"))
    assert "Observation" not in later and "Consent" not in later and "DetectedIssue" not in later
    assert all(c["id"].startswith("sent-") for c in later.get("Communication", []))
    manifest = json.loads((cli.cwd / "later" / "manifest.json").read_text())
    assert manifest["since"] == f"{tomorrow.isoformat()}T00:00:00+00:00"
    far = _export(cli, "--since", "2100-01-01", out="far")
    assert json.loads((far / "manifest.json").read_text())["files"] == []


def test_files_are_private_and_a_previous_export_is_replaced_whole(cli: Cli, ward: Ward) -> None:
    out = _export(cli)
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert stat.S_IMODE((out / "bundles").stat().st_mode) == 0o700
    for path in out.rglob("*"):
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    ok(cli, "export", "fhir", "--out", "out", "--patient", ward.other)
    assert sorted(p.name for p in (out / "bundles").iterdir()) == [f"{ward.other}.json"]
    assert sorted(p.name for p in cli.cwd.iterdir() if p.name.startswith(".")) == []


def test_refusals_write_nothing(cli: Cli, ward: Ward) -> None:
    bad = cli("export", "fhir", "--out", "out", "--since", "last week")
    assert bad.code == 2 and "--since must be a date" in bad.err and "last week" not in bad.err
    unknown = cli("export", "fhir", "--out", "out", "--patient", "P-0000-0000")
    assert unknown.code == 1 and "no patient P-0000-0000" in unknown.err
    erased = cli("export", "fhir", "--out", "out", "--patient", ward.gone)
    assert erased.code == 1 and "erased" in erased.err
    (cli.cwd / "busy").mkdir()
    (cli.cwd / "busy" / "notes.txt").write_text("mine")
    taken = cli("export", "fhir", "--out", "busy")
    assert taken.code == 1 and "new or empty folder" in taken.err
    for result in (bad, unknown, erased, taken):
        assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err
    assert not (cli.cwd / "out").exists()
    assert sorted(p.name for p in (cli.cwd / "busy").iterdir()) == ["notes.txt"]
    events = json.loads(ok(cli, "audit", "log", "--format", "json"))
    assert not [e for e in events if e["action"] == "export.fhir"]


def test_the_export_is_an_audited_access_with_counts_only(cli: Cli, ward: Ward) -> None:
    _export(cli)
    events = json.loads(ok(cli, "audit", "log", "--format", "json"))
    exported = [e for e in events if e["action"] == "export.fhir"]
    assert len(exported) == 1
    detail = exported[0]["detail"]
    manifest = json.loads((cli.cwd / "out" / "manifest.json").read_text())
    assert detail["counts"] == manifest["counts"] and detail["patients"] == 2
    shown = json.dumps(exported[0])
    for secret in (NAME, PHONE, REF, "bloeddruk", "150"):
        assert secret not in shown


@pytest.mark.subprocess
def test_the_installed_command_exports_and_refuses_in_one_line(cli: Cli) -> None:
    enrol(cli, REF, NAME, None)
    out = _export(cli)
    found = read_export(out)
    assert [p["identifier"][0]["system"] for p in found["Patient"]] == ["urn:carebot:pseudonym"]
    refused = cli("export", "fhir", "--out", "out2", "--since", "2026-13-01")
    assert refused.code == 2 and refused.err.count("\n") == 1 and not (cli.cwd / "out2").exists()
