"""A program's on-call address (a nurse's phone or chat) is a personal field: encrypted in the
stored definition, decrypted only to send the notice, shown masked."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import make_url, text

from bot.config import Settings
from bot.inbound.alerts import on_call_notice, send_notice
from bot.programs import catalog
from bot.store import crypto, on_call
from bot.store.db import make_engine
from bot.store.store import open_store
from tests.conftest import Cli
from tests.fakes.twilio import FakeTwilio
from tests.helpers import settings_for, write_program

NURSE = "+32470999888"


def _on_call_program(folder: Path) -> Path:
    path = write_program(folder, name="on-call-weekly")
    path.write_text(path.read_text() + f'\n[on_call]\nchannel = "sms"\naddress = "{NURSE}"\n')
    return path


def _program_rows(database_url: str, master: bytes) -> str:
    """The program and data-key rows as whoever holds the database key sees them: through
    sqlcipher3 itself for the SQLite file, through the server for PostgreSQL."""
    url = make_url(database_url)
    if url.drivername.startswith("sqlite"):
        import sqlcipher3

        connection = sqlcipher3.connect(url.database)
        try:
            connection.execute(f'PRAGMA key = "{crypto.sqlcipher_key(master)}"')
            rows = [
                *connection.execute("SELECT * FROM program"),
                *connection.execute("SELECT * FROM data_key"),
                *connection.execute("SELECT * FROM audit_event"),
            ]
        finally:
            connection.close()
    else:
        engine = make_engine(database_url, master)
        with engine.connect() as connection:
            rows = [
                *connection.execute(text("SELECT * FROM program")),
                *connection.execute(text("SELECT * FROM data_key")),
                *connection.execute(text("SELECT * FROM audit_event")),
            ]
        engine.dispose()
    return "\n".join(repr(tuple(row)) for row in rows)


def test_the_on_call_address_is_encrypted_in_the_store_and_shown_masked(cli: Cli) -> None:
    path = _on_call_program(cli.cwd)
    cli.env["CAREBOT_TEMPLATES_DIR"] = str(cli.cwd / "templates")
    added = cli("program", "add", str(path))
    assert added.code == 0, added.err
    shown = cli("program", "show", "on-call-weekly", "--format", "json")
    assert shown.code == 0, shown.err
    assert json.loads(shown.out)["on_call"] == {"channel": "sms", "address": "*********888"}
    table = cli("program", "show", "on-call-weekly")
    assert NURSE not in shown.out + table.out and "*********888" in table.out
    master = crypto.decode_key(cli.env["CAREBOT_MASTER_KEY"], what="test")
    rows = _program_rows(cli.env["CAREBOT_DATABASE_URL"], master)
    assert "on-call-weekly" in rows and '"on_call": ["sms", "enc:' in rows
    for clear in (NURSE, NURSE[1:], "470999888", "999888"):
        assert clear not in rows, "the on-call address is stored in clear"


def test_the_notice_goes_to_the_decrypted_address(
    tmp_path: Path, settings: Settings, fake_twilio: FakeTwilio
) -> None:
    store = open_store(
        settings_for(tmp_path, settings).model_copy(
            update={
                "twilio_account_sid": fake_twilio.account_sid,
                "twilio_auth_token": SecretStr(fake_twilio.auth_token),
                "twilio_from": "+3278000000",
                "carebot_twilio_api_url": fake_twilio.url,
            }
        )
    )
    with store.session() as session:
        catalog.add(store, session, _on_call_program(tmp_path), actor="test")
        program = catalog.get(store, session, "on-call-weekly")
    assert program.on_call is not None and program.on_call[1].startswith(on_call.SEALED)
    notice = on_call_notice(program, "P-TEST-0001")
    assert notice is not None and NURSE not in repr(notice)
    assert asyncio.run(send_notice(store, notice, subject="P-TEST-0001"))
    store.engine.dispose()
    assert [m.to for m in fake_twilio.messages] == [NURSE]


def test_adding_the_same_file_again_changes_nothing_though_each_seal_differs(
    tmp_path: Path, settings: Settings
) -> None:
    store = open_store(settings_for(tmp_path, settings))
    path = _on_call_program(tmp_path)
    with store.session() as session:
        assert catalog.add(store, session, path, actor="test")[1]
    with store.session() as session:
        assert not catalog.add(store, session, path, actor="test")[1]
    store.engine.dispose()


def test_an_address_an_older_carebot_stored_in_clear_is_sealed_when_the_store_opens(
    tmp_path: Path, settings: Settings
) -> None:
    configured = settings_for(tmp_path, settings)
    store = open_store(configured)
    with store.session() as session:
        catalog.add(store, session, _on_call_program(tmp_path), actor="test")
        program = catalog.get(store, session, "on-call-weekly")
        clear = on_call.unseal_definition(store, session, "on-call-weekly", program.to_json())
        session.execute(text("UPDATE program SET definition = :d"), {"d": clear})
    store.engine.dispose()
    master = crypto.decode_key(
        settings.carebot_master_key.get_secret_value(),  # type: ignore[union-attr]
        what="test",
    )
    assert NURSE in _program_rows(settings.carebot_database_url, master)
    reopened = open_store(configured)
    with reopened.session() as session:
        row = catalog.rows(session)[0]
        sealed = catalog.from_row(row).on_call
        assert sealed is not None
        assert on_call.unseal(reopened, session, row.name, sealed[1]) == NURSE
    reopened.engine.dispose()
    assert NURSE not in _program_rows(settings.carebot_database_url, master)
