"""Erasure that holds: after `patient erase`, nothing of the patient can be read back from the
store's files with the master key, even while another connection keeps the store open."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlcipher3
from sqlmodel import select

from bot.config import Settings
from bot.inbound.receive import receive
from bot.patients import enrolment as patients
from bot.patients import lifecycle
from bot.store import crypto
from bot.store.models import Contact, DataKey, Patient, Reply
from bot.store.store import Store, open_store
from tests import forensics
from tests.conftest import POSTGRES_ADMIN_URL
from tests.helpers import CONFIGURED
from tests.inprocess import InProcess, carebot_fixture  # noqa: F401 (a fixture)

NAME, NUMBER = "Godelieve", "+32470123456"
REPLIES = (
    "bloeddruk 150 op 95, mijn knie doet pijn sinds zaterdag",
    "suiker 7,2 vanmorgen na het ontbijt bij de buren",
    # Long enough for overflow pages, which the erasure frees.
    "ik schrijf u een lange brief over mijn week " * 250,
)

sqlite_only = pytest.mark.skipif(bool(POSTGRES_ADMIN_URL), reason="SQLCipher files only")


def _enrol_with_history(store: Store) -> tuple[str, list[bytes]]:
    """A patient with a name, an SMS number, replies and a nurse's note; returns the
    pseudonym and every secret byte string the store holds for them."""
    who = patients.enrol(
        store,
        reference="AZ-ERASE-1",
        program="post-stroke-weekly",
        language="fr",
        timezone="America/Montreal",
        name=NAME,
        contacts={"sms": NUMBER},
        consent=["sms"],
        actor="test",
    ).pseudonym
    now = datetime.now(UTC)
    ids = [
        receive(store, channel="sms", text=text, received_at=now, pseudonym=who).reply_id
        for text in REPLIES
    ]
    with store.session() as session:
        reply = session.get(Reply, ids[0])
        assert reply is not None
        reply.note_enc = store.encrypt(
            session, who, "rappelé, tout va bien", table="reply", column="note", row=reply.id or 0
        )
        reply.reviewed = True
        session.add(reply)
    with store.session() as session:
        patient = session.get(Patient, who)
        key = session.get(DataKey, who)
        assert patient is not None and patient.name_enc and key is not None
        blobs = [key.wrapped, patient.name_enc]
        blobs += [
            c.address_enc for c in session.exec(select(Contact).where(Contact.pseudonym == who))
        ]
        for r in session.exec(select(Reply).where(Reply.pseudonym == who)):
            blobs += [b for b in (r.text_enc, r.readings_enc, r.note_enc) if b]
    plain = [NAME.encode(), NUMBER.encode(), *(t.encode() for t in REPLIES)]
    return who, blobs + plain


def _db_file(settings: Settings) -> Path:
    return Path(settings.carebot_database_url.removeprefix("sqlite:///"))


def _found(settings: Settings, secrets: list[bytes]) -> list[int]:
    """Which secrets (by index) a forensic read of the store's files with the key finds, in
    whole or any 24-byte piece of them (a long one spans overflow pages)."""
    master = crypto.decode_key(
        settings.carebot_master_key.get_secret_value(),  # type: ignore[union-attr]
        what="test",
    )
    pages = forensics.plaintext(_db_file(settings), master)
    return [
        i
        for i, secret in enumerate(secrets)
        if any(secret[at : at + 24] in pages for at in range(0, max(len(secret) - 23, 1), 24))
    ]


@sqlite_only
def test_the_forensic_reader_finds_a_live_patient(store: Store, settings: Settings) -> None:
    """The check below can fail: before erasure, every ciphertext is found in the pages."""
    _, secrets = _enrol_with_history(store)
    ciphertexts = len(secrets) - 2 - len(REPLIES)
    assert _found(settings, secrets) == list(range(ciphertexts))


@sqlite_only
@pytest.mark.parametrize("other", ["store", "raw-idle"])
def test_after_erase_no_page_of_the_store_or_its_wal_holds_the_patient(
    store: Store, settings: Settings, other: str
) -> None:
    who, secrets = _enrol_with_history(store)
    # Another process keeps the store open, as `carebot serve` does.
    second = open_store(settings)
    raw = sqlcipher3.connect(str(_db_file(settings)))
    raw.execute(f'PRAGMA key = "{crypto.sqlcipher_key(second.keys.master)}"')
    raw.execute("SELECT count(*) FROM patient").fetchall()
    with second.session() as session:
        assert session.get(Patient, who) is not None
    try:
        assert lifecycle.erase(store, who, actor="test").purged
        assert _found(settings, secrets) == []
        # Freed pages were read too (the long reply's overflow pages): zeroed, not left.
        assert raw.execute("PRAGMA freelist_count").fetchone()[0] > 0
    finally:
        raw.close()
        second.engine.dispose()


@sqlite_only
def test_erase_waits_for_a_reader_that_finishes(store: Store, settings: Settings) -> None:
    who, secrets = _enrol_with_history(store)
    raw = sqlcipher3.connect(str(_db_file(settings)), check_same_thread=False)
    raw.isolation_level = None
    raw.execute(f'PRAGMA key = "{crypto.sqlcipher_key(store.keys.master)}"')
    raw.execute("BEGIN")
    raw.execute("SELECT count(*) FROM reply").fetchall()  # a read transaction, held open
    ended = threading.Timer(1.0, lambda: raw.execute("COMMIT"))
    ended.start()
    started = time.monotonic()
    try:
        result = lifecycle.erase(store, who, actor="test")
    finally:
        ended.join()
        raw.close()
    assert result.purged and time.monotonic() - started >= 0.9
    assert _found(settings, secrets) == []


@sqlite_only
def test_a_reader_that_never_finishes_is_reported_and_purge_finishes_later(
    store: Store, settings: Settings
) -> None:
    who, secrets = _enrol_with_history(store)
    raw = sqlcipher3.connect(str(_db_file(settings)))
    raw.isolation_level = None
    raw.execute(f'PRAGMA key = "{crypto.sqlcipher_key(store.keys.master)}"')
    raw.execute("BEGIN")
    raw.execute("SELECT count(*) FROM reply").fetchall()
    result = lifecycle.erase(store, who, actor="test", wait_seconds=0.5)
    assert not result.purged  # the reader's snapshot still needs the old pages
    raw.execute("COMMIT")
    raw.close()
    assert lifecycle.purge(store, wait_seconds=0.5)
    assert _found(settings, secrets) == []


def test_an_erased_patient_keeps_only_pseudonym_statuses_and_audit(store: Store) -> None:
    who, _ = _enrol_with_history(store)
    lifecycle.erase(store, who, actor="test")
    with store.session() as session:
        patient = session.get(Patient, who)
        assert patient is not None
        assert (patient.status, patient.language, patient.timezone) == ("erased", "", "")
        assert patient.name_enc is None
        assert patients.consents(session, who) == {}
        assert patients.consents_of(session).get(who, {}) == {}


def test_patient_list_and_show_give_an_erased_patient_no_consent(carebot: InProcess) -> None:
    carebot.env.update(CONFIGURED)  # SMS is configured: the consent is not refused
    enrol = carebot(
        "patient",
        "enrol",
        "--ref",
        "AZ-77",
        "--program",
        "post-stroke-weekly",
        "--lang",
        "nl",
        "--tz",
        "Europe/Brussels",
        "--name",
        "Jan",
        "--sms",
        NUMBER,
        "--consent",
        "sms,console",
        "--format",
        "json",
    )
    assert enrol.code == 0, enrol.err
    who = json.loads(enrol.out)["pseudonym"]
    erased = carebot("patient", "erase", who, "--yes")
    assert erased.code == 0, erased.err
    listed = json.loads(carebot("patient", "list", "--format", "json").out)
    assert listed == [
        {
            "pseudonym": who,
            "program": "post-stroke-weekly",
            "language": "",
            "timezone": "",
            "status": "erased",
            "channels": [],
            "reachable": [],
        }
    ]
    shown = carebot("patient", "show", who, "--format", "json")
    assert shown.code == 0, shown.err
    data = json.loads(shown.out)
    assert (data["status"], data["consent"], data["addresses"]) == ("erased", {}, {})


@pytest.mark.skipif(not POSTGRES_ADMIN_URL, reason="PostgreSQL only")
def test_on_postgresql_no_heap_page_of_data_key_keeps_the_erased_key(store: Store) -> None:
    """A deleted row stays in its heap page (a dead tuple) until vacuumed: read the table's
    raw pages as the server's superuser could (pageinspect)."""
    who, secrets = _enrol_with_history(store)
    wrapped = secrets[0]

    def raw_pages() -> bytes:
        with store.engine.connect() as conn:
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pageinspect")
            count = conn.exec_driver_sql(
                "SELECT pg_relation_size('data_key') / current_setting('block_size')::int"
            ).scalar_one()
            pages = b"".join(
                conn.exec_driver_sql(f"SELECT get_raw_page('data_key', {n})").scalar_one()
                for n in range(count)
            )
            conn.commit()
        return pages

    assert wrapped in raw_pages()
    assert lifecycle.erase(store, who, actor="test").purged
    assert wrapped not in raw_pages()
