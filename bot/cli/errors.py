"""How the CLI refuses: one line, a non-zero exit, and never the value that was refused.

A mistyped value can be personal (a name typed into `--tz`, a phone number into `--lang`):
repeated in an error line it lands on screen, in cron mail and in shell logs. So the refusals
carebot raises name what was expected, not what was given, and click's own usage errors are
reworded the same way before they are shown. Error lines go through `bot.text.visible` too.
"""

from __future__ import annotations

from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy import make_url
from typer import _click as click  # typer's own copy of click, whose errors it raises
from typer.core import TyperGroup

from bot.errors import CarebotError
from bot.text import visible

# Refusals a user can cause (a bad program, an unknown patient, a wrong key, a refused
# backup...): one line, exit 1, never a traceback. They all derive from CarebotError.
USER_ERRORS: tuple[type[Exception], ...] = (CarebotError,)


err_console = Console(stderr=True)


def print_error(message: str) -> None:
    """`error: ...` on stderr, as plain text with unsafe characters made visible."""
    err_console.print(
        f"error: {visible(message)}", markup=False, highlight=False, emoji=False, soft_wrap=True
    )


def _without_value(exc: click.exceptions.UsageError) -> click.exceptions.UsageError:
    """The same usage error, its message no longer quoting what was typed."""
    if isinstance(exc, click.exceptions.BadParameter) and not isinstance(
        exc, click.exceptions.MissingParameter
    ):
        return click.exceptions.BadParameter(
            "not valid here; see --help for what it takes",
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


def _store_fault(exc: Exception) -> str | None:
    """A driver's or the OS's error that is a store fault (disk full, read-only, locked)
    and that the engine did not turn into a StoreFault itself (an alembic step, a file
    carebot opened): the same one line, by its code (see bot.store.faults)."""
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


class CarebotGroup(TyperGroup):
    """The root command: turns carebot's refusals and unexpected failures into one line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.exceptions.UsageError as exc:
            raise _without_value(exc) from None
        except (typer.Exit, typer.Abort, click.ClickException, EOFError, BrokenPipeError):
            raise  # typer's own handling: exit codes, help, a closed pipe (`| head`)
        except USER_ERRORS as exc:
            print_error(str(exc))
            raise typer.Exit(1) from None
        except ValidationError as exc:  # a bad setting, met by a command that reads them
            from bot.config import settings_error

            print_error(settings_error(exc))
            raise typer.Exit(1) from None
        except Exception as exc:  # unexpected: say what kind, never what data
            print_error(_store_fault(exc) or f"unexpected {type(exc).__name__}")
            raise typer.Exit(1) from None
