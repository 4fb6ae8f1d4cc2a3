"""Test helpers: custom programs in a temp dir, console enrolments, counting what was sent."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr
from sqlmodel import col, func, select

from bot.channels.base import AddressKind, ChannelDefaults, OutboundMessage
from bot.channels.ratelimit import Limits
from bot.config import REPO_ROOT, Settings
from bot.patients import enrolment as patients
from bot.store.models import ConsoleMessage, Reminder
from bot.store.store import Store, open_store

if TYPE_CHECKING:
    from tests.conftest import Cli

PROGRAM = """
name = "{name}"
description = "test program"
languages = ["nl", "fr", "en"]
[cadence]
{cadence}
start_offset_days = 0
catch_up_grace_hours = {grace}
{quiet}
[channels]
order = ["console"]
[templates.reminder]
sensitivity = "{sensitivity}"
[emergency]
nl = "Bel 112."
fr = "Appelez le 112."
en = "Call 112."
"""


def write_program(
    folder: Path,
    *,
    name: str = "test-weekly",
    cadence: str = 'days = ["mon"]\ntime = "10:00"',
    grace: float = 6,
    quiet: str = "",
    sensitivity: str = "personal",
    template: str | None = None,
) -> Path:
    """A program file and its templates under folder/schedules and folder/templates."""
    (folder / "schedules").mkdir(exist_ok=True)
    templates = folder / "templates" / name
    templates.mkdir(parents=True, exist_ok=True)
    for lang in ("nl", "fr", "en"):
        source = REPO_ROOT / "templates" / "post-stroke-weekly" / f"reminder.{lang}.j2"
        if template is None:
            shutil.copy(source, templates / f"reminder.{lang}.j2")
        else:
            (templates / f"reminder.{lang}.j2").write_text(template)
    path = folder / "schedules" / f"{name}.toml"
    path.write_text(
        PROGRAM.format(
            name=name, cadence=cadence, grace=grace, quiet=quiet, sensitivity=sensitivity
        )
    )
    return path


def settings_for(folder: Path, base: Settings) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        carebot_database_url=base.carebot_database_url,
        carebot_master_key=base.carebot_master_key,
        carebot_pseudonym_secret=base.carebot_pseudonym_secret,
        carebot_schedules_dir=folder / "schedules",
        carebot_templates_dir=folder / "templates",
    )


def enrol_console(
    store: Store,
    *,
    ref: str = "AZ-1",
    program: str = "test-weekly",
    tz: str = "Europe/Brussels",
    now: datetime,
    lang: str = "nl",
) -> str:
    return patients.enrol(
        store,
        reference=ref,
        program=program,
        language=lang,
        timezone=tz,
        name="Jan",
        contacts={},
        consent=["console"],
        actor="test",
        now=now,
    ).pseudonym


def sent_count(store: Store) -> int:
    with store.session() as session:
        return int(session.exec(select(func.count()).select_from(ConsoleMessage)).one())


def statuses(store: Store) -> list[tuple[str, str]]:
    with store.session() as session:
        return [
            (r.local_slot, r.status)
            for r in session.exec(select(Reminder).order_by(col(Reminder.due_at)))
        ]


def first_due() -> datetime:
    """The first reminder of the shipped program for a patient in Brussels enrolled now: the
    first Monday 10:00 from the start of the next local day (the week after enrolment)."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Europe/Brussels")
    now = datetime.now(zone)
    earliest = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    due = earliest.replace(hour=10, minute=0, second=0, microsecond=0)
    while due.weekday() != 0 or due < earliest:
        due += timedelta(days=1)
    return due


def cli_tick(cli: Cli, at: datetime) -> str:
    """`carebot tick --at`, which must succeed; returns what it printed."""
    result = cli("tick", "--at", at.isoformat())
    assert result.code == 0, result.err
    return result.out


def store_for(cli: Cli) -> Store:
    """The store the `carebot` command of this test uses, opened in the test's process."""
    folders = {
        setting: Path(cli.env[setting.upper()])
        for setting in ("carebot_schedules_dir", "carebot_templates_dir")
        if setting.upper() in cli.env
    }
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        carebot_database_url=cli.env["CAREBOT_DATABASE_URL"],
        carebot_master_key=SecretStr(cli.env["CAREBOT_MASTER_KEY"]),
        carebot_pseudonym_secret=SecretStr(cli.env["CAREBOT_PSEUDONYM_SECRET"]),
    )
    return open_store(settings.model_copy(update=folders))


class FakeChannel(ChannelDefaults):
    """A test channel's defaults: no pace, one send at a time, nothing to look up or close.
    Subclasses set `name` and `ceiling` and write `send`."""

    address = AddressKind.TYPED
    limits: Limits | None = None
    concurrency = 1

    async def lookup(self, message: OutboundMessage) -> str | None:
        return None

    async def send_text(self, address: str, text: str) -> None:
        raise NotImplementedError("a test channel sends reminders only")

    async def close(self) -> None:
        return None


def cli_on(cli: Cli, settings: Settings, *, columns: int = 1000) -> Cli:
    """The `carebot` command opening the store of the `store` fixture (its keys), its tables
    `columns` wide so that a long cell stays on one line."""
    assert settings.carebot_master_key and settings.carebot_pseudonym_secret
    cli.env.update(
        {
            "CAREBOT_DATABASE_URL": settings.carebot_database_url,
            "CAREBOT_MASTER_KEY": settings.carebot_master_key.get_secret_value(),
            "CAREBOT_PSEUDONYM_SECRET": settings.carebot_pseudonym_secret.get_secret_value(),
            "COLUMNS": str(columns),
        }
    )
    return cli


CONFIGURED = {
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "f" * 32,
    "TWILIO_FROM": "+3278000000",
    "TELEGRAM_BOT_TOKEN": "123456:" + "A" * 35,
    "TELEGRAM_BOT_USERNAME": "ward_test_bot",
}
"""Settings under which SMS and Telegram count as configured, for CLI tests that enrol on them
and send nothing (providers unreachable: nothing listens at their default URLs in tests)."""
