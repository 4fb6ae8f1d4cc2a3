"""The `carebot` command run in the test's own process (faster than a subprocess), with the
same settings, exit codes and one-line errors as the console script."""

from __future__ import annotations

import gc
import io
import os
import sys
from dataclasses import dataclass

import pytest

from bot.cli import main
from bot.config import get_settings
from tests.conftest import Cli, Result


@dataclass
class InProcess:
    """Call like `Cli`: `carebot("patient", "list")` -> Result(code, out, err)."""

    cli: Cli
    monkeypatch: pytest.MonkeyPatch
    capsys: pytest.CaptureFixture[str]

    def __call__(self, *args: str) -> Result:
        with self.monkeypatch.context() as patch:
            for name in list(os.environ):
                if name.startswith(("CAREBOT_", "TWILIO_", "TELEGRAM_", "X_")):
                    patch.delenv(name)
            for name, value in self.cli.env.items():
                patch.setenv(name, value)
            patch.chdir(self.cli.cwd)
            patch.setattr(sys, "argv", ["carebot", *args])
            patch.setattr(sys, "stdin", io.StringIO())  # no terminal
            get_settings.cache_clear()
            self.capsys.readouterr()
            code = 0
            try:
                main()
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            finally:
                get_settings.cache_clear()
                gc.collect()  # closes the stores the command opened, as its exit would
            captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)


@pytest.fixture(name="carebot")
def carebot_fixture(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> InProcess:
    """Import `carebot_fixture` into a test module to use the `carebot` fixture."""
    return InProcess(cli, monkeypatch, capsys)
