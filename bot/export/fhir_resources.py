"""FHIR R4 resources built from carebot's rows, as plain JSON-ready dicts.

Pure: no store, no I/O (a channel's class says how it carries a message). Each function
gives one resource of the shapes documented in docs/formats/fhir-v1.md (a test compares what
is emitted with that page, and validates every resource with the `fhir.resources` models).
A resource's id is derived from its row's id, so that a second export gives the same id for
the same record and a FHIR server can upsert it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.channels import registry
from bot.channels.base import ChannelDefaults
from bot.export import codes

Resource = dict[str, Any]


def utc(value: datetime) -> datetime:
    """A stored time (naive UTC on SQLite) as an aware UTC time."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def instant(value: datetime) -> str:
    """A stored time as a FHIR dateTime with its offset."""
    return utc(value).isoformat()


def patient_ref(pseudonym: str) -> dict[str, str]:
    return {"reference": f"Patient/{pseudonym}"}


def _coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    coding = {"system": system, "code": code}
    if display is not None:
        coding["display"] = display
    return coding


def _concept(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    return {"coding": [_coding(system, code, display)]}


def actor_ref(actor: str, *, patient: str) -> dict[str, Any]:
    """Who recorded something: the patient themselves, or carebot's actor name (a nurse's
    login such as `cli:alice`, or a provider), as a logical identifier."""
    if actor == "patient":
        return patient_ref(patient)
    return {"identifier": {"system": codes.ACTOR, "value": actor}}


def medium(channel: str) -> list[dict[str, Any]]:
    """How the channel carries a message: HL7's ParticipationMode, as the channel's class
    declares it, then carebot's channel (so that a receiver whose terminology lacks a code
    still knows the channel). A channel no longer in carebot is `ELECTRONIC`."""
    kind = registry.kind(channel) if registry.known(channel) else ChannelDefaults
    code, display = kind.participation_mode
    return [
        {
            "coding": [
                _coding(codes.PARTICIPATION_MODE, code, display),
                _coding(codes.CHANNEL, channel),
            ],
            "text": channel,
        }
    ]


def patient(pseudonym: str, *, active: bool) -> Resource:
    """The patient: the pseudonym and nothing else that could say who they are."""
    return {
        "resourceType": "Patient",
        "id": pseudonym,
        "identifier": [{"system": codes.PSEUDONYM, "value": pseudonym}],
        "active": active,
    }


def consent(
    *,
    row_id: int,
    pseudonym: str,
    channel: str,
    granted: bool,
    method: str,
    recorded_by: str,
    recorded_at: datetime,
    current: bool,
) -> Resource:
    """One consent event: a permit or a deny for messages on one channel. The newest event
    per channel is `active`, the ones it replaced `inactive` (the history is kept)."""
    return {
        "resourceType": "Consent",
        "id": f"consent-{row_id}",
        "identifier": [{"system": codes.CONSENT, "value": str(row_id)}],
        "status": "active" if current else "inactive",
        "scope": _concept(codes.CONSENT_SCOPE, "patient-privacy", "Privacy Consent"),
        "category": [
            _concept(codes.LOINC, "59284-0", "Patient Consent"),
            _concept(codes.CONSENT_METHOD, method),
        ],
        "patient": patient_ref(pseudonym),
        "dateTime": instant(recorded_at),
        "performer": [actor_ref(recorded_by, patient=pseudonym)],
        "policyRule": _concept(codes.ACT_CODE, "OPTIN", "opt-in"),
        "provision": {
            "type": "permit" if granted else "deny",
            "code": [
                {
                    "coding": [_coding(codes.CHANNEL, channel)],
                    "text": f"messages from carebot by {channel}",
                }
            ],
        },
    }


def communication_request(
    *, row_id: int, pseudonym: str, program: str, status: str, channel: str | None, due: datetime
) -> Resource:
    """A planned reminder, whatever became of it (its carebot status in `statusReason`)."""
    resource: Resource = {
        "resourceType": "CommunicationRequest",
        "id": f"reminder-{row_id}",
        "identifier": [{"system": codes.REMINDER, "value": str(row_id)}],
        "status": codes.REQUEST_STATUS.get(status, "unknown"),
        "statusReason": _concept(codes.REMINDER_STATUS, status),
        "category": [_concept(codes.COMMUNICATION_CATEGORY, "reminder", "Reminder")],
        "priority": "routine",
        "subject": patient_ref(pseudonym),
        "recipient": [patient_ref(pseudonym)],
        "reasonCode": [_concept(codes.PROGRAM, program)],
        "occurrenceDateTime": instant(due),
    }
    if channel is not None:
        resource["medium"] = medium(channel)
    return resource


def sent_reminder(
    *,
    row_id: int,
    pseudonym: str,
    status: str,
    channel: str,
    sent: datetime | None,
    delivered: datetime | None,
) -> Resource:
    """A reminder that went out (or may have: `unconfirmed` is status `unknown`)."""
    resource: Resource = {
        "resourceType": "Communication",
        "id": f"sent-{row_id}",
        "identifier": [{"system": codes.REMINDER, "value": str(row_id)}],
        "basedOn": [{"reference": f"CommunicationRequest/reminder-{row_id}"}],
        "status": codes.EVENT_STATUS.get(status)
        or codes.EVENT_STATUS_UNKNOWN.get(status, "unknown"),
        "category": [_concept(codes.COMMUNICATION_CATEGORY, "reminder", "Reminder")],
        "medium": medium(channel),
        "subject": patient_ref(pseudonym),
        "recipient": [patient_ref(pseudonym)],
    }
    if sent is not None:
        resource["sent"] = instant(sent)
    if delivered is not None:
        resource["received"] = instant(delivered)
    return resource


def reply(
    *,
    row_id: int,
    pseudonym: str,
    channel: str,
    received: datetime,
    flags: list[str],
    text: str | None,
    readings: list[str],
) -> Resource:
    """A patient's reply: who wrote it, when, by what, its flags, its text (unless the
    export leaves texts out) and references to the readings read in it."""
    payload: list[dict[str, Any]] = [{"contentString": text}] if text is not None else []
    payload += [{"contentReference": {"reference": f"Observation/{ref}"}} for ref in readings]
    resource: Resource = {
        "resourceType": "Communication",
        "id": f"reply-{row_id}",
        "identifier": [{"system": codes.REPLY, "value": str(row_id)}],
        "status": "completed",
        "priority": "urgent" if "urgent" in flags else "routine",
        "medium": medium(channel),
        "subject": patient_ref(pseudonym),
        "sender": patient_ref(pseudonym),
        "received": instant(received),
    }
    if flags:
        resource["category"] = [_concept(codes.REPLY_FLAG, flag) for flag in flags]
    if payload:
        resource["payload"] = payload
    return resource
