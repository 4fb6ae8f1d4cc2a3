"""The fake Twilio's Calls API: create a call (`POST .../Calls.json`), list and fetch calls,
and play the call's part of Twilio: its status callback and the patient's keypress.

A create request is checked like a message: Basic auth, the OpenAPI spec, then Twilio's rules
(`To` in E.164: 21211; a `From`: 21213, valid: 21212; one of `Url`, `Twiml` or `ApplicationSid`:
21205; `MachineDetection` Enable or DetectMessageEnd; a usable StatusCallback). The `Twiml` is
parsed as XML: a document Twilio could not run (12100 at call time, refused here up front so a
test sees it) or a verb the fake does not know is a violation. Each `<Say>` and `<Gather>` is
recorded, with its language, voice and prosody, so tests read what the patient would hear.

    call = fake.voice.calls[0]; call.says; call.gathers
    fake.voice.answer(call.sid, answered_by="human")   # signed status callback, `completed`
    fake.voice.answer(call.sid, status="no-answer")
    fake.voice.press(call.sid, "1")                     # signed Gather callback; its TwiML answer
"""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.twilio_contract import E164, SENDER, TwilioError, spec_problems
from tests.fakes.twilio_messages import API_VERSION

if TYPE_CHECKING:
    from tests.fakes.twilio import FakeTwilio

VERBS = {"Say", "Pause", "Gather", "Hangup", "Play", "Redirect"}
SAY_CHILDREN = {"prosody", "break", "emphasis", "lang", "p", "s", "say-as", "sub", "w"}
MACHINE_DETECTION = {"Enable", "DetectMessageEnd"}


@dataclass(frozen=True)
class Said:
    """One `<Say>`: its text (SSML children included), language, voice and prosody rate."""

    text: str
    language: str | None
    voice: str | None
    rate: str | None
    in_gather: bool


@dataclass(frozen=True)
class Gathered:
    """One `<Gather>`: how many digits, where the keypress goes."""

    num_digits: str | None
    action: str | None
    method: str | None


@dataclass
class Call:
    """One call the fake accepted."""

    sid: str
    account_sid: str
    to: str
    from_: str
    twiml: str
    date_created: datetime
    says: list[Said]
    gathers: list[Gathered]
    params: dict[str, str] = field(default_factory=dict)
    status: str = "queued"

    def resource(self) -> dict[str, Any]:
        """The Call resource as the API returns it."""
        stamp = format_datetime(self.date_created, usegmt=True)
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{self.sid}"
        return {
            "sid": self.sid,
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "date_created": stamp,
            "date_updated": stamp,
            "direction": "outbound-api",
            "from": self.from_,
            "to": self.to,
            "status": self.status,
            "start_time": None,
            "end_time": None,
            "uri": f"{uri}.json",
            "subresource_uris": {"notifications": f"{uri}/Notifications.json"},
        }


def parse_twiml(document: str) -> tuple[list[Said], list[Gathered]]:
    """Every Say and Gather of a TwiML document; ValueError says what Twilio could not run."""
    try:
        root = ET.fromstring(document)
    except ET.ParseError as exc:
        raise ValueError(f"not XML: {exc}") from None
    if root.tag != "Response":
        raise ValueError(f"root element is <{root.tag}>, not <Response>")
    says: list[Said] = []
    gathers: list[Gathered] = []
    for verb in root:
        if verb.tag not in VERBS:
            raise ValueError(f"unknown verb <{verb.tag}>")
        if verb.tag == "Gather":
            gathers.append(Gathered(verb.get("numDigits"), verb.get("action"), verb.get("method")))
            says += [_said(say, in_gather=True) for say in verb if say.tag == "Say"]
        elif verb.tag == "Say":
            says.append(_said(verb, in_gather=False))
    return says, gathers


def _said(say: ET.Element, *, in_gather: bool) -> Said:
    unknown = [child.tag for child in say if child.tag not in SAY_CHILDREN]
    if unknown:
        raise ValueError(f"<Say> holds unknown element(s) {unknown}")
    prosody = say.find("prosody")
    return Said(
        text="".join(say.itertext()),
        language=say.get("language"),
        voice=say.get("voice"),
        rate=prosody.get("rate") if prosody is not None else None,
        in_gather=in_gather,
    )


def call_rule_error(fields: dict[str, str]) -> TwilioError | None:
    """The error Twilio answers to a create-call request, or None if it would accept it."""
    to, sender = fields.get("To", ""), fields.get("From")
    if not E164.match(to) or to.startswith(("whatsapp:", "rcs:")):
        return TwilioError(400, 21211, f"Invalid 'To' Phone Number: {to}")
    if not sender:
        return TwilioError(400, 21213, "Caller phone number is required")
    if not SENDER.match(sender) or sender.startswith(("whatsapp:", "rcs:")):
        return TwilioError(400, 21212, f"Invalid Caller Phone Number: {sender}")
    if sum(1 for name in ("Url", "Twiml", "ApplicationSid") if fields.get(name)) != 1:
        return TwilioError(400, 21205, "Url parameter is required.")
    detection = fields.get("MachineDetection")
    if detection is not None and detection not in MACHINE_DETECTION:
        return TwilioError(400, 70002, f"Invalid MachineDetection: {detection}")
    if "Twiml" in fields:
        try:
            parse_twiml(fields["Twiml"])
        except ValueError as exc:
            return TwilioError(400, 12100, f"Document parse failure: {exc}")
    return None


