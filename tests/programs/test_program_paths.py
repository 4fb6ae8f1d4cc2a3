"""A program file reads its own templates and nothing else: not the master key, not a file
outside templates/<program>/, whether by a relative path, an absolute one, a symlink or a
program name that is not a slug."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.config import Settings
from bot.programs.model import ProgramError
from bot.programs.parse import load_program_file
from tests.conftest import Cli
from tests.helpers import write_program

KEY_TEXT = "c2VjcmV0LW1hc3Rlci1rZXktbWF0ZXJpYWwtMzJieXRlcyE="


def _with_template_file(path: Path, file: str) -> None:
    text = path.read_text().replace(
        "[templates.reminder]\n", f"[templates.reminder]\nfile = {json.dumps(file)}\n"
    )
    path.write_text(text)


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A stand-in for carebot.key, beside the schedules and templates folders."""
    key = tmp_path / "carebot.key"
    key.write_text(KEY_TEXT + "\n")
    return key


def _refused(path: Path, folder: Path) -> str:
    with pytest.raises(ProgramError) as caught:
        load_program_file(path, templates_dir=folder / "templates", settings=Settings())
    message = str(caught.value)
    assert "\n" not in message and KEY_TEXT not in message
    return message


def test_a_template_file_with_dots_leading_out_is_refused(tmp_path: Path, secret: Path) -> None:
    path = write_program(tmp_path)
    _with_template_file(path, "../../carebot.key")
    assert "leads outside templates/test-weekly/" in _refused(path, tmp_path)


def test_an_absolute_template_file_is_refused(tmp_path: Path, secret: Path) -> None:
    path = write_program(tmp_path)
    _with_template_file(path, str(secret))
    assert "must be a path inside templates/test-weekly/" in _refused(path, tmp_path)


def test_a_template_symlink_pointing_out_of_the_folder_is_refused(
    tmp_path: Path, secret: Path
) -> None:
    path = write_program(tmp_path)
    link = tmp_path / "templates" / "test-weekly" / "reminder.nl.j2"
    link.unlink()
    link.symlink_to(secret)
    assert "leads outside templates/test-weekly/" in _refused(path, tmp_path)


def test_a_program_folder_that_is_a_symlink_elsewhere_is_refused(
    tmp_path: Path, secret: Path
) -> None:
    path = write_program(tmp_path, name="elsewhere")
    folder = tmp_path / "templates" / "elsewhere"
    folder.rename(tmp_path / "outside")
    folder.symlink_to(tmp_path / "outside")
    assert "leads outside the templates folder" in _refused(path, tmp_path)


@pytest.mark.parametrize(
    "name",
    [
        "../test-weekly",
        "a/../../x",
        "x/y",
        "back\\slash",
        "nul\x00",
        "..",
        "Upper",
        "-dash-first",
        "a" * 64,
        "",
    ],
)
def test_a_program_name_that_is_not_a_slug_is_refused(tmp_path: Path, name: str) -> None:
    path = write_program(tmp_path)
    path.write_text(path.read_text().replace('name = "test-weekly"', f"name = {json.dumps(name)}"))
    assert "name: must be a slug" in _refused(path, tmp_path)


def test_templates_inside_the_folder_still_load_through_a_subfolder_and_a_link(
    tmp_path: Path,
) -> None:
    path = write_program(tmp_path)
    folder = tmp_path / "templates" / "test-weekly"
    (folder / "texts").mkdir()
    for lang in ("nl", "fr", "en"):
        (folder / f"reminder.{lang}.j2").rename(folder / "texts" / f"reminder.{lang}.j2")
    (folder / "texts" / "reminder.en.j2").rename(folder / "texts" / "real.en.j2")
    (folder / "texts" / "reminder.en.j2").symlink_to(folder / "texts" / "real.en.j2")
    _with_template_file(path, "texts/../texts/reminder.{lang}.j2")
    program, _ = load_program_file(path, templates_dir=tmp_path / "templates", settings=Settings())
    assert set(program.templates["reminder"].text) == {"nl", "fr", "en"}


def test_carebot_program_add_refuses_a_template_reading_the_key_and_preview_shows_nothing(
    cli: Cli, secret: Path
) -> None:
    path = write_program(cli.cwd, name="leaky")
    _with_template_file(path, "../../carebot.key")
    cli.env["CAREBOT_TEMPLATES_DIR"] = str(cli.cwd / "templates")
    added = cli("program", "add", str(path))
    assert added.code == 1, added.out
    assert added.err.strip().splitlines() == [
        "error: template reminder: file leads outside templates/leaky/"
    ]
    preview = cli("program", "preview", "leaky")
    assert preview.code == 1 and "unknown program 'leaky'" in preview.err
    for result in (added, preview):
        assert KEY_TEXT not in result.out + result.err
