"""What carebot asks a channel's class, not a list of names: its settings, its address option
at enrolment, its own check of a program's texts and options, whether it may carry an urgent
notice, and the deep link of a linked address."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any, ClassVar

import pytest

from bot.channels import registry
from bot.channels.base import AddressKind, ChannelDefaults
from bot.cli import patient_cmd
from bot.config import REPO_ROOT, Settings
from bot.programs.model import Program, ProgramError
from bot.programs.parse import parse_program

SHIPPED = (REPO_ROOT / "schedules" / "post-stroke-weekly.toml").read_text(encoding="utf-8")


def _bare(**values: Any) -> Settings:
    """Settings from these values alone, no `.env`."""
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def _parse(source: str) -> Program:
    return parse_program(source, templates_dir=REPO_ROOT / "templates", settings=_bare())


def _with_sms_options(options: str) -> str:
    assert "[channels.options.sms]\nmax_segments = 2" in SHIPPED
    return SHIPPED.replace("[channels.options.sms]\nmax_segments = 2", options)


@pytest.mark.parametrize("name", registry.NAMES)
def test_each_channel_names_the_settings_it_needs_and_is_off_without_them(name: str) -> None:
    kind = registry.kind(name)
    assert set(kind.needs) <= set(Settings.model_fields)
    assert kind.title
    assert bool(kind.address_help) == (kind.address is not AddressKind.NONE)
    if kind.needs:
        assert not kind.configured(_bare())


def test_the_sms_limit_is_the_programs_own_sms_option() -> None:
    assert _parse(SHIPPED).channel_options["sms"] == {"max_segments": 2}
    with pytest.raises(ProgramError, match=r"too long for SMS: 2 segments, at most 1"):
        _parse(_with_sms_options("[channels.options.sms]\nmax_segments = 1"))


@pytest.mark.parametrize(
    "options,refusal",
    [
        ("[channels.options.sms]\nmax_segments = 0", "max_segments must be a whole number"),
        ('[channels.options.sms]\nmax_segments = "2"', "max_segments must be a whole number"),
        ("[channels.options.sms]\nsender = 1", "channel sms takes no option 'sender'"),
        ("[channels.options.console]\nvoice = 1", "channel console takes no option 'voice'"),
    ],
)
def test_a_channel_refuses_options_it_does_not_take(options: str, refusal: str) -> None:
    with pytest.raises(ProgramError, match=refusal):
        _parse(_with_sms_options(options))


def test_the_old_top_level_sms_limit_still_holds() -> None:
    """Program files written for an older carebot keep their limit: it is neither refused
    (the file would stop loading) nor ignored (a stricter limit would quietly loosen)."""
    assert _parse("max_sms_segments = 3\n" + _with_sms_options("")).channel_options["sms"] == {
        "max_segments": 3
    }
    with pytest.raises(ProgramError, match="too long for SMS: 2 segments, at most 1"):
        _parse("max_sms_segments = 1\n" + _with_sms_options(""))
    with pytest.raises(ProgramError, match="not both"):
        _parse("max_sms_segments = 1\n" + SHIPPED)


def test_an_unknown_top_level_setting_is_refused() -> None:
    with pytest.raises(ProgramError, match="^max_sms_segmnets: unknown setting$"):
        _parse("max_sms_segmnets = 1\n" + SHIPPED)


def test_a_definition_stored_with_the_old_sms_limit_still_loads() -> None:
    program = _parse(SHIPPED)
    old = program.to_json().replace('"channel_options"', '"max_sms_segments": 2, "channel_options"')
    assert Program.from_json(old) == program


@pytest.mark.parametrize(
    "table,expected",
    [
        ('channel = "console"', ("console", "")),
        ('channel = "sms"\naddress = "+32470123456"', ("sms", "+32470123456")),
        ('channel = "telegram"\naddress = "123456"', ("telegram", "123456")),
    ],
)
def test_an_on_call_channel_is_one_whose_class_carries_notices(
    table: str, expected: tuple[str, str]
) -> None:
    assert _parse(f"{SHIPPED}\n[on_call]\n{table}\n").on_call == expected


def test_x_carries_no_urgent_notice() -> None:
    with pytest.raises(
        ProgramError, match="^on_call.channel: must be one of console, sms, telegram$"
    ):
        _parse(f'{SHIPPED}\n[on_call]\nchannel = "x"\naddress = "123"\n')


def test_a_linked_channel_builds_its_own_link() -> None:
    kind = registry.kind("telegram")
    settings = _bare(telegram_bot_username="ward_bot")
    assert kind.link(settings, "CODE") == "https://t.me/ward_bot?start=CODE"
    assert kind.link_lifetime(settings) == timedelta(hours=settings.carebot_telegram_link_ttl_hours)
    with pytest.raises(NotImplementedError):
        registry.kind("sms").link(settings, "CODE")


class PagerChannel(ChannelDefaults):
    """A channel added later, with a typed address: no CLI code changes for it."""

    name: ClassVar[str] = "pager"
    ceiling: ClassVar[str] = "public"
    address: ClassVar[AddressKind] = AddressKind.TYPED
    title: ClassVar[str] = "pager"
    address_help: ClassVar[str] = "pager number"


@pytest.fixture
def with_pager(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    table = {**registry.TABLE, "pager": f"{__name__}:PagerChannel"}
    monkeypatch.setattr(registry, "TABLE", table)
    monkeypatch.setattr(registry, "NAMES", tuple(table))
    yield
    registry.kind.cache_clear()


@pytest.mark.usefixtures("with_pager")
def test_enrolment_offers_an_address_option_for_each_channel_that_takes_one() -> None:
    """Every channel that takes an address has its option, with its class's help; a channel
    added later has one too without this test naming it."""
    options = {
        opt: getattr(p, "help", None) for p in patient_cmd._address_options() for opt in p.opts
    }
    assert set(options) == {f"--{name}" for name in registry.NAMES if registry.takes_address(name)}
    assert {opt: options[opt] for opt in ("--sms", "--telegram", "--x", "--pager")} == {
        "--sms": "mobile number for SMS",
        "--telegram": "Telegram chat id, if known",
        "--x": "X user id for direct messages",
        "--pager": "pager number",
    }
    assert "--console" not in options
