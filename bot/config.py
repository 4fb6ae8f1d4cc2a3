"""Settings, read from the environment and `.env` (see `.env.example` for every one).

Secrets (master key, pseudonym secret, provider tokens) are read here and nowhere else, and
never appear in a repr, a log line or an exception message.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


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
    carebot_emergency_number: str = "112"
    carebot_hospital_contact: str = "your hospital's stroke unit"
    carebot_log_level: str = "WARNING"
    carebot_public_url: str | None = None
    # Dispatch: a reminder left in `sending` longer than this is reconciled with its provider.
    carebot_send_lease_seconds: int = 300
    carebot_plan_horizon_days: int = 8

    telegram_bot_token: SecretStr | None = None
    telegram_bot_username: str = "carebot_bot"
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

    x_consumer_key: SecretStr | None = None
    x_consumer_secret: SecretStr | None = None
    x_access_token: SecretStr | None = None
    x_access_token_secret: SecretStr | None = None
    carebot_x_api_url: str = "https://api.twitter.com"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
