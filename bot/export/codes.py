"""The identifier systems and codes of carebot's FHIR export (docs/formats/fhir-v1.md).

carebot's own code systems are URNs under `urn:carebot:`: no carebot web address is promised,
and a URN is an absolute URI as FHIR asks of a `system`.
"""

from __future__ import annotations

FORMAT = "carebot.fhir-export"
VERSION = 1
FHIR_VERSION = "4.0.1"

PSEUDONYM = "urn:carebot:pseudonym"
CHANNEL = "urn:carebot:channel"
PROGRAM = "urn:carebot:program"
REMINDER = "urn:carebot:reminder"
REMINDER_STATUS = "urn:carebot:reminder-status"
REPLY = "urn:carebot:reply"
REPLY_FLAG = "urn:carebot:reply-flag"
CONSENT = "urn:carebot:consent"
CONSENT_METHOD = "urn:carebot:consent-method"
ACTOR = "urn:carebot:actor"

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
PARTICIPATION_MODE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode"
COMMUNICATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/communication-category"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
BP_PROFILE = "http://hl7.org/fhir/StructureDefinition/bp"

# A reminder's status, as a CommunicationRequest's (request-status) and, once it may have
# gone out, as its Communication's (event-status).
REQUEST_STATUS = {
    "planned": "active",
    "sending": "active",
    "sent": "completed",
    "delivered": "completed",
    "read": "completed",
    "failed": "revoked",
    "undeliverable": "revoked",
    "missed": "revoked",
    "cancelled": "revoked",
    "unconfirmed": "unknown",
}
EVENT_STATUS = {"sent": "completed", "delivered": "completed", "read": "completed"}
EVENT_STATUS_UNKNOWN = {"unconfirmed": "unknown"}
