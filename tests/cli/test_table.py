"""The plain table (bot/cli/table.py) is, character for character, the table Rich prints."""

from __future__ import annotations

import io
import random

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bot.cli import table

ALPHABET = ["a", "Z", "0", " ", "-", "é", "日", "本", "🙂", "ß", "·", "⚠"]


def _console(width: int) -> Console:
    return Console(file=io.StringIO(), width=width, color_system=None)


def _random_table(rng: random.Random) -> tuple[Text | None, list[Text], list[list[Text]]]:
    def text(most: int) -> Text:
        return Text("".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, most))))

    columns = rng.randint(1, 7)
    title = None if rng.random() < 0.3 else text(20)
    header = [text(12) for _ in range(columns)]
    rows = [[text(18) for _ in range(columns)] for _ in range(rng.randint(0, 12))]
    return title, header, rows


def _by_rich(width: int, title: Text | None, header: list[Text], rows: list[list[Text]]) -> str:
    console = _console(width)
    drawn = Table(title=title)
    for name in header:
        drawn.add_column(name)
    for row in rows:
        drawn.add_row(*row)
    console.print(drawn, highlight=False)
    assert isinstance(console.file, io.StringIO)
    return console.file.getvalue()


def test_it_draws_what_rich_draws() -> None:
    rng = random.Random(7)
    drawn_here = 0
    for _ in range(400):
        title, header, rows = _random_table(rng)
        width = rng.choice([40, 80, 200, 100_000])
        console = _console(width)
        if not table.draw(console, title, header, rows):
            continue
        drawn_here += 1
        assert isinstance(console.file, io.StringIO)
        assert console.file.getvalue() == _by_rich(width, title, header, rows)
    assert drawn_here > 200  # most tables fit: the comparison is not vacuous


def test_it_leaves_to_rich_a_table_wider_than_the_console_or_with_colours() -> None:
    header, rows = [Text("pseudonym"), Text("program")], [[Text("P-1"), Text("x" * 50)]]
    assert not table.draw(_console(40), None, header, rows)
    assert not table.draw(_console(200), None, header, [[Text("a\nb"), Text("c")]])
    assert not table.draw(Console(file=io.StringIO(), color_system="standard"), None, header, rows)
