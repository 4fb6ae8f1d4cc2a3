"""`carebot keys rotate`: a new master key re-wraps every data key; no ciphertext changes."""

from __future__ import annotations

import typer

from bot.cli.common import actor, confirm, console, fail
from bot.cli.output import say
from bot.config import get_settings
from bot.store.rotation import rotate

app = typer.Typer(help="Key management.", no_args_is_help=True)


@app.command("rotate")
def rotate_cmd(yes: bool = typer.Option(False, "--yes", help="do not ask")) -> None:
    """Replace the master key: re-wrap every patient's data key and re-key the store."""
    settings = get_settings()
    if settings.carebot_key_file is None:
        fail(
            "keys rotate needs the master key in a key file (CAREBOT_KEY_FILE), "
            "so that it can write the new one safely"
        )
    confirm("Rotate the master key now?", yes)
    count = rotate(settings, actor=actor())  # a RotationError is a CarebotError: one line
    say(console, f"master key rotated: {count} data key(s) re-wrapped")
