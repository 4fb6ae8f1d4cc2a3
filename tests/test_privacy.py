"""Personal data never in output, logs or the database file in clear."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from bot.cli.demo import PATIENTS, REPLIES
from bot.logs import redact, setup_logging
from bot.store import crypto
from bot.store.db import make_engine
from tests.conftest import Cli
from tests.helpers import CONFIGURED

SECRETS = (
    *(name for _, _, _, name in PATIENTS),
    *(ref for ref, _, _, _ in PATIENTS),
    *(text for *_, text in REPLIES if len(text) > 6),
)


def test_the_demo_with_debug_logging_leaks_no_name_reference_or_reply(
    cli: Cli, tmp_path: Path
) -> None:
    cli.env["CAREBOT_LOG_LEVEL"] = "DEBUG"
    keep = tmp_path / "demo"
    result = cli("demo", "--keep", str(keep))
    assert result.code == 0, result.err
    assert "Deliveries" in result.out and "urgent" in result.out
    output = result.out + result.err
    for secret in SECRETS:
        assert secret not in output, "personal data in the demo's output"
    raw = b"".join(p.read_bytes() for p in keep.iterdir() if p.name.startswith("carebot.db"))
    assert len(raw) > 10_000
    for secret in SECRETS:
        assert secret.encode() not in raw, "personal data in the database file"
    assert b"SQLite format 3" not in raw  # the whole file is SQLCipher-encrypted


def test_below_sqlcipher_every_personal_field_is_encrypted_too(cli: Cli) -> None:
    """Every row of every table, as the database shows it to whoever holds its key (or to a
    PostgreSQL administrator): no personal field in clear."""
    cli.env.update(CONFIGURED)  # SMS is configured: the consent is not refused
    enrol = cli(
        "patient",
        "enrol",
        "--ref",
        "AZ-SECRET-4711",
        "--program",
        "post-stroke-weekly",
        "--lang",
        "nl",
        "--tz",
        "Europe/Brussels",
        "--name",
        "Godelieve",
        "--sms",
        "+32470123456",
        "--consent",
        "sms,console",
        "--format",
        "json",
    )
    assert enrol.code == 0, enrol.err
    pseudonym = json.loads(enrol.out)["pseudonym"]
    reply = "bloeddruk 150 op 95, mijn knie doet pijn sinds zaterdag"
    assert cli("reply", pseudonym, reply).code == 0
    master = crypto.decode_key(cli.env["CAREBOT_MASTER_KEY"], what="test")
    engine = make_engine(cli.env["CAREBOT_DATABASE_URL"], master)
    with engine.connect() as connection:
        tables = inspect(connection).get_table_names()
        dump = "\n".join(
            repr(row)
            for table in tables
            for row in connection.execute(text(f'SELECT * FROM "{table}"'))
        )
    engine.dispose()
    assert "patient" in tables and pseudonym in dump
    for secret in ("AZ-SECRET-4711", "Godelieve", "+32470123456", "470123456", "knie", "zaterdag"):
        assert secret not in dump, "a personal field is stored in clear"


def test_the_log_filter_redacts_numbers_and_tokens() -> None:
    line = redact(
        "POST /bot123456:ABCdefGHIjklMNOpqrSTUvwxYZ012345/sendMessage to +32470123456 "
        "chat_id=987654321 auth_token=abc123"
    )
    assert "+32470123456" not in line and "987654321" not in line
    assert "ABCdef" not in line and "abc123" not in line
    assert re.search(r"\[number\]", line)


def test_a_logged_traceback_is_redacted_too(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    setup_logging("INFO")
    try:
        try:
            raise RuntimeError(
                "Bot `123456:AAAAbbbbCCCCddddEEEEffffGGGGhhhh` was rejected for chat 987654321"
            )
        except RuntimeError:
            logging.getLogger("carebot.test").exception("tick failed")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    err = capsys.readouterr().err
    assert "tick failed" in err and "RuntimeError" in err
    assert "AAAAbbbb" not in err and "987654321" not in err


def test_a_library_stays_quiet_at_debug_and_carebot_does_not(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An SDK's debug line (a channel added later brings its own) never reaches the log."""
    root, own = logging.getLogger(), logging.getLogger("carebot")
    saved = root.handlers[:], root.level, own.level
    setup_logging("DEBUG")
    try:
        logging.getLogger("some_provider_sdk.http").debug("POST body=Hello Jan")
        logging.getLogger("carebot.test").debug("cycle started")
    finally:
        root.handlers[:], level, own_level = saved
        root.setLevel(level)
        own.setLevel(own_level)
    err = capsys.readouterr().err
    assert "cycle started" in err
    assert "Hello Jan" not in err
