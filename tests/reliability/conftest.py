"""Fixtures of the reliability suite: a rig (store, logging fakes, patients) per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.fakes.fixtures import check_no_violations
from tests.reliability.rig import Rig

MakeRig = Callable[..., Rig]


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
