"""The `carebot` fixture: another name for `cli` (tests/conftest.py), which runs the command
in the test's own process with the console script's exit codes and one-line errors."""

from __future__ import annotations

import pytest

from tests.conftest import Cli

InProcess = Cli


@pytest.fixture(name="carebot")
def carebot_fixture(cli: Cli) -> Cli:
    """Import `carebot_fixture` into a test module to use the `carebot` fixture."""
    return cli
