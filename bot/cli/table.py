"""A plain table drawn as Rich draws it, for long lists printed without colour.

Rich measures and wraps every cell of a table, which for `patient list` of 1,000 patients took
longer than everything else the command does (about a second on a busy 2-core machine). When
the console has no colours (a pipe, cron mail, a test) and every cell fits on one line, the
table Rich would print is fully known: each column as wide as its widest cell plus one space
either side, Rich's default box (heavy head), the title centred above. `draw` prints that,
and says False for any other table (colours, a line break in a cell, wider than the console),
which Rich then prints itself. tests/cli/test_table.py compares the two on many tables.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text


def draw(
    console: Console, title: Text | None, header: Sequence[Text], rows: Sequence[Sequence[Text]]
) -> bool:
    """Print the table on `console` if it is one this module draws as Rich would; else False."""
    if console.color_system is not None or not header:
        return False
    title = title or None  # Rich shows no title line for an empty one
    cells = [list(header), *rows]
    if any(_multiline(text) for row in cells for text in row):
        return False
    if title is not None and (_multiline(title) or title.plain != title.plain.strip()):
        return False  # Rich wraps a title, which trims its ends
    widths = [max(cell_len(row[i].plain) for row in cells) for i in range(len(header))]
    table_width = sum(widths) + 3 * len(widths) + 1
    if table_width > console.width or (title is not None and cell_len(title.plain) > table_width):
        return False
    lines = [] if title is None else [_centred(title.plain, table_width)]
    lines.append(_rule("┏", "━", "┳", "┓", widths))
    lines.append(_row(header, widths, "┃"))
    lines.append(_rule("┡", "━", "╇", "┩", widths))
    lines.extend(_row(row, widths, "│") for row in rows)
    lines.append(_rule("└", "─", "┴", "┘", widths))
    console.file.write("\n".join(lines) + "\n")
    console.file.flush()
    return True


def _multiline(text: Text) -> bool:
    return "\n" in text.plain or "\t" in text.plain or "\r" in text.plain


def _centred(title: str, width: int) -> str:
    spare = width - cell_len(title)
    left = spare // 2
    return " " * left + title + " " * (spare - left)


def _rule(left: str, line: str, cross: str, right: str, widths: Sequence[int]) -> str:
    return left + cross.join(line * (w + 2) for w in widths) + right


def _row(row: Sequence[Text], widths: Sequence[int], edge: str) -> str:
    cells = (
        f" {text.plain}{' ' * (w - cell_len(text.plain))} "
        for text, w in zip(row, widths, strict=True)
    )
    return edge + edge.join(cells) + edge
