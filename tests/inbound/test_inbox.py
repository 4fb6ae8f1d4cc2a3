"""A channel receives on its own: its webhook routes are served and its `poll` is called
without bot/inbound or bot/runtime naming it, and what it hands the inbox is treated like
any channel's message (matched, triaged, answered, the on-call nurse told)."""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import SecretStr
from sqlmodel import select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.testclient import TestClient

from bot.channels import registry, webhook
from bot.channels.base import (
    ChannelContext,
    InboundMessage,
    Inbox,
    OutboundMessage,
    StatusUpdate,
)
from bot.channels.telegram import TelegramChannel
from bot.config import Settings
from bot.inbound import status
from bot.inbound.inbox import StoreInbox
from bot.inbound.webhooks import build_app
from bot.patients import enrolment as patients
from bot.programs import catalog
from bot.runtime import tick
from bot.store.models import AuditEvent, Patient, Reminder, Reply
from bot.store.store import Store, open_store
from tests.fakes.telegram import FakeTelegram
from tests.helpers import FakeChannel, settings_for, write_program

KEY = "pager-key-0123456789"
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)  # a Tuesday: nothing of a Monday program is due


class Pager(FakeChannel):
    """A channel carebot does not ship: it receives by webhook and by polling."""

    name: ClassVar[str] = "pager"
    ceiling: ClassVar[str] = "personal"
    opened: ClassVar[int] = 0
    waiting: ClassVar[list[InboundMessage]] = []
    said: ClassVar[list[tuple[str, str]]] = []

    @staticmethod
    def configured(settings: Settings) -> bool:
        return True

    @staticmethod
    def normalise(address: str, *, region: str) -> str:
        return address

    @classmethod
    def open(cls, context: ChannelContext) -> Pager:
        Pager.opened += 1
        return cls()

    async def send(self, message: OutboundMessage) -> str:
        return "pager-1"

    async def send_text(self, address: str, text: str) -> None:
        Pager.said.append((address, text))

    async def poll(self, inbox: Inbox) -> int:
        for message in Pager.waiting:
            await inbox.receive(message, send=self.send_text)
        return len(Pager.waiting)

    @classmethod
    def routes(cls, inbox: Inbox) -> list[BaseRoute]:
        async def page(request: Request) -> Response:
            given = request.headers.get("X-Pager-Key", "")
            if not hmac.compare_digest(given.encode(), KEY.encode()):
                return webhook.forbidden()
            text = (await webhook.read_body(request)).decode()
            outcome = await inbox.receive(_message(text))
            return JSONResponse({"answer": outcome.answer}, background=webhook.after(outcome))

        return [Route("/webhooks/pager", page, methods=["POST"])]


def _message(text: str, msg_id: str = "pager:1") -> InboundMessage:
    return InboundMessage(
        channel="pager", address="555", text=text, received_at=NOW, provider_message_id=msg_id
    )


@pytest.fixture
def paged(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, settings: Settings) -> Iterator[Store]:
    """The pager in the registry (one line, as a new channel adds), a patient on it, and a
    program whose on-call nurse is at the console."""
    monkeypatch.setitem(registry.TABLE, "pager", f"{__name__}:Pager")
    monkeypatch.setattr(registry, "NAMES", (*registry.NAMES, "pager"))
    registry.kind.cache_clear()
    Pager.opened, Pager.waiting, Pager.said = 0, [], []
    path = write_program(tmp_path, name="on-call-weekly")
    program = path.read_text().replace('order = ["console"]', 'order = ["pager", "console"]')
    path.write_text(program + '\n[on_call]\nchannel = "console"\n')
    store = open_store(settings_for(tmp_path, settings))
    with store.session() as session:
        catalog.add(store, session, path, actor="test")
    patients.enrol(
        store,
        reference="AZ-11",
        program="on-call-weekly",
        language="nl",
        timezone="Europe/Brussels",
        name="Jan",
        contacts={"pager": "555"},
        consent=["pager"],
        actor="test",
        now=NOW,
    )
    yield store
    store.engine.dispose()
    registry.kind.cache_clear()


def test_a_channel_in_the_registry_serves_its_own_webhook(paged: Store) -> None:
    with TestClient(build_app(paged)) as client:
        forged = client.post("/webhooks/pager", content=b"mijn arm is slap")
        assert forged.status_code == 403
        with paged.session() as session:
            assert session.exec(select(Reply)).all() == []
        answered = client.post(
            "/webhooks/pager", content=b"mijn arm is slap", headers={"X-Pager-Key": KEY}
        )
        assert answered.status_code == 200 and "112" in answered.json()["answer"]
        assert client.get("/healthz").json() == {"status": "ok"}
    with paged.session() as session:
        reply = session.exec(select(Reply)).one()
        assert (reply.channel, reply.flags) == ("pager", "urgent") and reply.pseudonym


