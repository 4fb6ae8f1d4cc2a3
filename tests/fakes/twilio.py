"""A fake Twilio REST API (2010-04-01 Messages and Calls) that the real `twilio` SDK talks to
over HTTP.

Endpoints: create a message, list messages (`To`, `From`, `DateSent`, `DateSent<`, `DateSent>`
filters, for reconciliation look-ups) and fetch one; the same for calls (`fake.voice`, see
`twilio_calls`). Every request is checked: HTTP Basic auth (401/20003 otherwise), then the
OpenAPI spec and Twilio's own rules (`twilio_contract`, `twilio_whatsapp` for `whatsapp:`
messages and their 24-hour session, `twilio_calls` for a call and its TwiML); a request Twilio
would reject gets Twilio's error answer and is recorded as a violation.

Scripting, for tests:
    fake.fail_next(429)                   # 429 / 20429, a refusal that was never processed
    fake.fail_next(429, retry_after=120)  # the same with a `Retry-After: 120` header
    fake.fail_next(500)                   # ambiguous: Twilio may or may not have sent it
    fake.fail_next(400, code=21610)       # unsubscribed recipient (also 21211, 21614, ...)
    fake.fail_next(500, on="list")        # the reconciliation look-up fails instead
    fake.drop_next(); fake.hang_next(5)   # accepted, then no answer: an ambiguous outcome
    fake.rate_limit = 10                  # creates per second, 429 / 20429 beyond; the refused
                                          # recipients are listed in fake.rate_limited
    fake.latency = 0.2; fake.clock = lambda: simulated_now
    fake.spec_every = 20                  # the OpenAPI check on one create in 20 (load tests)
    fake.deliver(sid)                     # signed status callback to the StatusCallback URL
    fake.inbound(url, from_=..., to=..., body="STOP")   # signed incoming-SMS webhook
    sid = fake.approve_template("Hello from {{1}}")      # a WhatsApp Content SID
    fake.open_session("whatsapp:+32...")  # the patient wrote: free-form bodies for 24 hours
    fake.fail_next(500, on="call")        # the same for a call (`on="call-list"`: its look-up)
    fake.voice.answer(call_sid, answered_by="machine_start")  # signed call status callback
    fake.voice.press(call_sid, "1")       # signed Gather callback; answered with TwiML

Point the SDK at the fake with carebot's own `Client(sid, token,
http_client=bot.channels.twilio_client.RedirectedHttpClient(fake.url))`.
"""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import parse_qs

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from twilio.request_validator import RequestValidator

from tests.fakes.base import Failure, FakeProvider, RateWindow
from tests.fakes.twilio_calls import CallsApi
from tests.fakes.twilio_contract import (
    SpecRequest,
    TwilioError,
    create_error,
    query_for_spec,
    spec_problems,
    unknown_fields,
)
from tests.fakes.twilio_messages import API_VERSION, Sms, list_page, matches
from tests.fakes.twilio_whatsapp import PREFIX, WhatsAppState, rendered_body, whatsapp_error

KNOWN_ERRORS = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "Internal Server Error",
    20503: "Service Unavailable",
    21211: "The 'To' number is not a valid phone number.",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number is not a valid mobile number",
    70002: "Bad request",
}


