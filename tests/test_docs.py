"""The documentation keeps up with the code: every setting and every command is documented."""

from __future__ import annotations

import re

from bot.cli import app
from bot.config import REPO_ROOT, Settings


def test_every_setting_is_in_env_example() -> None:
    documented = set(
        re.findall(
            r"^#? ?([A-Z][A-Z0-9_]+)=", (REPO_ROOT / ".env.example").read_text(), re.MULTILINE
        )
    )
    missing = {name.upper() for name in Settings.model_fields} - documented
    assert not missing, f"settings missing from .env.example: {sorted(missing)}"


def _commands() -> list[str]:
    names = [c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands]
    for group in app.registered_groups:
        sub = group.typer_instance
        assert sub is not None
        names += [f"{group.name} {c.name}" for c in sub.registered_commands]
    return names


def test_every_command_is_in_the_readme() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    missing = [name for name in _commands() if f"carebot {name}" not in readme]
    assert not missing, f"commands missing from README.md: {missing}"
