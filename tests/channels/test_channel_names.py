"""No channel is named outside `bot/channels/`: adding one must touch only its module, its
registry line, its settings, templates and tests.

The scan reads the syntax tree of every module under `bot/`, so that a docstring or a comment
may speak of SMS, and flags each string constant (f-string parts included) that names a
registered channel: the name itself, or a name followed by `.` or `:` (an audit action such as
`telegram.link.issue`, a provider id such as `telegram:123`). A name shorter than three
letters (`x`) is flagged only when a constant is exactly that name: `x:` and `x.` are too
common to mean X.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from bot.channels import registry
from bot.config import REPO_ROOT

BOT = REPO_ROOT / "bot"

# Provider address prefixes that name a channel before it is registered (Twilio's WhatsApp).
ADDRESS_PREFIXES = ("whatsapp:",)


# Not channel names but the words patients write: the triage word lists hold "sms" because a
# reply may say "stop met die sms'jes". Language data, like templates.
LANGUAGE = ("bot/triage/",)


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are bare expression statements (docstrings)."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }


def names_a_channel(value: str, names: tuple[str, ...]) -> bool:
    """Whether a string constant names one of these channels."""
    if value in names or value.startswith(ADDRESS_PREFIXES):
        return True
    return any(value.startswith((f"{n}.", f"{n}:")) for n in names if len(n) >= 3)


def findings(path: Path, names: tuple[str, ...]) -> Iterator[str]:
    """`file:line: 'constant'` for each string constant in the module naming a channel."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    skip = _docstrings(tree)
    shown = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in skip
            and names_a_channel(node.value, names)
        ):
            yield f"{shown}:{node.lineno}: {node.value!r}"


def scanned() -> list[Path]:
    """Every module under bot/ outside bot/channels/, but those listed above."""
    exempt = ("bot/channels/", *LANGUAGE)
    return [
        path
        for path in sorted(BOT.rglob("*.py"))
        if not path.relative_to(REPO_ROOT).as_posix().startswith(exempt)
    ]


def test_no_module_outside_bot_channels_names_a_channel() -> None:
    found = [line for path in scanned() for line in findings(path, registry.NAMES)]
    assert not found, "channel names outside bot/channels/:\n" + "\n".join(found)


def test_the_scan_sees_names_in_code_but_not_in_docstrings(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""Sends SMS: sms."""\n'
        "def f(kind: str) -> str:\n"
        '    """telegram"""\n'
        '    if kind == "sms":\n'
        '        return f"telegram.{kind}"\n'
        '    return "x" if kind else "x:y" + "whatsapp:+32"\n',
        encoding="utf-8",
    )
    names = ("console", "sms", "telegram", "x")
    lines = [line.split(": ", 1)[1] for line in findings(sample, names)]
    assert sorted(lines) == sorted(["'sms'", "'telegram.'", "'x'", "'whatsapp:+32'"])


def test_the_scan_covers_the_tree() -> None:
    paths = {p.relative_to(REPO_ROOT).as_posix() for p in scanned()}
    assert {"bot/programs/model.py", "bot/patients/enrolment.py", "bot/cli/patient_cmd.py"} <= (
        paths
    )
    assert not any(p.startswith("bot/channels/") for p in paths)
