"""Settings, read from the environment and `.env` (see `.env.example` for every one).

Secrets (master key, pseudonym secret, provider tokens) are read here and nowhere else, and
never appear in a repr, a log line or an exception message. A secret that is present but empty
or too short is refused when the settings are read: an empty `TWILIO_AUTH_TOKEN` or webhook
secret would otherwise turn a signature check into one anybody passes.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import phonenumbers
from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent

# Each secret setting: the pattern it must match in full, and what that means in words. Short
# enough to guess or empty by mistake is refused; the provider's own format where it has one.
SECRETS: dict[str, tuple[str, str]] = {
    # base64 of 32 random bytes; crypto.decode_key checks the decoded length.
    "carebot_master_key": (r"\S{43,}", "at least 43 characters (base64 of 32 bytes)"),
    "carebot_pseudonym_secret": (r"\S{43,}", "at least 43 characters (base64 of 32 bytes)"),
    # Telegram allows 1-256 of A-Za-z0-9_-; carebot asks for enough to be unguessable.
    "carebot_telegram_webhook_secret": (
        r"[A-Za-z0-9_-]{16,256}",
        "16 to 256 characters of A-Z, a-z, 0-9, _ and -",
    ),
    "telegram_bot_token": (
        r"[0-9]{1,20}:[A-Za-z0-9_-]{30,}",
        "a bot id, a colon and at least 30 characters (from @BotFather)",
    ),
    # Twilio's auth tokens are 32 hexadecimal characters.
    "twilio_auth_token": (r"\S{32,}", "at least 32 characters (Twilio's are 32 hex digits)"),
    "x_consumer_key": (r"\S{20,}", "at least 20 characters"),
    "x_consumer_secret": (r"\S{20,}", "at least 20 characters"),
    "x_access_token": (r"\S{20,}", "at least 20 characters"),
    "x_access_token_secret": (r"\S{20,}", "at least 20 characters"),
}


class Settings(BaseSettings):
    """Everything an operator can set. Environment variables win over `.env`."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    carebot_database_url: str = "sqlite:///carebot.db"
    carebot_master_key: SecretStr | None = None
    carebot_key_file: Path | None = None
    carebot_pseudonym_secret: SecretStr | None = None
    # The erasure ledger (default: carebot.erasures beside the key file, else the store file).
    carebot_erasure_ledger: Path | None = None
    carebot_schedules_dir: Path = REPO_ROOT / "schedules"
    carebot_templates_dir: Path = REPO_ROOT / "templates"
    # The emergency number where a patient's country has none carebot knows (see
    # bot/programs/emergency.py: the country's own number comes first).
    carebot_emergency_number: str = "112"
    # The country a phone number without a country code is read in (ISO 3166 alpha-2), and
    # that of a patient with no phone number and a time zone of no country (UTC).
    carebot_default_region: str = "BE"
    carebot_hospital_contact: str = "your hospital's stroke unit"
    carebot_log_level: str = "WARNING"
    carebot_public_url: str | None = None
    # Dispatch: a reminder left in `sending` longer than this is reconciled with its provider.
    carebot_send_lease_seconds: int = 300
    # The most sends one process keeps in flight on each channel (0: the channel's own
    # concurrency), so that several dispatchers share a provider's capacity.
    carebot_max_in_flight: int = Field(default=0, ge=0)
    carebot_plan_horizon_days: int = 8
    # A channel no request reaches (connection refused) for this long falls back to the next
    # consented channel; until then its reminders wait, within their grace.
    carebot_channel_down_after_minutes: int = Field(default=30, ge=0)

    telegram_bot_token: SecretStr | None = None
    telegram_bot_username: str | None = None  # the bot's @name: no default the hospital may not own
    carebot_telegram_api_url: str = "https://api.telegram.org/bot"
    carebot_telegram_link_ttl_hours: int = 72
    carebot_telegram_rate: int = 30  # messages per second, overall
    # Set to receive updates by webhook instead of polling; Telegram echoes it in a header.
    carebot_telegram_webhook_secret: SecretStr | None = None

    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from: str | None = None
    twilio_messaging_service_sid: str | None = None
    carebot_twilio_api_url: str = "https://api.twilio.com"
    carebot_twilio_rate: int = 10  # messages per second from the sender

    # WhatsApp through the same Twilio account: its own approved sender (E.164, no prefix).
    twilio_whatsapp_from: str | None = None
    twilio_whatsapp_messaging_service_sid: str | None = None
    carebot_whatsapp_rate: int = 20  # messages per second from the WhatsApp sender

    # Voice calls through the same Twilio account: a voice-capable number to call from.
    twilio_voice_from: str | None = None
    carebot_voice_rate: int = 1  # calls started per second (Twilio's default for an account)

    x_consumer_key: SecretStr | None = None
    x_consumer_secret: SecretStr | None = None
    x_access_token: SecretStr | None = None
    x_access_token_secret: SecretStr | None = None
    carebot_x_api_url: str = "https://api.twitter.com"

    @field_validator("carebot_default_region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        """A region phonenumbers knows (BE, US, JP), so that numbers can be read in it."""
        region = value.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError("must be a two-letter country code such as BE, NL or US")
        return region

    @field_validator(*SECRETS)
    @classmethod
    def _secret_is_strong(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        """Unset is fine (the feature is off); set but empty or short is a mistake."""
        if value is None:
            return None
        pattern, rule = SECRETS[str(info.field_name)]
        secret = value.get_secret_value()
        if not secret:
            raise ValueError("is set but empty: remove it or give it a value")
        if re.fullmatch(pattern, secret) is None:
            raise ValueError(f"is too short or malformed: it must be {rule}")
        return value


def settings_error(exc: ValidationError) -> str:
    """One line naming each bad setting and what is wrong, never its value."""
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        name = ".".join(str(part) for part in error["loc"]).upper() or "settings"
        problems.append(f"{name} {error['msg'].removeprefix('Value error, ')}")
    return "bad setting: " + "; ".join(problems)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
