"""Lazy command tables: each command's module is imported when it is first used.

`carebot --help` lists every command with its one-line help from the root table alone, so it
imports Typer and Rich and nothing else, not even the settings; `carebot patient list` imports
the `list` command's module and what it needs (the store, SQLModel), never a provider's SDK,
Alembic, the program catalog or the triage.

A table entry is `name: Lazy("module:attribute", "one-line help")`. The attribute is a Typer
app for a command group (`carebot program ...`) or a function for a single command (`carebot
tick`, `carebot patient list`); `cls` names a command class of the same module that the
command is made with (as `app.command(cls=...)` does). The help is what the group's `--help`
lists: the first paragraph of the command's own help. The root table gives it on one line;
the `patient` table with the docstring's line breaks, which Typer keeps in a listing, so that
its listing stays the one the commands themselves made (tests/cli/test_lazy.py checks both).

The settings are read, and logging set up as they say, when a command runs, not before: so
no `--help` reads them, and a bad setting still stops every command before it does anything
(exit 1, one line; see `CarebotGroup`).
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import typer
from typer import _click as click  # typer's own copy of click
from typer._click.globals import get_current_context
from typer.core import TyperCommand, TyperGroup
from typer.main import get_command_from_info, get_group_from_info
from typer.models import CommandInfo, TyperInfo

from bot.cli.errors import CarebotGroup, hide_flag_types


@dataclass(frozen=True)
class Lazy:
    """Where a command lives ("module:attribute"), its help in a listing, its own class."""

    target: str
    help: str
    cls: str | None = None

    def load(self, name: str, *, parent: LazyGroup) -> click.Command:
        """The real command, imported and made as Typer's `add_typer`/`command` make it."""
        module_name, _, attribute = self.target.partition(":")
        module = importlib.import_module(module_name)
        found: Any = getattr(module, attribute)
        if isinstance(found, typer.Typer):
            command: click.Command = get_group_from_info(
                TyperInfo(found, name=name),
                pretty_exceptions_short=True,
                suggest_commands=parent.suggest_commands,
                rich_markup_mode=parent.rich_markup_mode,
            )
        else:
            command = get_command_from_info(
                CommandInfo(
                    name=name,
                    cls=getattr(module, self.cls) if self.cls else None,
                    callback=found,
                ),
                pretty_exceptions_short=True,
                rich_markup_mode=parent.rich_markup_mode,
            )
        hide_flag_types(command)
        settings_first(command)
        return command

    def stub(self, name: str) -> click.Command:
        """A stand-in that only names the command and says its help, for a listing."""
        return TyperCommand(name=name, help=inspect.cleandoc(self.help))


def start() -> None:
    """What comes before any command runs: the settings read (a bad one raises pydantic's
    ValidationError, which `CarebotGroup` refuses in one line) and logging set up."""
    from bot.config import get_settings
    from bot.logs import setup_logging

    setup_logging(get_settings().carebot_log_level)


def _started(callback: Callable[..., Any], *, group: bool) -> Callable[..., Any]:
    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        # a group's callback runs before its subcommand, whose own callback starts then
        if not group or get_current_context().invoked_subcommand is None:
            start()
        return callback(*args, **kwargs)

    run.__dict__["carebot_started"] = True
    return run


def settings_first(command: click.Command) -> None:
    """Make the command, and each of its subcommands, `start` before it runs (see the
    module doc). Help is shown while the arguments are parsed, before any callback."""
    callback = command.callback
    if callback is not None and not getattr(callback, "carebot_started", False):
        command.callback = _started(callback, group=isinstance(command, TyperGroup))
    for sub in getattr(command, "commands", {}).values():
        settings_first(sub)


class LazyGroup(CarebotGroup):
    """A group whose subcommands are the entries of `table` (see the module doc)."""

    table: dict[str, Lazy] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.table)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        entry = self.table.get(cmd_name)
        if entry is None:
            return None
        if self._listing:
            return entry.stub(cmd_name)
        command = self.commands[cmd_name] = entry.load(cmd_name, parent=self)
        return command

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True  # the listing shows the table's help; nothing is imported for it
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False
