"""The documentation keeps up with the code: every setting and every command is documented."""

from __future__ import annotations

import re

from typer import _click as click  # typer's own copy of click

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
    """Every command and group command, each one's module imported (see bot/cli/lazy.py)."""
    names = []
    ctx = click.Context(app)
    for name in app.list_commands(ctx):
        command = app.get_command(ctx, name)
        assert command is not None
        subs = command.list_commands(ctx) if hasattr(command, "list_commands") else []
        names += [f"{name} {sub}" for sub in subs] or [name]
    return names


def test_every_command_is_in_the_readme() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    missing = [name for name in _commands() if f"carebot {name}" not in readme]
    assert not missing, f"commands missing from README.md: {missing}"
