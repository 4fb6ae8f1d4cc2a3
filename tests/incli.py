"""The `carebot` app run in the test's own process (Typer's CliRunner): the same commands,
settings from the environment and a real store, without a subprocess per call."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app, common
from bot.config import Settings, get_settings
from bot.store.store import Store, open_store
from tests.conftest import Result

Run = Callable[..., Result]


def in_process(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Run]:
    """For a `run` fixture: `run("replies", "show", "1")` gives the command's exit code,
    stdout and stderr."""
    assert settings.carebot_master_key and settings.carebot_pseudonym_secret
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for name, value in {
        "CAREBOT_DATABASE_URL": settings.carebot_database_url,
        "CAREBOT_MASTER_KEY": settings.carebot_master_key.get_secret_value(),
        "CAREBOT_PSEUDONYM_SECRET": settings.carebot_pseudonym_secret.get_secret_value(),
        "CAREBOT_ACTOR": "nurse-test",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(common.console, "width", 1000)  # long cells stay on one line
    opened: list[Store] = []

    def opening(s: Settings) -> Store:  # the real opening, remembered to close it after
        opened.append(open_store(s))
        return opened[-1]

    monkeypatch.setattr(common, "open_store", opening)
    get_settings.cache_clear()
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        result = runner.invoke(app, list(args))
        while opened:
            opened.pop().engine.dispose()
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Result(result.exit_code, result.stdout, result.stderr)

    yield invoke
    get_settings.cache_clear()