class CallsApi:
    """The Calls endpoints of a FakeTwilio, and the calls it accepted (newest last)."""

    def __init__(self, fake: FakeTwilio) -> None:
        self.fake = fake
        self.calls: list[Call] = []

    def routes(self, base: str) -> list[Route]:
        guarded = self.fake.guarded
        return [
            Route(f"{base}/Calls.json", guarded(self._calls), methods=["GET", "POST"]),
            Route(f"{base}/Calls/{{sid}}.json", guarded(self._fetch), methods=["GET"]),
        ]

    async def _calls(self, request: Request) -> Response:
        error = self.fake._auth_error(request)
        if error is not None:
            return self.fake._reject(request, error, [])
        if request.method == "GET":
            return self._list(request)
        raw = await request.body()
        form = parse_qs(raw.decode(), keep_blank_values=True)
        problems = spec_problems(self.fake._spec_request(request, raw))
        fields = {name: values[-1] for name, values in form.items()}
        error = TwilioError(400, 70002, problems[0]) if problems else call_rule_error(fields)
        if error is not None:
            return self.fake._reject(request, error, problems)
        failure = self.fake.next_failure("call")
        if failure is not None and failure.kind == "error":
            return self.fake._scripted(failure)
        call = self._accept(fields)
        if failure is not None:
            await self.fake.misbehave(request, failure)
        return JSONResponse(call.resource(), status_code=201)

    def _accept(self, fields: dict[str, str]) -> Call:
        says, gathers = parse_twiml(fields.get("Twiml", "<Response/>"))
        call = Call(
            sid="CA" + secrets.token_hex(16),
            account_sid=self.fake.account_sid,
            to=fields["To"],
            from_=fields["From"],
            twiml=fields.get("Twiml", ""),
            date_created=self.fake.clock().astimezone(UTC).replace(microsecond=0),
            says=says,
            gathers=gathers,
            params=fields,
        )
        with self.fake._lock:
            self.calls.append(call)
        return call

    def _list(self, request: Request) -> Response:
        problems = spec_problems(self.fake._spec_request(request))
        if problems:
            return self.fake._reject(request, TwilioError(400, 70002, problems[0]), problems)
        failure = self.fake.next_failure("call-list")
        if failure is not None and failure.kind == "error":
            return self.fake._scripted(failure)
        to = request.query_params.get("To")
        with self.fake._lock:
            found = [c for c in reversed(self.calls) if to in (None, c.to)]
        size = int(request.query_params.get("PageSize", "50"))
        path = request.url.path
        return JSONResponse(
            {
                "calls": [c.resource() for c in found[:size]],
                "start": 0,
                "end": max(len(found[:size]) - 1, 0),
                "page": 0,
                "page_size": size,
                "uri": path,
                "first_page_uri": f"{path}?PageSize={size}&Page=0",
                "previous_page_uri": None,
                "next_page_uri": None,
            }
        )

    async def _fetch(self, request: Request) -> Response:
        error = self.fake._auth_error(request)
        if error is not None:
            return self.fake._reject(request, error, [])
        with self.fake._lock:
            call = next((c for c in self.calls if c.sid == request.path_params["sid"]), None)
        return JSONResponse(call.resource()) if call else self.fake.not_found(request)

    def _call(self, sid: str) -> Call:
        return next(c for c in self.calls if c.sid == sid)

    def _params(self, call: Call, status: str) -> dict[str, str]:
        return {
            "CallSid": call.sid,
            "AccountSid": call.account_sid,
            "From": call.from_,
            "To": call.to,
            "Called": call.to,
            "Caller": call.from_,
            "CallStatus": status,
            "Direction": "outbound-api",
            "ApiVersion": API_VERSION,
        }

    def answer(
        self, sid: str, *, status: str = "completed", answered_by: str | None = "human"
    ) -> httpx.Response:
        """POST the call's signed final status callback (`AnsweredBy` with machine detection)."""
        call = self._call(sid)
        url = call.params.get("StatusCallback")
        if not url:
            raise ValueError(f"call {sid} was made without a StatusCallback")
        call.status = status
        params = self._params(call, status)
        if status == "completed":
            params["CallDuration"] = "42"
            if answered_by is not None and "MachineDetection" in call.params:
                params["AnsweredBy"] = answered_by
        return self.fake.signed_post(url, params)

    def press(self, sid: str, digits: str, *, gather: int = 0) -> httpx.Response:
        """POST the signed Gather callback of a keypress; the answer must be TwiML too."""
        call = self._call(sid)
        action = call.gathers[gather].action
        if not action:
            raise ValueError(f"call {sid} has no Gather action")
        params = {**self._params(call, "in-progress"), "Digits": digits, "FinishedOnKey": ""}
        answer = self.fake.signed_post(action, params)
        if answer.status_code == 200:
            try:
                parse_twiml(answer.text)
            except ValueError as exc:
                self.fake.violation(f"Gather answer Twilio could not run: {exc}")
        return answer
