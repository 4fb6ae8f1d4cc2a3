"""How the CLI refuses: one line, a non-zero exit, and never the value that was refused.

A mistyped value can be personal (a name typed into `--tz`, a phone number into `--lang`):
repeated in an error line it lands on screen, in cron mail and in shell logs. So the refusals
carebot raises name what was expected, not what was given, and click's own usage errors are
reworded the same way before they are shown. Error lines go through `bot.text.visible` too.
"""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer import _click as click  # typer's own copy of click, whose errors it raises
from typer.core import TyperGroup, TyperOption

from bot.cli.output import make_console
from bot.errors import CarebotError
from bot.text import visible

# Refusals a user can cause (a bad program, an unknown patient, a wrong key, a refused
# backup...): one line, exit 1, never a traceback. They all derive from CarebotError.
USER_ERRORS: tuple[type[Exception], ...] = (CarebotError,)


err_console = make_console(stderr=True)


def print_error(message: str) -> None:
    """`error: ...` on stderr, as plain text with unsafe characters made visible."""
    err_console.print(
        f"error: {visible(message)}", markup=False, highlight=False, emoji=False, soft_wrap=True
    )


def print_warning(message: str) -> None:
    """`warning: ...` on stderr, one line: done, but something needs an admin's attention."""
    err_console.print(
        f"warning: {visible(message)}", markup=False, highlight=False, emoji=False, soft_wrap=True
    )


def _without_value(exc: click.exceptions.UsageError) -> click.exceptions.UsageError:
    """The same usage error, its message no longer quoting what was typed."""
    if type(exc).__name__ == "ChoiceError":  # names the values it takes, never the one typed
        return exc
    if isinstance(exc, click.exceptions.BadParameter) and not isinstance(
        exc, click.exceptions.MissingParameter
    ):
        return click.exceptions.BadParameter(
            _expected(exc.param),
            ctx=exc.ctx,
            param=exc.param,
            param_hint=exc.param_hint,
        )
    if exc.message.startswith("Got unexpected extra argument"):
        return click.exceptions.UsageError(
            "got unexpected extra arguments (quote a text that has spaces)", ctx=exc.ctx
        )
    if exc.message.startswith("No such command"):
        return click.exceptions.UsageError("no such command", ctx=exc.ctx)
    return exc


def _bad_setting(exc: Exception) -> str | None:
    """A bad setting (pydantic's ValidationError, met when a command reads the settings) as
    one line; None for any other error. Pydantic is imported only once one was raised: a
    `--help` reads no settings and never imports it."""
    if "pydantic_core" not in sys.modules:
        return None
    from pydantic import ValidationError

    if not isinstance(exc, ValidationError):
        return None
    from bot.config import settings_error

    return settings_error(exc)


def _store_fault(exc: Exception) -> str | None:
    """A driver's or the OS's error that is a store fault (disk full, read-only, locked)
    and that the engine did not turn into a StoreFault itself (an alembic step, a file
    carebot opened): the same one line, by its code (see bot.store.faults)."""
    from sqlalchemy import make_url

    from bot.config import get_settings
    from bot.store import faults

    if faults.classify(exc) is None:
        return None
    try:
        url = make_url(get_settings().carebot_database_url)
    except Exception:  # noqa: BLE001  the settings' own error is shown elsewhere
        return str(faults.fault_of(exc, "the store"))
    where = url.database or "the store" if url.drivername.startswith("sqlite") else url.host
    return str(faults.fault_of(exc, where or "the store"))


def usage_line(exc: click.exceptions.UsageError) -> str:
    """A usage error as one line: what is wrong, and where to read how the command is used.

    Not Typer's boxed panel, which Rich wraps at the terminal's width (80 columns when the
    output is a pipe or a cron mail), so that a long error came out on several lines.
    """
    where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
    return f"{exc.format_message()}{where}"


def hide_flag_types(command: click.Command) -> None:
    """A flag takes no value: its help shows no `<bool>` type beside it (Typer's rich help
    shows one for every option, which read as `--quiet <bool>`)."""
    helper = command.get_help_option(click.Context(command))  # made once, then kept
    for param in [*command.params, helper]:
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""
    for sub in getattr(command, "commands", {}).values():
        hide_flag_types(sub)


def _expected(param: Any) -> str:
    """What a parameter takes, as far as its declaration says (its choices, its range)."""
    choices = getattr(getattr(param, "type_descriptor", None), "choices", None)
    if choices:
        return f"must be one of {', '.join(str(getattr(c, 'value', c)) for c in choices)}"
    described = getattr(param, "_get_number_range_help_str", None)
    span = described() if callable(described) else None
    return f"must be a number, {span}" if span else "not valid here"


class CarebotGroup(TyperGroup):
    """The root command: turns carebot's refusals, its usage errors and unexpected failures
    into one line each."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        hide_flag_types(self)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.exceptions.UsageError as exc:
            print_error(usage_line(_without_value(exc)))
            raise typer.Exit(exc.exit_code) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.exceptions.UsageError as exc:
            print_error(usage_line(_without_value(exc)))
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort, click.ClickException, EOFError, BrokenPipeError):
            raise  # typer's own handling: exit codes, help, a closed pipe (`| head`)
        except USER_ERRORS as exc:
            print_error(str(exc))
            raise typer.Exit(1) from None
        except Exception as exc:  # a bad setting; else unexpected: say what kind, never what data
            print_error(
                _bad_setting(exc) or _store_fault(exc) or f"unexpected {type(exc).__name__}"
            )
            raise typer.Exit(1) from None
