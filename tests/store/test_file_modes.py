"""Every file carebot writes that holds data is readable by its owner only (mode 0600)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from bot.config import Settings
from bot.store.store import open_store
from tests.conftest import POSTGRES_ADMIN_URL, Cli


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(bool(POSTGRES_ADMIN_URL), reason="SQLCipher files only")
def test_the_store_its_wal_and_shm_are_0600_even_under_a_lax_umask(settings: Settings) -> None:
    db_file = Path(settings.carebot_database_url.removeprefix("sqlite:///"))
    old = os.umask(0o022)
    try:
        store = open_store(settings)
        with store.engine.connect() as conn:
            conn.exec_driver_sql("SELECT count(*) FROM patient").all()
            files = [db_file, Path(f"{db_file}-wal"), Path(f"{db_file}-shm")]
            assert all(f.exists() for f in files)
            assert [_mode(f) for f in files] == [0o600] * 3
        store.engine.dispose()
        for f in files:
            if f.exists():
                f.chmod(0o644)  # a store made by an older carebot
        open_store(settings).engine.dispose()
        assert [_mode(f) for f in files if f.exists()] == [0o600] * sum(f.exists() for f in files)
    finally:
        os.umask(old)


def test_init_writes_env_0600(cli: Cli) -> None:
    cli.env.pop("CAREBOT_MASTER_KEY")
    result = cli("init")
    assert result.code == 0, result.err
    assert _mode(cli.cwd / ".env") == 0o600
    assert _mode(cli.cwd / "carebot.key") == 0o600


def test_an_html_report_and_a_backup_are_0600(cli: Cli, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text("old")
    page.chmod(0o644)
    old = os.umask(0o022)
    try:
        assert cli("report", "--html", str(page)).code == 0
        assert _mode(page) == 0o600 and "<html" in page.read_text().lower()
        if not POSTGRES_ADMIN_URL:
            assert cli("backup", str(tmp_path / "b.db")).code == 0
            assert _mode(tmp_path / "b.db") == 0o600
    finally:
        os.umask(old)
