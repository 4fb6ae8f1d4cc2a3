"""The fake Twilio's WhatsApp rules: what Twilio checks on a message to `whatsapp:+...`.

The OpenAPI spec checks the fields (a `ContentSid` is `HX` and 32 hex digits); these are the
rules it cannot express, each answered with Twilio's documented code:
- the sender is a WhatsApp sender too (`whatsapp:+...` or a messaging service): 63007;
- `ContentVariables` only with a `ContentSid` (21654), as a JSON object of non-empty text
  (21656); a `ContentSid` of a template the account has (21655);
- WhatsApp's 24-hour session: a free-form `Body` (no `ContentSid`) only within 24 hours of the
  recipient's last message to the sender, else 63016.
A template is rendered as WhatsApp shows it: `{{1}}` replaced by its variable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tests.fakes.twilio_contract import TwilioError

PREFIX = "whatsapp:"
SESSION = timedelta(hours=24)
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")


@dataclass
class WhatsAppState:
    """What the fake knows of WhatsApp: approved templates and when each user last wrote."""

    templates: dict[str, str] = field(default_factory=dict)  # Content SID -> approved text
    last_inbound: dict[str, datetime] = field(default_factory=dict)  # whatsapp:+... -> when

    def in_session(self, address: str, now: datetime) -> bool:
        last = self.last_inbound.get(address)
        return last is not None and timedelta(0) <= now - last < SESSION


def whatsapp_error(
    fields: Mapping[str, str], state: WhatsAppState, now: datetime
) -> TwilioError | None:
    """The error Twilio answers to a WhatsApp message, or None if it would accept it."""
    sender = fields.get("From")
    if sender is not None and not sender.startswith(PREFIX):
        return TwilioError(
            400, 63007, "Twilio could not find a Channel with the specified From address"
        )
    content_sid, variables = fields.get("ContentSid"), fields.get("ContentVariables")
    if variables is not None and not content_sid:
        return TwilioError(
            400, 21654, "A ContentSid must be specified if ContentVariables are provided"
        )
    if variables is not None and _variables(variables) is None:
        return TwilioError(400, 21656, "The ContentVariables Parameter is invalid")
    if content_sid:
        if content_sid not in state.templates:
            return TwilioError(400, 21655, "The ContentSid is Invalid")
        return None
    if not state.in_session(fields["To"], now):
        return TwilioError(
            400,
            63016,
            "Failed to send freeform message because you are outside the allowed window. "
            "If you are using WhatsApp, please use a Message Template.",
        )
    return None


def _variables(text: str) -> dict[str, str] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, dict) or not all(
        isinstance(v, str) and v.strip() for v in value.values()
    ):
        return None
    return value


def rendered_body(fields: Mapping[str, str], state: WhatsAppState) -> str:
    """The text the recipient sees: the body, or the approved template with its variables."""
    content_sid = fields.get("ContentSid")
    if not content_sid:
        return fields.get("Body", "")
    variables = _variables(fields.get("ContentVariables", "{}")) or {}
    template = state.templates[content_sid]
    return PLACEHOLDER.sub(lambda m: variables.get(m.group(1), m.group(0)), template)
