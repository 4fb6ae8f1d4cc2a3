"""Hostile requests for every webhook, shared by the security tests and benchmarks/fuzz.py.

A seeded generator makes each case: an endpoint, credentials (genuine, or one of the forgery
variants) and a payload built from values that broke carebot before (lone surrogates, deep
nesting, huge or Unicode numbers, wrong types, non-UTF-8, oversized bodies). `run` sends them
one at a time and counts 5xx answers and store writes made by unauthenticated requests.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from pydantic import SecretStr
from sqlalchemy import event, func, select
from sqlmodel import SQLModel, col
from twilio.request_validator import RequestValidator

from bot.config import Settings
from bot.patients import enrolment as patients
from bot.store.models import DeliveryAttempt, Patient, Reminder
from bot.store.store import Store, open_store

TOKEN = "0123456789abcdef0123456789abcdef"
TG_SECRET = "tg-secret-0123456789"
PUBLIC = "https://carebot.example.org"
SMS_PATH, STATUS_PATH, TG_PATH = (
    "/webhooks/twilio/sms",
    "/webhooks/twilio/status",
    "/webhooks/telegram",
)
PHONE, CHAT = "+32470123456", 4242

TEXTS = [
    "",
    "STOP",
    "START",
    "bloeddruk 150 op 95",
    "mijn arm is slap",
    "glycémie 1,1",
    "[/bold] [link=http://x]y[/link]",
    "<Message>x</Message>&amp;",
    "\x00\x1b[2J\x07",
    "\u202e\u2066bidi",
    "😀" * 50,
    "١٢٣ ²",
    "x" * 5000,
    "/start ",
    "/start abcdefgh",
    "%00%ff",
    "\r\n\t",
    "A" * 1700,
]
NUMBERS: list[Any] = [
    0,
    -1,
    1,
    2**31,
    2**63,
    10**25,
    -(10**30),
    1.5,
    1e308,
    True,
    None,
    "1",
    "١٢",
    "",
    [],
    {},
]
ATTEMPTS = ["1", "0", "-1", "9" * 25, "١٢", "²", "1e5", "", " 1", "1" * 18, "2147483648", "abc"]


def secured(settings: Settings) -> Store:
    """A store with Twilio and the Telegram webhook configured, an SMS patient, a Telegram
    patient, and an SMS reminder with its attempt awaiting a status callback."""
    store = open_store(
        settings.model_copy(
            update={
                "twilio_auth_token": SecretStr(TOKEN),
                "carebot_public_url": PUBLIC,
                "carebot_telegram_webhook_secret": SecretStr(TG_SECRET),
                "telegram_bot_username": "ward_test_bot",  # for the patients' links
            }
        )
    )
    patients.enrol(
        store,
        reference="AZ-3",
        program="post-stroke-weekly",
        language="nl",
        timezone="Europe/Brussels",
        name="Jan",
        contacts={"sms": PHONE},
        consent=["sms"],
        actor="test",
    )
    now = datetime.now(UTC)
    with store.session() as session:
        who = session.execute(select(col(Patient.pseudonym))).scalar_one()
        reminder = Reminder(
            occurrence_key="k",
            pseudonym=who,
            program="post-stroke-weekly",
            local_slot="2026-11-30T10:00",
            due_at=now,
            status="sent",
            channel="sms",
            provider_id="SM" + "c" * 32,
            updated_at=now,
        )
        session.add(reminder)
        session.flush()
        assert reminder.id is not None
        session.add(DeliveryAttempt(reminder_id=reminder.id, channel="sms", started_at=now))
    return store


def sign(url: str, form: dict[str, str], token: str = TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, form)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # with its query
    headers: dict[str, str]
    body: bytes
    authentic: bool
    kind: str


def form_case(path: str, form: dict[str, str], variant: str) -> Case:
    """A Twilio request, signed as Twilio would, or forged in the way `variant` names."""
    body = urlencode(form).encode()
    url, token = PUBLIC + path, TOKEN
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if variant == "other-url":
        url = PUBLIC + (STATUS_PATH if path.startswith(SMS_PATH) else SMS_PATH)
    elif variant == "other-host":
        url = "https://attacker.example" + path
    elif variant == "other-token":
        token = "f" * 32
    signature = sign(url, form, token)
    if variant == "changed-param":  # a genuine signature replayed over an edited body
        body = urlencode(
            dict(form, Body="STOP", MessageStatus="failed", ErrorCode="21610")
        ).encode()
    elif variant == "changed-query":
        path = path.split("?")[0] + "?attempt=2"
    headers["X-Twilio-Signature"] = {
        "missing": "",
        "empty": "",
        "garbage": "Zm9yZ2Vk",
        "truncated": signature[:-4],
    }.get(variant, signature)
    if variant == "missing":
        del headers["X-Twilio-Signature"]
    return Case("POST", path, headers, body, variant == "genuine", f"twilio:{variant}")


TWILIO_FORGERIES = [
    "missing",
    "empty",
    "garbage",
    "truncated",
    "other-url",
    "other-host",
    "other-token",
    "changed-param",
    "changed-query",
]
TELEGRAM_FORGERIES = {
    "missing": None,
    "empty": "",
    "wrong": "tg-secret-9876543210",
    "upper": TG_SECRET.upper(),
    "prefix": TG_SECRET[:-1],
    "longer": TG_SECRET + "0",
    "last-char": TG_SECRET[:-1] + "x",
}


def telegram_case(body: bytes, variant: str) -> Case:
    headers = {"Content-Type": "application/json"}
    secret = TG_SECRET if variant == "genuine" else TELEGRAM_FORGERIES[variant]
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    return Case("POST", TG_PATH, headers, body, variant == "genuine", f"telegram:{variant}")


def _no_surrogates(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8")


def _value(rng: random.Random) -> Any:
    """A JSON value of any type, from the palettes above."""
    pick = rng.random()
    if pick < 0.5:
        return rng.choice(TEXTS) if rng.random() < 0.8 else "\ud800 lone" + rng.choice(TEXTS)
    if pick < 0.8:
        return rng.choice(NUMBERS)
    return {"id": rng.choice(NUMBERS)} if rng.random() < 0.5 else [rng.choice(TEXTS)]


def _update(rng: random.Random) -> bytes:
    """A Telegram update: mostly well-formed, with one field or the whole body broken."""
    roll = rng.random()
    if roll < 0.05:
        return b"[" * rng.choice([100, 5000, 60000]) + b"]"
    if roll < 0.1:
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 200)))
    if roll < 0.13:
        return b'{"update_id": ' + b"9" * rng.choice([30, 5000, 20000]) + b"}"
    chat_type = rng.choice(["private", "private", "group", "supergroup", "channel"])
    message: dict[str, Any] = {
        "message_id": 1,
        "date": 1764000000,
        "text": rng.choice(TEXTS),
        "chat": {"id": rng.choice([CHAT, -100123, 42]), "type": chat_type},
    }
    update: dict[str, Any] = {"update_id": rng.randint(1, 10**9), "message": message}
    for _ in range(rng.randint(0, 2)):
        target = rng.choice([update, message, message["chat"]])
        if isinstance(target, dict) and target:  # the chat may already be broken
            target[rng.choice(sorted(target))] = _value(rng)
    return json.dumps(update).encode("utf-8", "surrogatepass")


def _sms_form(rng: random.Random) -> dict[str, str]:
    form = {
        "MessageSid": f"SM{rng.getrandbits(128):032x}",
        "From": PHONE,
        "To": "+3278000000",
        "Body": _no_surrogates(rng.choice(TEXTS)),
    }
    for _ in range(rng.randint(0, 2)):
        form[rng.choice(["MessageSid", "From", "Body", "NumMedia", "Extra"])] = _no_surrogates(
            str(_value(rng))
        )
    return form


def _status_form(rng: random.Random) -> tuple[str, dict[str, str]]:
    form = {
        "MessageSid": rng.choice(
            ["SM" + "c" * 32, "tg-5", "SM" + "0" * 32, "", "SM" + "c" * 31 + "\x00"]
        ),
        "MessageStatus": rng.choice(
            ["delivered", "read", "failed", "undelivered", "sent", "", "x" * 100]
        ),
        "ErrorCode": rng.choice(["", "21610", "30003", "9" * 30, "١٢", "\x00"]),
    }
    query = f"?attempt={rng.choice(ATTEMPTS)}" if rng.random() < 0.6 else ""
    return STATUS_PATH + query, form


def cases(seed: int, count: int) -> Iterator[Case]:
    """`count` cases, the same ones for the same seed; about a third are forgeries."""
    rng = random.Random(seed)
    for _ in range(count):
        roll = rng.random()
        forged = rng.random() < 0.35
        twilio = rng.choice(TWILIO_FORGERIES) if forged else "genuine"
        telegram = rng.choice(sorted(TELEGRAM_FORGERIES)) if forged else "genuine"
        if roll < 0.3:
            yield form_case(SMS_PATH, _sms_form(rng), twilio)
        elif roll < 0.5:
            yield form_case(*_status_form(rng), twilio)
        elif roll < 0.85:
            yield telegram_case(_update(rng), telegram)
        elif roll < 0.9:  # an oversized body, genuine credentials or not
            case = (
                telegram_case(b"{" + b" " * 70_000 + b"}", telegram)
                if rng.random() < 0.5
                else form_case(SMS_PATH, dict(_sms_form(rng), Body="x" * 70_000), twilio)
            )
            yield case
        elif roll < 0.95:  # a body that is not a form at all, signed over nothing
            body = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 300)))
            signature = sign(PUBLIC + SMS_PATH, {})
            yield Case(
                "POST", SMS_PATH, {"X-Twilio-Signature": signature}, body, False, "twilio:raw-bytes"
            )
        else:
            yield rng.choice(
                [
                    Case("GET", "/healthz", {}, b"", True, "healthz"),
                    Case("GET", SMS_PATH, {}, b"", False, "wrong-method"),
                    Case("POST", "/webhooks/x", {}, b"{}", False, "unknown-path"),
                ]
            )


def row_counts(store: Store) -> dict[str, int]:
    """Rows in every table of the store."""
    with store.engine.connect() as conn:
        return {
            table.name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            for table in SQLModel.metadata.sorted_tables
        }


@dataclass
class Tally:
    cases: int = 0
    server_errors: int = 0
    unauthenticated_writes: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


class WriteCounter:
    """Counts INSERT, UPDATE and DELETE statements the store's engine runs."""

    def __init__(self, store: Store) -> None:
        self.writes = 0
        event.listen(store.engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "REPLACE")):
            self.writes += 1


def run(send: Callable[[Case], int], store: Store, batch: Iterator[Case]) -> Tally:
    """Send each case; count 5xx answers and writes made while serving a forgery."""
    counter, tally = WriteCounter(store), Tally()
    for case in batch:
        before = counter.writes
        status = send(case)
        tally.cases += 1
        tally.statuses[status] = tally.statuses.get(status, 0) + 1
        wrote = counter.writes - before
        if status >= 500:
            tally.server_errors += 1
            tally.failures.append(f"{case.kind} {case.path} -> {status}")
        if not case.authentic and (wrote or status < 400):
            tally.unauthenticated_writes += wrote
            tally.failures.append(f"{case.kind} {case.path} -> {status}, {wrote} writes")
    return tally