def test_two_channels_claiming_one_path_are_refused_when_the_app_is_built(
    paged: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def routes(cls: type[Pager], inbox: Inbox) -> list[BaseRoute]:
        return [Route("/webhooks/telegram", lambda _: Response(), methods=["POST"])]

    monkeypatch.setattr(Pager, "routes", classmethod(routes))
    with pytest.raises(ValueError, match="taken"):
        build_app(paged)


def test_the_cycle_polls_a_channel_and_tells_the_on_call_nurse_on_the_open_channels(
    paged: Store,
) -> None:
    """The urgent reply is answered on the pager and the nurse's notice goes out on the
    cycle's own console (its echo shows it): no channel is opened again for the notice."""
    Pager.waiting = [_message("mijn arm is slap en ik praat raar")]
    shown: list[tuple[str, str]] = []
    tick(paged, now=NOW, echo=lambda who, text: shown.append((who, text)))
    assert [address for address, _ in Pager.said] == ["555"] and "112" in Pager.said[0][1]
    assert [who for who, _ in shown] == ["on-call"]
    assert Pager.opened == 1
    with paged.session() as session:
        alerts = session.exec(select(AuditEvent).where(AuditEvent.action == "alert.on-call"))
        assert len(alerts.all()) == 1
    tick(paged, now=NOW, echo=lambda who, text: shown.append((who, text)))  # the same DM again
    assert len(Pager.said) == 1 and len(shown) == 1


def test_a_status_update_moves_only_a_reminder_of_its_own_channel(paged: Store) -> None:
    with paged.session() as session:
        who = session.exec(select(Patient.pseudonym)).one()
        session.add(
            Reminder(
                occurrence_key="p",
                pseudonym=who,
                program="on-call-weekly",
                local_slot="2026-11-30T10:00",
                due_at=NOW,
                status="sent",
                channel="pager",
                provider_id="P-77",
                updated_at=NOW,
            )
        )
    other = StatusUpdate(channel="sms", provider_id="P-77", status="delivered")
    assert not status.apply(paged, other, now=NOW)
    own = StatusUpdate(channel="pager", provider_id="P-77", status="delivered")
    assert status.apply(paged, own, now=NOW)
    with paged.session() as session:
        assert session.exec(select(Reminder.status)).one() == "delivered"
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "reminder.delivered"))
        assert event.one().actor == "pager"


def test_a_notice_with_no_channels_handed_in_opens_only_its_own_channel(paged: Store) -> None:
    """`carebot reply` has no cycle: the notice's channel alone is opened, not every one."""
    from bot.inbound.alerts import Notice, send_notice

    shown: list[tuple[str, str]] = []
    notice = Notice("console", "", "urgent reply waiting")
    assert asyncio.run(
        send_notice(paged, notice, subject=None, echo=lambda *shown_: shown.append(shown_))
    )
    assert shown == [("on-call", "urgent reply waiting")] and Pager.opened == 0


def test_polling_moves_past_an_update_it_cannot_read_and_audits_it(
    settings: Settings, fake_telegram: FakeTelegram
) -> None:
    """One parser for an update, polled or posted: one it cannot read (here a chat with no
    type, which PTB's own parser refuses) is audited and passed, never re-fetched for ever."""
    configured = settings.model_copy(
        update={
            "telegram_bot_token": SecretStr(fake_telegram.token),
            "carebot_telegram_api_url": f"{fake_telegram.url}/bot",
        }
    )
    store = open_store(configured)
    broken = fake_telegram.updates.message_update(4242, "hallo", date=int(NOW.timestamp()))
    del broken["message"]["chat"]["type"]
    fake_telegram.updates.push(broken)
    fake_telegram.updates.push_message(4243, "hallo", date=int(NOW.timestamp()))

    async def poll() -> int:
        channel = TelegramChannel(configured)
        try:
            return await channel.poll(StoreInbox(store, channels={}))
        finally:
            await channel.close()

    assert asyncio.run(poll()) == 2
    assert asyncio.run(poll()) == 0
    with store.session() as session:
        assert [r.channel for r in session.exec(select(Reply)).all()] == ["telegram"]
        ignored = session.exec(select(AuditEvent).where(AuditEvent.action == "telegram.ignored"))
        assert [json.loads(event.detail)["reason"] for event in ignored] == ["no chat"]
    store.engine.dispose()
