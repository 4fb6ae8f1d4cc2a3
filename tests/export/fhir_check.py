"""Checks of exported FHIR resources: the `fhir.resources` R4B models (structure, types,
cardinality, no unknown element), plus what those models leave out: the R4 required code
bindings of the elements carebot emits, resource ids, and the invariants it must meet."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

REQUEST_PRIORITY = set("routine urgent asap stat".split())
OBSERVATION_STATUS = set(
    "registered preliminary final amended corrected cancelled entered-in-error unknown".split()
)
REQUIRED_CODES: dict[tuple[str, str], set[str]] = {
    ("Consent", "status"): set("draft proposed active rejected inactive entered-in-error".split()),
    ("CommunicationRequest", "status"): set(
        "draft active on-hold revoked completed entered-in-error unknown".split()
    ),
    ("CommunicationRequest", "priority"): REQUEST_PRIORITY,
    ("Communication", "status"): set(
        "preparation in-progress not-done on-hold stopped completed entered-in-error"
        " unknown".split()
    ),
    ("Communication", "priority"): REQUEST_PRIORITY,
    ("Observation", "status"): OBSERVATION_STATUS,
    ("DetectedIssue", "status"): OBSERVATION_STATUS,
    ("DetectedIssue", "severity"): {"high", "moderate", "low"},
    ("Bundle", "type"): set(
        "document message transaction transaction-response batch batch-response history"
        " searchset collection".split()
    ),
}
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def check(resource: dict[str, Any]) -> None:
    """Raise (AssertionError or pydantic's ValidationError) unless the resource is valid."""
    kind = resource["resourceType"]
    get_fhir_model_class(kind).model_validate(resource)
    for (of, element), allowed in REQUIRED_CODES.items():
        if of == kind and element in resource:
            assert resource[element] in allowed, f"{kind}.{element} {resource[element]!r}"
    if "id" in resource:
        assert FHIR_ID.fullmatch(resource["id"]), f"{kind}.id {resource['id']!r}"
    if kind == "Consent":
        assert "policy" in resource or "policyRule" in resource  # ppc-1
        assert resource["provision"]["type"] in {"permit", "deny"}
    if kind == "Observation":
        valued = any(key.startswith("value") for key in resource)
        assert not (valued and "dataAbsentReason" in resource)  # obs-6
        for component in resource.get("component", []):
            assert component["valueQuantity"]["system"] == "http://unitsofmeasure.org"
    if kind == "Bundle":
        for entry in resource["entry"]:
            check(entry["resource"])
            inner = entry["resource"]
            assert entry["request"] == {
                "method": "PUT",
                "url": f"{inner['resourceType']}/{inner['id']}",
            }


def read_export(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """Every NDJSON line of an export folder, parsed, by resource type (checking that each
    line is one JSON object of its file's type)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(folder.glob("*.ndjson")):
        lines = path.read_text(encoding="utf-8").splitlines()
        found[path.stem] = [json.loads(line) for line in lines]
        assert all(r["resourceType"] == path.stem for r in found[path.stem])
    return found
