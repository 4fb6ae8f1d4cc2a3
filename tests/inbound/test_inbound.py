"""Inbound basics: keywords, consent history, replays and unknown senders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.inbound.receive import receive
from bot.patients import enrolment as patients
from bot.patients import lifecycle
from bot.store.models import Consent, Reply
from bot.store.store import Store

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def _enrol(store: Store) -> str:
    return patients.enrol(
        store,
        reference="AZ-5",
        program="post-stroke-weekly",
        language="fr",
        timezone="Europe/Brussels",
        name="Marie",
        contacts={"sms": "+32470000001"},
        consent=["sms", "console"],
        actor="test",
        now=NOW,
    ).pseudonym


def _consent(store: Store, who: str) -> dict[str, bool]:
    with store.session() as session:
        return patients.consents(session, who)


def test_stop_withdraws_only_that_channel_and_other_words_do_not_restore_it(store: Store) -> None:
    who = _enrol(store)
    result = receive(store, channel="sms", text="STOP", received_at=NOW, address="+32470000001")
    assert result.pseudonym == who and result.answer is not None
    assert _consent(store, who) == {"sms": False, "console": True}
    receive(
        store,
        channel="sms",
        text="merci, bonne journée",
        received_at=NOW + timedelta(1),
        address="+32470000001",
    )
    assert _consent(store, who)["sms"] is False
    receive(
        store, channel="sms", text="start", received_at=NOW + timedelta(2), address="+32470000001"
    )
    assert _consent(store, who)["sms"] is True
    with store.session() as session:
        history = session.exec(select(Consent).where(Consent.channel == "sms")).all()
    assert [c.granted for c in history] == [True, False, True]  # append-only


def test_start_cannot_undo_a_withdrawal_the_nurse_recorded(store: Store) -> None:
    who = _enrol(store)
    lifecycle.change_consent(store, who, channel="sms", granted=False, actor="nurse-test", now=NOW)
    receive(
        store, channel="sms", text="START", received_at=NOW + timedelta(1), address="+32470000001"
    )
    assert _consent(store, who)["sms"] is False  # only a new consent from a nurse restores it


def test_a_replayed_provider_message_changes_nothing(store: Store) -> None:
    _enrol(store)
    first = receive(
        store,
        channel="sms",
        text="STOP",
        received_at=NOW,
        address="+32470000001",
        provider_message_id="SM" + "1" * 32,
    )
    again = receive(
        store,
        channel="sms",
        text="STOP",
        received_at=NOW,
        address="+32470000001",
        provider_message_id="SM" + "1" * 32,
    )
    assert again.duplicate and again.reply_id == first.reply_id and again.answer is None
    with store.session() as session:
        assert len(session.exec(select(Reply)).all()) == 1
        assert len(session.exec(select(Consent).where(Consent.granted == False)).all()) == 1  # noqa: E712


def test_a_message_from_an_unknown_number_is_kept_for_the_nurses(store: Store) -> None:
    _enrol(store)
    result = receive(
        store, channel="sms", text="wie is dit?", received_at=NOW, address="+32470999999"
    )
    assert result.pseudonym is None and result.reply_id is not None
    with store.session() as session:
        reply = session.get(Reply, result.reply_id)
        assert reply is not None and reply.key_owner == "_inbox"
        assert (
            store.decrypt(
                session, "_inbox", reply.text_enc, table="reply", column="text", row=reply.id or 0
            )
            == "wie is dit?"
        )


def test_a_request_in_words_to_stop_withdraws_that_channel_and_is_confirmed(store: Store) -> None:
    who = _enrol(store)
    result = receive(
        store,
        channel="sms",
        text="je ne veux plus recevoir ces messages",
        received_at=NOW,
        address="+32470000001",
    )
    assert result.flags == ("opt-out",) and result.keyword is None
    assert result.answer is not None and "plus de messages" in result.answer
    assert _consent(store, who) == {"sms": False, "console": True}


def test_a_stop_about_something_else_keeps_the_consent(store: Store) -> None:
    who = _enrol(store)
    result = receive(
        store,
        channel="sms",
        text="j'ai arrêté de fumer, ça va bien",
        received_at=NOW,
        address="+32470000001",
    )
    assert "opt-out" not in result.flags and result.answer is None
    assert _consent(store, who)["sms"] is True


def test_a_stop_with_a_warning_sign_gets_the_emergency_answer_first_then_the_opt_out(
    store: Store,
) -> None:
    who = _enrol(store)
    result = receive(
        store,
        channel="sms",
        text="arrêtez ces messages, ma bouche pend à gauche",
        received_at=NOW,
        address="+32470000001",
    )
    assert result.flags[0] == "urgent" and "opt-out" in result.flags
    assert result.answer is not None
    emergency, _, confirmation = result.answer.partition("\n\n")
    assert "112" in emergency and "plus de messages" in confirmation
    assert _consent(store, who)["sms"] is False


def test_a_flag_the_channel_gives_joins_the_reply_and_puts_it_in_the_queue(store: Store) -> None:
    """A keypress "2" (talk to a nurse) says nothing to triage as text; the channel knows."""
    who = _enrol(store)
    plain = receive(store, channel="sms", text="2", received_at=NOW, address="+32470000001")
    asked = receive(
        store,
        channel="sms",
        text="2",
        received_at=NOW,
        address="+32470000001",
        flags=("attention",),
    )
    assert plain.flags == () and asked.flags == ("attention",)
    with store.session() as session:
        reply = session.get(Reply, asked.reply_id)
        assert reply is not None and reply.pseudonym == who
        assert reply.flags == "attention" and reply.priority == 1
    with pytest.raises(ValueError, match="unknown flag"):
        receive(store, channel="sms", text="2", received_at=NOW, flags=("nurse",))
