"""The clinical resources of the FHIR export: readings as Observations, urgent replies as
DetectedIssues. Pure, like `fhir_resources`.

What a reply's `readings_enc` holds (bot/inbound/receive.py): the first blood pressure of the
reply in mmHg, the first glucose in mmol/L (mg/dL and g/L were converted when it was read;
the unit the patient wrote is not kept), whether that glucose's unit was assumed, and a
meter's `HI` or `LO`. So glucose is exported as LOINC 14743-9, the molar concentration.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.export import codes
from bot.export.fhir_resources import Resource, actor_ref, instant, patient_ref

ASSUMED_NOTE = "unit not written by the patient: read by plausibility"
METER_CODES = {
    "HI": ("HH", "Critical high", "the meter showed HI: above the range it can show"),
    "LO": ("LL", "Critical low", "the meter showed LO: below the range it can show"),
}


def _quantity(value: float, unit: str, code: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": codes.UCUM, "code": code}


def _category(code: str, display: str) -> list[dict[str, Any]]:
    return [{"coding": [{"system": codes.OBSERVATION_CATEGORY, "code": code, "display": display}]}]


def _loinc(code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": codes.LOINC, "code": code, "display": display}], "text": display}


def _base(kind: str, reply_id: int, pseudonym: str, received: datetime) -> Resource:
    return {
        "resourceType": "Observation",
        "id": f"{kind}-{reply_id}",
        "identifier": [{"system": codes.REPLY, "value": f"{reply_id}-{kind}"}],
        "status": "final",
        "subject": patient_ref(pseudonym),
        "effectiveDateTime": instant(received),
        "performer": [patient_ref(pseudonym)],  # measured and reported by the patient
    }


def blood_pressure(
    *, reply_id: int, pseudonym: str, received: datetime, systolic: int, diastolic: int
) -> Resource:
    """FHIR's blood-pressure profile: panel 85354-9, systolic and diastolic components."""
    resource = _base("bp", reply_id, pseudonym, received)
    resource["meta"] = {"profile": [codes.BP_PROFILE]}
    resource["category"] = _category("vital-signs", "Vital Signs")
    resource["code"] = _loinc("85354-9", "Blood pressure panel with all children optional")
    resource["component"] = [
        {
            "code": _loinc("8480-6", "Systolic blood pressure"),
            "valueQuantity": _quantity(systolic, "mmHg", "mm[Hg]"),
        },
        {
            "code": _loinc("8462-4", "Diastolic blood pressure"),
            "valueQuantity": _quantity(diastolic, "mmHg", "mm[Hg]"),
        },
    ]
    return resource


def glucose(
    *,
    reply_id: int,
    pseudonym: str,
    received: datetime,
    mmol_l: float | None,
    assumed: bool,
    meter_code: str | None,
) -> Resource:
    """A capillary glucose in mmol/L (LOINC 14743-9), or a meter's HI/LO with no value."""
    resource = _base("glucose", reply_id, pseudonym, received)
    resource["category"] = _category("laboratory", "Laboratory")
    resource["code"] = _loinc("14743-9", "Glucose [Moles/volume] in Capillary blood by Glucometer")
    if mmol_l is not None:
        resource["valueQuantity"] = _quantity(mmol_l, "mmol/L", "mmol/L")
        if assumed:
            resource["note"] = [{"text": ASSUMED_NOTE}]
    elif meter_code in METER_CODES:
        code, display, text = METER_CODES[meter_code]
        resource["interpretation"] = [
            {"coding": [{"system": codes.INTERPRETATION, "code": code, "display": display}]}
        ]
        resource["dataAbsentReason"] = {
            "coding": [{"system": codes.DATA_ABSENT, "code": "unknown", "display": "Unknown"}],
            "text": text,
        }
    return resource


def readings(
    *, reply_id: int, pseudonym: str, received: datetime, stored: dict[str, Any]
) -> list[Resource]:
    """The Observations of one reply's stored readings (none when it gave none)."""
    found: list[Resource] = []
    systolic, diastolic = stored.get("systolic"), stored.get("diastolic")
    if isinstance(systolic, int) and isinstance(diastolic, int):
        found.append(
            blood_pressure(
                reply_id=reply_id,
                pseudonym=pseudonym,
                received=received,
                systolic=systolic,
                diastolic=diastolic,
            )
        )
    value, meter = stored.get("glucose_mmol_l"), stored.get("glucose_code")
    if isinstance(value, int | float) or meter in METER_CODES:
        found.append(
            glucose(
                reply_id=reply_id,
                pseudonym=pseudonym,
                received=received,
                mmol_l=float(value) if isinstance(value, int | float) else None,
                assumed=bool(stored.get("glucose_unit_assumed")),
                meter_code=meter if isinstance(meter, str) else None,
            )
        )
    return found


def urgent_issue(
    *,
    reply_id: int,
    pseudonym: str,
    received: datetime,
    evidence: list[str],
    reviewed_by: str | None,
    reviewed_at: datetime | None,
) -> Resource:
    """An urgent reply as a DetectedIssue: its evidence (the reply, its readings) and, once a
    nurse resolved it, the resolution as a mitigation (who and when; the note stays out)."""
    resource: Resource = {
        "resourceType": "DetectedIssue",
        "id": f"urgent-{reply_id}",
        "identifier": [{"system": codes.REPLY, "value": f"{reply_id}-urgent"}],
        "status": "final",
        "code": {
            "coding": [{"system": codes.REPLY_FLAG, "code": "urgent", "display": "urgent"}],
            "text": "urgent reply: warning sign or reading at an urgent level",
        },
        "severity": "high",
        "patient": patient_ref(pseudonym),
        "identifiedDateTime": instant(received),
        "evidence": [{"detail": [{"reference": ref} for ref in evidence]}],
    }
    if reviewed_at is not None:
        resource["mitigation"] = [
            {
                "action": {"text": "reviewed and resolved by a nurse in carebot"},
                "date": instant(reviewed_at),
                "author": actor_ref(reviewed_by or "unknown", patient=pseudonym),
            }
        ]
    return resource
