"""Shared fixtures: a real SQLCipher store in a temp dir, and the real `carebot` command."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.store import crypto
from bot.store.store import Store, open_store
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio
from tests.incli import PREFIXES, Result, run_in_process

pytest_plugins = ["tests.fakes.fixtures"]  # fake_twilio, fake_telegram, fake_x

CAREBOT = str(Path(sys.executable).with_name("carebot"))


# Set to a PostgreSQL admin URL (see .ci/postgres) to run the store-backed tests on a fresh
# PostgreSQL database each instead of a SQLCipher file.
POSTGRES_ADMIN_URL = os.environ.get("CAREBOT_TEST_POSTGRES_URL")


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A new, empty store: a SQLCipher file, or a PostgreSQL database dropped afterwards."""
    if not POSTGRES_ADMIN_URL:
        yield f"sqlite:///{tmp_path / 'carebot.db'}"
        return
    from sqlalchemy import create_engine, make_url, text

    name = f"carebot_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        carebot_database_url=database_url,
        carebot_master_key=SecretStr(crypto.encode_key(crypto.new_key())),
        carebot_pseudonym_secret=SecretStr(crypto.encode_key(crypto.new_key())),
    )


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    opened = open_store(settings)
    yield opened
    opened.engine.dispose()


@dataclass
class Cli:
    """The `carebot` command in a temp dir with its own keys: `cli("patient", "list")` gives
    Result(code, out, err). Run in the test's process (tests/incli.py) unless the test is
    marked `subprocess`, for the few end-to-end tests that run the installed console script."""

    cwd: Path
    env: dict[str, str]
    subprocess: bool = False

    def __call__(self, *args: str, input: str | None = None) -> Result:
        if not self.subprocess:
            return run_in_process(args, cwd=self.cwd, env=self.env, input=input)
        proc = subprocess.run(
            [CAREBOT, *args],
            cwd=self.cwd,
            env=self.env,
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,  # never a terminal
            capture_output=True,
            text=True,
            timeout=120,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def cli(request: pytest.FixtureRequest, tmp_path: Path, database_url: str) -> Cli:
    env = {k: v for k, v in os.environ.items() if not k.startswith(PREFIXES)}
    env.update(
        {
            "CAREBOT_DATABASE_URL": database_url,
            "CAREBOT_MASTER_KEY": crypto.encode_key(crypto.new_key()),
            "CAREBOT_PSEUDONYM_SECRET": crypto.encode_key(crypto.new_key()),
            "CAREBOT_ACTOR": "nurse-test",
            "COLUMNS": "200",
        }
    )
    marked = request.node.get_closest_marker("subprocess") is not None
    return Cli(cwd=tmp_path, env=env, subprocess=marked)


@pytest.fixture
def wired(cli: Cli, fake_twilio: FakeTwilio, fake_telegram: FakeTelegram) -> Cli:
    """The `carebot` command with Twilio and Telegram pointed at the fake providers."""
    cli.env.update(
        {
            "TWILIO_ACCOUNT_SID": fake_twilio.account_sid,
            "TWILIO_AUTH_TOKEN": fake_twilio.auth_token,
            "TWILIO_FROM": "+3278000000",
            "CAREBOT_TWILIO_API_URL": fake_twilio.url,
            "TELEGRAM_BOT_TOKEN": fake_telegram.token,
            "TELEGRAM_BOT_USERNAME": "carebot_test_bot",
            "CAREBOT_TELEGRAM_API_URL": f"{fake_telegram.url}/bot",
        }
    )
    return cli
