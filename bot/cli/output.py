"""The one way the CLI prints data: as text, never as markup, a terminal command or a formula.

Whatever a patient wrote or a store holds (names, replies, notes, rendered messages, provider
errors) goes through here. In tables and plain lines it becomes a Rich `Text` (so `[/bold]` or
`[link=...]` is shown, not interpreted) with control and format characters made visible
(`bot.text.visible`). JSON stays exact JSON: the same data parses back, and the characters a
terminal could act on (DEL, C1, bidi and zero-width characters, which `json.dumps` leaves raw
with `ensure_ascii=False`) are written as `\\u` escapes. CSV cells are neutralised as OWASP
advises: one starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from rich.console import Console
from rich.text import Text

from bot.text import has_unsafe, is_unsafe, visible

# What a spreadsheet may take as the start of a formula (OWASP, CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# The width of output that is not a terminal (a pipe, a file, cron mail): wide enough that
# Rich neither wraps a line nor cuts a table's cell (a pseudonym cut to `P-K09B-3…`).
UNBOUNDED = 100_000


def make_console(*, stderr: bool = False) -> Console:
    """A Rich console for the CLI: a terminal's own width, or COLUMNS if set; otherwise, as
    for a pipe, no width limit at all, so that no line is wrapped and no cell is cut."""
    stream = sys.stderr if stderr else sys.stdout
    tty = hasattr(stream, "isatty") and stream.isatty()
    width = None if tty or os.environ.get("COLUMNS") else UNBOUNDED
    return Console(stderr=stderr, width=width, soft_wrap=stderr)


def as_text(value: Any) -> str:
    """A value as one string: lists comma-joined, dicts as JSON, booleans as JSON spells
    them (`true`, never Python's `True`), None as nothing."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(as_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def cell(value: Any) -> Text:
    """A table cell: the value as plain text with its unsafe characters made visible."""
    return Text(visible(as_text(value)))


def csv_cell(value: Any) -> str | int | float:
    """A CSV cell: numbers as they are; text made visible and kept from reading as a formula.

    The apostrophe goes in after the escaping, so a leading tab (shown as `\\t`) is already
    harmless and only `=`, `+`, `-` and `@` are left to catch.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = visible(as_text(value))
    return "'" + text if text.startswith(FORMULA_START) else text


def _json_escape(char: str) -> str:
    cp = ord(char)
    if cp < 0x10000:
        return f"\\u{cp:04x}"
    cp -= 0x10000  # above the BMP: a surrogate pair, as JSON spells it
    return f"\\u{0xD800 + (cp >> 10):04x}\\u{0xDC00 + (cp & 0x3FF):04x}"


def json_dumps(data: Any, *, indent: int | None = 2) -> str:
    """Exact JSON with accents readable and every unsafe character written as a `\\u` escape.

    `json.dumps` escapes C0 in strings itself, so a raw newline is the indentation's; any other
    unsafe character is inside a string, where its escape stands for the same character:
    `json.loads` gives the same data.
    """
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    if not has_unsafe(text.replace("\n", "")):
        return text
    return "".join(_json_escape(c) if is_unsafe(c) and c != "\n" else c for c in text)


def say(console: Console, *parts: str | tuple[str, str]) -> None:
    """Print one plain line built from pieces of text, each `(text, style)` or bare text.

    No piece is ever parsed as markup, emoji codes or highlighted: a piece is data.
    """
    line = Text()
    for part in parts:
        text, style = (part, "") if isinstance(part, str) else part
        line.append(visible(text), style=style)
    console.print(line, highlight=False, emoji=False, markup=False, soft_wrap=True)