class FakeTwilio(FakeProvider):
    """Fake Twilio Messages API; `messages` lists what it accepted, newest last."""

    send_target = "create"

    def __init__(self, *, account_sid: str | None = None, auth_token: str | None = None) -> None:
        super().__init__()
        self.account_sid = account_sid or "AC" + secrets.token_hex(16)
        self.auth_token = auth_token or secrets.token_hex(16)
        self.messages: list[Sms] = []
        self.rate_limit: int | None = None
        self.rate_limited: list[str] = []
        self.whatsapp = WhatsAppState()
        self.voice = CallsApi(self)
        self._window: RateWindow | None = None

    def routes(self) -> list[Route]:
        base = f"/{API_VERSION}/Accounts/{{account}}"
        return [
            Route(f"{base}/Messages.json", self.guarded(self._messages), methods=["GET", "POST"]),
            Route(f"{base}/Messages/{{sid}}.json", self.guarded(self._fetch), methods=["GET"]),
            *self.voice.routes(base),
        ]

    def not_found(self, request: Request) -> Response:
        message = f"The requested resource {request.url.path} was not found"
        return TwilioError(404, 20404, message).response()

    def fail_next(
        self,
        status: int = 500,
        *,
        code: int | None = None,
        message: str | None = None,
        on: Literal["create", "list", "fetch", "call", "call-list"] = "create",
        retry_after: int | None = None,
    ) -> None:
        """Answer the next create-message request (or list or fetch) with this Twilio error."""
        code = code or {401: 20003, 404: 20404, 429: 20429, 503: 20503}.get(
            status, 20500 if status >= 500 else 70002
        )
        self.inject(
            Failure(
                status=status, code=code, description=message, target=on, retry_after=retry_after
            )
        )

    def approve_template(self, text: str) -> str:
        """A WhatsApp template approved for this account; returns its Content SID."""
        sid = "HX" + secrets.token_hex(16)
        with self._lock:
            self.whatsapp.templates[sid] = text
        return sid

    def open_session(self, address: str, at: datetime | None = None) -> None:
        """Record that `address` (`whatsapp:+...`) wrote to the sender at `at` (default now)."""
        with self._lock:
            self.whatsapp.last_inbound[address] = at or self.clock()

    async def _messages(self, request: Request) -> Response:
        error = self._auth_error(request)
        if error is not None:
            return self._reject(request, error, [])
        if request.method == "POST":
            return await self._create(request)
        return self._list(request)

    def _auth_error(self, request: Request) -> TwilioError | None:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            user = password = ""
        valid = (
            scheme.lower() == "basic"
            and user == self.account_sid
            and password == self.auth_token
            and request.path_params["account"] == self.account_sid
        )
        return None if valid else TwilioError(401, 20003, "Authenticate")

    def _reject(self, request: Request, error: TwilioError, problems: list[str]) -> Response:
        detail = f" ({'; '.join(problems)})" if problems else ""
        self.violation(f"{request.method} {request.url.path}: {error.code} {error.message}{detail}")
        return error.response()

    def _spec_request(self, request: Request, body: bytes | None = None) -> SpecRequest:
        return SpecRequest(
            method=request.method,
            path=request.url.path,
            body=body,
            query=query_for_spec(request.query_params.multi_items()),
            headers=request.headers,
            content_type=request.headers.get("content-type", "application/octet-stream"),
        )

    async def _create(self, request: Request) -> Response:
        raw = await request.body()
        form = parse_qs(raw.decode(), keep_blank_values=True)
        problems = spec_problems(self._spec_request(request, raw)) if self.spec_due() else []
        error = create_error(problems, form)
        if error is not None:
            return self._reject(request, error, problems)
        fields = {name: values[-1] for name, values in form.items()}
        if fields["To"].startswith(PREFIX):
            error = whatsapp_error(fields, self.whatsapp, self.clock())
            if error is not None:
                return self._reject(request, error, [])
            if fields.get("ContentSid") and fields.get("Body"):
                self.violation(f"POST {request.url.path}: Body beside ContentSid (Twilio ignores)")
        for name in unknown_fields(form):
            self.violation(f"POST {request.url.path}: unknown parameter {name!r} (Twilio ignores)")
        failure = self.next_failure("create")
        if failure is not None and failure.kind == "error":
            return self._scripted(failure)
        if not self._within_rate_limit():
            self.rate_limited.append(form["To"][-1])
            return TwilioError(429, 20429, "Too Many Requests").response()
        sms = self._accept(fields)
        if failure is not None:
            await self.misbehave(request, failure)
            if failure.kind == "accept-error":  # recorded, then a 5xx: Twilio's ambiguous case
                return self._scripted(failure)
        return JSONResponse(sms.resource(), status_code=201)

    def _scripted(self, failure: Failure) -> Response:
        code = failure.code or 20500
        message = failure.description or KNOWN_ERRORS.get(code, "Scripted failure")
        response = TwilioError(failure.status, code, message).response()
        if failure.retry_after is not None:
            response.headers["Retry-After"] = str(failure.retry_after)
        return response

    def _within_rate_limit(self) -> bool:
        with self._lock:
            if self.rate_limit is None:
                return True
            if self._window is None or self._window.limit != self.rate_limit:
                self._window = RateWindow(self.rate_limit)
            return self._window.allow()

    def _accept(self, fields: dict[str, str]) -> Sms:
        sms = Sms(
            sid="SM" + secrets.token_hex(16),
            account_sid=self.account_sid,
            to=fields["To"],
            body=rendered_body(fields, self.whatsapp),
            date_created=self.clock().astimezone(UTC).replace(microsecond=0),
            from_=fields.get("From"),
            messaging_service_sid=fields.get("MessagingServiceSid"),
            status_callback=fields.get("StatusCallback"),
            params=fields,
        )
        with self._lock:
            self.messages.append(sms)
        channel = "whatsapp" if sms.to.startswith(PREFIX) else "sms"
        self.log_received(channel=channel, to=sms.to, body=sms.body, ident=sms.sid)
        return sms

    def _list(self, request: Request) -> Response:
        problems = spec_problems(self._spec_request(request))
        if problems:
            return self._reject(request, TwilioError(400, 70002, problems[0]), problems)
        failure = self.next_failure("list")
        if failure is not None and failure.kind == "error":
            return self._scripted(failure)
        query = request.query_params
        with self._lock:
            found = [m for m in reversed(self.messages) if matches(m, query)]
        return JSONResponse(list_page(found, query, request.url.path))

    async def _fetch(self, request: Request) -> Response:
        error = self._auth_error(request)
        problems = spec_problems(self._spec_request(request))
        if error is not None or problems:
            return self._reject(request, error or TwilioError(400, 70002, problems[0]), problems)
        failure = self.next_failure("fetch")
        if failure is not None and failure.kind == "error":
            return self._scripted(failure)
        with self._lock:
            sms = next((m for m in self.messages if m.sid == request.path_params["sid"]), None)
        if sms is None:
            return self.not_found(request)
        return JSONResponse(sms.resource())

    def deliver(
        self, sid: str, status: str = "delivered", *, error_code: int | None = None
    ) -> httpx.Response:
        """POST a signed status callback for message `sid` to its StatusCallback URL."""
        sms = next(m for m in self.messages if m.sid == sid)
        if not sms.status_callback:
            raise ValueError(f"message {sid} was sent without a StatusCallback")
        sms.status = status
        params = {
            "MessageSid": sid,
            "SmsSid": sid,
            "MessageStatus": status,
            "SmsStatus": status,
            "AccountSid": self.account_sid,
            "To": sms.to,
            "From": sms.from_ or "",
            "ApiVersion": API_VERSION,
        }
        if sms.messaging_service_sid:
            params["MessagingServiceSid"] = sms.messaging_service_sid
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        return self.signed_post(sms.status_callback, params)

    def inbound(self, url: str, *, from_: str, to: str, body: str) -> httpx.Response:
        """POST a signed incoming-SMS webhook, as Twilio does when a patient replies; a
        `whatsapp:` sender opens WhatsApp's 24-hour session for messages to it."""
        sid = "SM" + secrets.token_hex(16)
        if from_.startswith(PREFIX):
            with self._lock:
                self.whatsapp.last_inbound[from_] = self.clock()
        params = {
            "MessageSid": sid,
            "SmsSid": sid,
            "SmsMessageSid": sid,
            "AccountSid": self.account_sid,
            "From": from_,
            "To": to,
            "Body": body,
            "NumMedia": "0",
            "NumSegments": "1",
            "SmsStatus": "received",
            "ApiVersion": API_VERSION,
        }
        return self.signed_post(url, params)

    def signed_post(self, url: str, params: dict[str, str]) -> httpx.Response:
        """POST form `params` to `url` with the X-Twilio-Signature Twilio would compute."""
        signature = RequestValidator(self.auth_token).compute_signature(url, params)
        return httpx.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=10)
