"""pytest fixtures for the fake providers.

Each fixture yields a started fake on 127.0.0.1 and, at teardown, fails the test if the fake
recorded a contract violation (a request the real provider would have rejected). A test that
breaks the contract on purpose calls `fake.take_violations()` and asserts on what it got.
Make them available to every test from `tests/conftest.py`:

    pytest_plugins = ["tests.fakes.fixtures"]
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.base import FakeProvider
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio
from tests.fakes.x import FakeX


def check_no_violations(fake: FakeProvider) -> None:
    """Fail the current test, listing them, if `fake` recorded any contract violation."""
    violations = fake.take_violations()
    if violations:
        listed = "\n  ".join(violations)
        pytest.fail(
            f"{type(fake).__name__} saw {len(violations)} contract violation(s):\n  {listed}",
            pytrace=False,
        )


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """A started fake Twilio; the test fails if it saw a request Twilio would reject."""
    with FakeTwilio() as fake:
        yield fake
    check_no_violations(fake)


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    """A started fake Bot API; the test fails if it saw a call Telegram would reject."""
    with FakeTelegram() as fake:
        yield fake
    check_no_violations(fake)


@pytest.fixture
def fake_x() -> Iterator[FakeX]:
    """A started fake X DM API; the test fails if it saw a request X would reject."""
    with FakeX() as fake:
        yield fake
    check_no_violations(fake)
