"""The `carebot` command run in the test's own process, as its console script runs it.

A subprocess costs about two seconds of imports per call; this costs milliseconds. It goes
through `bot.cli.main`, the console script's own entry point, inside Typer's `CliRunner`
isolation, so that exit codes, the one-line refusals on stderr and the refusal of a bad setting
are what a user gets. What a process would start afresh is made fresh for each call and put
back after it: the environment (only the given one, no CAREBOT_/TWILIO_/... of the test's
process), the current directory, `sys.argv` and the standard streams, the cached settings, the
root logger's handlers and levels, and the Rich consoles (which read the terminal's width and
colours when they are made). The stores a call opened are closed after it, as its exit would.
"""

from __future__ import annotations

import logging
import os
import sys
import types
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import Connection, Engine, event
from typer.testing import CliRunner

PREFIXES = ("CAREBOT_", "TWILIO_", "TELEGRAM_", "X_")
"""Environment variables that configure carebot: a call sees only those it is given."""


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_in_process(
    args: tuple[str, ...], *, cwd: Path, env: Mapping[str, str], input: str | None = None
) -> Result:
    """`carebot ARGS` in this process, in `cwd`, with `env` as its environment."""
    from bot.cli import main  # imported here: a test module that runs no command never pays

    overrides: dict[str, str | None] = {
        name: None for name in os.environ if name.startswith(PREFIXES) and name not in env
    }
    overrides.update({name: value for name, value in env.items() if os.environ.get(name) != value})
    with (
        _closing_stores(),
        _kept_logging(),
        CliRunner().isolation(input=input, env=overrides) as (out, err, _),
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.chdir(cwd)
        patch.setattr(sys, "argv", ["carebot", *args])
        patch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))  # not `python -m`
        _fresh_consoles(patch)
        code = _exit_code(main)
        sys.stdout.flush()
        sys.stderr.flush()
        return Result(code, _text(out.getvalue()), _text(err.getvalue()))


def _exit_code(main: Any) -> int:
    """Call the entry point; its exit code as the interpreter would make it of SystemExit."""
    from bot.config import get_settings

    get_settings.cache_clear()
    try:
        main()
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        sys.stderr.write(f"{exc.code}\n")
        return 1
    finally:
        get_settings.cache_clear()
    return 0


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace").replace("\r\n", "\n")


def _fresh_consoles(patch: pytest.MonkeyPatch) -> None:
    """Every module-level Rich console of the CLI made again, as a new process makes them:
    sized by COLUMNS (or unbounded, as for a pipe), writing to the captured streams, no
    colour for a non-terminal."""
    from bot.cli.output import make_console

    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith("bot.cli"):
            continue
        for attribute, value in list(vars(module).items()):
            if isinstance(value, Console):
                patch.setattr(module, attribute, make_console(stderr=value.stderr))


@contextmanager
def _kept_logging() -> Iterator[None]:
    """The root logger's handlers and every logger's level as they were: `setup_logging`
    replaces the root's handlers with one bound to the call's captured stderr."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {
        name: logger.level
        for name, logger in logging.Logger.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, logger in list(logging.Logger.manager.loggerDict.items()):
            kept = levels.get(name, logging.NOTSET)
            if isinstance(logger, logging.Logger) and logger.level != kept:
                logger.setLevel(kept)  # only those changed: each setLevel clears every cache


@contextmanager
def _closing_stores() -> Iterator[None]:
    """Dispose of every engine that connected during the call: an idle SQLCipher connection
    left open would keep `carebot restore` from locking the store, as another process would."""
    engines: weakref.WeakSet[Engine] = weakref.WeakSet()

    def connected(connection: Connection) -> None:
        engines.add(connection.engine)

    event.listen(Engine, "engine_connect", connected)
    try:
        yield
    finally:
        event.remove(Engine, "engine_connect", connected)
        for engine in list(engines):
            engine.dispose()
