"""Shared fixtures: a real SQLCipher store in a temp dir, and the real `carebot` command."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.config import Settings
from bot.store import crypto
from bot.store.keyring import Store, open_store
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio

pytest_plugins = ["tests.fakes.fixtures"]  # fake_twilio, fake_telegram, fake_x

CAREBOT = str(Path(sys.executable).with_name("carebot"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        carebot_database_url=f"sqlite:///{tmp_path / 'carebot.db'}",
        carebot_master_key=crypto.encode_key(crypto.new_key()),
        carebot_pseudonym_secret=crypto.encode_key(crypto.new_key()),
    )


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    opened = open_store(settings)
    yield opened
    opened.engine.dispose()


@dataclass
class Result:
    code: int
    out: str
    err: str


@dataclass
class Cli:
    """Runs the installed `carebot` console script in a temp dir with its own keys."""

    cwd: Path
    env: dict[str, str]

    def __call__(self, *args: str, input: str | None = None) -> Result:
        proc = subprocess.run([CAREBOT, *args], cwd=self.cwd, env=self.env, input=input,
                              capture_output=True, text=True, timeout=120)
        return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAREBOT_", "TWILIO_",
                                                                      "TELEGRAM_", "X_"))}
    env.update({
        "CAREBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'carebot.db'}",
        "CAREBOT_MASTER_KEY": crypto.encode_key(crypto.new_key()),
        "CAREBOT_PSEUDONYM_SECRET": crypto.encode_key(crypto.new_key()),
        "CAREBOT_ACTOR": "nurse-test",
        "COLUMNS": "200",
    })
    return Cli(cwd=tmp_path, env=env)


@pytest.fixture
def wired(cli: Cli, fake_twilio: FakeTwilio, fake_telegram: FakeTelegram) -> Cli:
    """The `carebot` command with Twilio and Telegram pointed at the fake providers."""
    cli.env.update({
        "TWILIO_ACCOUNT_SID": fake_twilio.account_sid, "TWILIO_AUTH_TOKEN": fake_twilio.auth_token,
        "TWILIO_FROM": "+3278000000", "CAREBOT_TWILIO_API_URL": fake_twilio.url,
        "TELEGRAM_BOT_TOKEN": fake_telegram.token, "TELEGRAM_BOT_USERNAME": "carebot_test_bot",
        "CAREBOT_TELEGRAM_API_URL": f"{fake_telegram.url}/bot",
    })
    return cli
