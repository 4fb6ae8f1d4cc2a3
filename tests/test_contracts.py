"""The provider contracts kept in the repository are the project's own, byte for byte.

The fakes check every request against `tests/contracts/` on a fresh clone, and against the
contracts beside the repository (`../shared/contracts`) or `$CAREBOT_CONTRACTS_DIR` when they
are there. A kept copy that disagrees with them would let a request pass here that the
project's contract refuses, so any difference fails.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.fakes import contracts

FILES = (contracts.TWILIO_FILE, contracts.TELEGRAM_FILE)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _reference() -> Path | None:
    """The contracts the kept copy must match, if any are reachable from here."""
    for candidate in (contracts.contracts_dir(), contracts.beside_dir()):
        if (
            candidate.resolve() != contracts.kept_dir().resolve()
            and (candidate / contracts.TWILIO_FILE).is_file()
        ):
            return candidate
    return None


def test_the_kept_contracts_are_complete() -> None:
    kept = contracts.kept_dir()
    for name in (*FILES, "LICENSE.twilio-oai", "LICENSE.telegram-bot-api-spec", "README.md"):
        assert (kept / name).is_file(), name


@pytest.mark.parametrize("name", FILES)
def test_the_kept_contracts_equal_the_projects_own(name: str) -> None:
    reference = _reference()
    if reference is None:
        pytest.skip("no contracts beside the repository: the kept copy is the reference")
    assert _digest(contracts.kept_dir() / name) == _digest(reference / name), (
        f"tests/contracts/{name} differs from {reference / name}: copy the newer one in "
        "and note its commit in tests/contracts/README.md"
    )


def test_a_changed_contract_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in FILES:
        (tmp_path / name).write_bytes((contracts.kept_dir() / name).read_bytes())
    spec = tmp_path / contracts.TWILIO_FILE
    spec.write_bytes(spec.read_bytes().replace(b'"To"', b'"Recipient"', 1))
    monkeypatch.setenv("CAREBOT_CONTRACTS_DIR", str(tmp_path))
    with pytest.raises(AssertionError, match="differs"):
        test_the_kept_contracts_equal_the_projects_own(contracts.TWILIO_FILE)
