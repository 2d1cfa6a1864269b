"""Configuration from the environment (``FORMABOT_*``), checked once at start-up."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from dialogs.context import DEFAULT_SUPPORT_CONTACT


class ConfigError(Exception):
    """A bad configuration value: the message is one line naming the variable."""


def _int_list(value: object) -> object:
    if isinstance(value, str):
        parts = [p.strip() for p in value.replace(";", ",").split(",")]
        return [int(p) for p in parts if p]
    if isinstance(value, int):
        return [value]
    return value


def _database_url(value: str) -> str:
    if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FORMABOT_", extra="ignore")

    telegram_token: str | None = None
    telegram_api_url: str = "https://api.telegram.org/bot"
    database_url: str = "sqlite+aiosqlite:///formabot.db"
    # The console demo's own database (`formabot start` without a token, `formabot demo`, `shell`).
    demo_database_url: str = "sqlite+aiosqlite:///formabot-demo.db"
    timezone: str = "Europe/Paris"
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    today: date | None = None
    reminder_days: Annotated[list[int], NoDecode] = Field(default_factory=lambda: [30, 7, 1])
    export_dir: Path = Path("exports")
    daily_time: time = time(6, 0)
    chat_rate: float = Field(default=1.0, gt=0)  # messages per second per chat (Telegram: 1)
    global_rate: float = Field(default=30.0, gt=0)  # API calls per second overall (Telegram: 30)
    telegram_connections: int = Field(default=8, ge=1, le=256)  # Bot API calls in flight at once (see bot/http_client.py)
    # « 🖨 Imprimer »: PDFs are made in this many worker processes (0: a thread of the bot, which
    # then competes with every user for the GIL), at most this many per user per minute.
    print_workers: int = Field(default=1, ge=0, le=8)
    print_per_minute: int = Field(default=6, ge=1, le=600)
    webhook_secret: str | None = None
    webhook_listen: str = "127.0.0.1"  # behind a reverse proxy (README: « Webhook behind nginx »)
    webhook_port: int = 8443
    # Where the texts send people (the guide's « contactez-nous »): /aide, unknown users, refused
    # link codes, a forgotten session, splitting a purchase order.
    support_contact: str = Field(default=DEFAULT_SUPPORT_CONTACT, min_length=3, max_length=200)
    # The speed-ups that reach into libraries' internals (storage/sqlite_driver.py,
    # storage/hot_statements.py, bot/http_client.py); off: the libraries' stock paths, same behaviour.
    fast_paths: bool = True

    @field_validator("admin_ids", "reminder_days", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return _int_list(value)

    @field_validator("reminder_days")
    @classmethod
    def _positive(cls, value: list[int]) -> list[int]:
        if any(v <= 0 for v in value):
            raise ValueError("days must be positive")
        return sorted(set(value), reverse=True)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        """python-telegram-bot's ``base_url``: ``…/bot``, to which the token is appended. A server
        address given without it (``http://127.0.0.1:8081``) gets it added."""
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        value = value.rstrip("/")
        return value if value.endswith("/bot") else value + "/bot"

    @field_validator("database_url", "demo_database_url")
    @classmethod
    def _db(cls, value: str) -> str:
        return _database_url(value)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def for_demo(self, database_url: str | None = None) -> Settings:
        """The same settings on the demo's database (``database_url`` if given)."""
        url = _database_url(database_url or self.demo_database_url)
        return self.model_copy(update={"database_url": url})


def load_settings() -> Settings:
    """Read the settings; a bad value raises ``ConfigError`` with one line naming the variable."""
    try:
        return Settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        name = "FORMABOT_" + str(err["loc"][0]).upper() if err.get("loc") else "FORMABOT_*"
        reason = str(err.get("msg", "invalid value"))
        raise ConfigError(f"Invalid configuration: {name}: {reason}") from None
