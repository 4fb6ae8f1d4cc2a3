"""The root command's lazy table: each command's module is imported when it is first used.

`carebot --help` lists every command with its one-line help from the table alone, so it
imports Typer, Rich and the settings and nothing else; `carebot patient list` imports the
`patient` group's modules and what they need (the store, SQLModel), never a provider's SDK or
Alembic.

A table entry is `name: Lazy("module:attribute", "one-line help")`. The attribute is a Typer
app for a command group (`carebot patient ...`) or a function for a single command (`carebot
tick`). The one-line help is what `carebot --help` shows: the first paragraph of the
command's own help, on one line (tests/cli/test_lazy.py checks that they agree).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import typer
from typer import _click as click  # typer's own copy of click
from typer.core import TyperCommand
from typer.main import get_command_from_info, get_group_from_info
from typer.models import CommandInfo, TyperInfo

from bot.cli.errors import CarebotGroup, hide_flag_types


@dataclass(frozen=True)
class Lazy:
    """Where a command lives ("module:attribute") and its one-line help."""

    target: str
    help: str

    def load(self, name: str, *, parent: LazyGroup) -> click.Command:
        """The real command, imported and made as Typer's `add_typer`/`command` make it."""
        module, _, attribute = self.target.partition(":")
        found: Any = getattr(importlib.import_module(module), attribute)
        if isinstance(found, typer.Typer):
            command: click.Command = get_group_from_info(
                TyperInfo(found, name=name),
                pretty_exceptions_short=True,
                suggest_commands=parent.suggest_commands,
                rich_markup_mode=parent.rich_markup_mode,
            )
        else:
            command = get_command_from_info(
                CommandInfo(name=name, callback=found),
                pretty_exceptions_short=True,
                rich_markup_mode=parent.rich_markup_mode,
            )
        hide_flag_types(command)
        return command

    def stub(self, name: str) -> click.Command:
        """A stand-in that only names the command and says its one-line help, for a listing."""
        return TyperCommand(name=name, help=self.help)


class LazyGroup(CarebotGroup):
    """The root command, whose subcommands are the entries of `table` (see the module doc)."""

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
