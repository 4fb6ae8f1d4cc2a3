"""Fixtures of the reliability suite: a rig (store, logging fakes, patients) per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_ADMIN_URL
from tests.fakes.fixtures import check_no_violations
from tests.reliability.rig import Rig

MakeRig = Callable[..., Rig]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The rig keeps its stores in SQLCipher files whatever the pass: in the PostgreSQL pass
    (`make test-postgres`) it would only run the SQLite pass's cases again, two minutes for
    nothing, so they are skipped there."""
    if POSTGRES_ADMIN_URL is None:
        return
    skip = pytest.mark.skip(reason="the reliability rig runs on SQLCipher files: SQLite pass")
    for item in items:
        if "tests/reliability/" in item.nodeid.replace("\\", "/"):
            item.add_marker(skip)


@pytest.fixture
def make_rig(tmp_path: Path) -> Iterator[MakeRig]:
    """`make_rig(n, channels=..., setup=...)`: a started rig; the test fails if a fake saw a request
    its provider would reject."""
    rigs: list[Rig] = []
    with ExitStack() as stack:

        def make(n: int, setup: Callable[[Path], None] | None = None, **options: object) -> Rig:
            folder = tmp_path / f"rig-{len(rigs)}"
            folder.mkdir()
            if setup is not None:  # a program of the test's own, say
                setup(folder)
            rig = stack.enter_context(Rig(folder, n, **options))  # type: ignore[arg-type]
            rigs.append(rig)
            return rig

        yield make
    for rig in rigs:
        check_no_violations(rig.telegram)
        check_no_violations(rig.twilio)
