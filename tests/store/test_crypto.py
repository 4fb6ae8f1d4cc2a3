"""Field encryption, pseudonyms, erasure and key rotation."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlmodel import select

from bot.config import Settings
from bot.patients import enrolment as patients
from bot.patients import lifecycle
from bot.store import crypto
from bot.store.keyring import ErasedError
from bot.store.models import Contact, Patient
from bot.store.rotation import rotate
from bot.store.store import Store, open_store

KEY = crypto.new_key()


def test_a_field_round_trips() -> None:
    blob = crypto.encrypt_field(KEY, "Jan Peeters", table="patient", column="name", row="P-1")
    assert b"Jan" not in blob
    assert (
        crypto.decrypt_field(KEY, blob, table="patient", column="name", row="P-1") == "Jan Peeters"
    )


@pytest.mark.parametrize(
    "table,column,row",
    [
        ("patient", "name", "P-2"),
        ("patient", "nickname", "P-1"),
        ("contact", "name", "P-1"),
    ],
)
def test_a_ciphertext_moved_to_another_row_or_column_fails(
    table: str, column: str, row: str
) -> None:
    blob = crypto.encrypt_field(KEY, "Jan", table="patient", column="name", row="P-1")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_field(KEY, blob, table=table, column=column, row=row)


def test_a_pseudonym_is_stable_for_a_reference_and_changes_with_the_secret() -> None:
    keys = crypto.Keys(master=KEY, pseudonym_secret=crypto.new_key())
    other = crypto.Keys(master=KEY, pseudonym_secret=crypto.new_key())
    first = keys.pseudonym("AZ-123456")
    assert first == keys.pseudonym(" az-123456 ")
    assert first.startswith("P-") and len(first) == len("P-7K2M-QX4D")
    assert first != other.pseudonym("AZ-123456")
    assert first != keys.pseudonym("AZ-123457")


def _enrol(store: Store, ref: str = "AZ-1") -> str:
    return patients.enrol(
        store,
        reference=ref,
        program="post-stroke-weekly",
        language="nl",
        timezone="Europe/Brussels",
        name="Jan",
        contacts={"sms": "+32470123456"},
        consent=["sms"],
        actor="test",
    ).pseudonym


def test_after_erase_the_patients_ciphertexts_cannot_be_decrypted(store: Store) -> None:
    who = _enrol(store)
    with store.session() as session:
        name_blob = session.get(Patient, who).name_enc  # type: ignore[union-attr]
        data_key = store.data_key(session, who)
    lifecycle.erase(store, who, actor="test")
    with store.session() as session:
        assert session.exec(select(Contact).where(Contact.pseudonym == who)).first() is None
        with pytest.raises(ErasedError):
            store.data_key(session, who)
    # Even a copy of the old ciphertext (a backup) is useless without the destroyed key:
    # only the key we kept here in the test could still open it.
    assert name_blob is not None
    assert crypto.decrypt_field(data_key, name_blob, table="patient", column="name", row=who)


def test_master_key_rotation_keeps_every_record_readable(
    tmp_path: Path, settings: Settings
) -> None:
    key_file = tmp_path / "carebot.key"
    crypto.write_secret_file(key_file, crypto.encode_key(crypto.new_key()))
    file_settings = replace_settings(settings, key_file)
    store = open_store(file_settings)
    who = _enrol(store)
    store.engine.dispose()
    before = key_file.read_text()
    assert rotate(file_settings, actor="test") >= 1
    assert key_file.read_text() != before
    reopened = open_store(file_settings)
    with reopened.session() as session:
        patient = session.get(Patient, who)
        assert patient is not None and patient.name_enc is not None
        assert (
            reopened.decrypt(
                session, who, patient.name_enc, table="patient", column="name", row=who
            )
            == "Jan"
        )
    reopened.engine.dispose()
    stale = replace(reopened.keys, master=crypto.decode_key(before, what="old"), fallbacks=())
    with pytest.raises(Exception, match="cannot be opened"):
        open_store(replace_settings(settings, key_file, master=crypto.encode_key(stale.master)))


def replace_settings(settings: Settings, key_file: Path, master: str | None = None) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        carebot_database_url=settings.carebot_database_url,
        carebot_key_file=None if master else key_file,
        carebot_master_key=SecretStr(master) if master else None,
        carebot_pseudonym_secret=settings.carebot_pseudonym_secret,
    )


def test_a_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "k"
    path.write_text(crypto.encode_key(crypto.new_key()))
    path.chmod(0o644)
    with pytest.raises(crypto.KeyringError, match="chmod 600"):
        crypto.read_key_file(path)
