"""Configuration from FORMABOT_* variables."""

from __future__ import annotations

from datetime import date

import pytest

from bot.config import ConfigError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("FORMABOT_"):
            monkeypatch.delenv(name)


def test_defaults() -> None:
    s = load_settings()
    assert s.database_url == "sqlite+aiosqlite:///formabot.db"
    assert s.timezone == "Europe/Paris" and s.reminder_days == [30, 7, 1]
    assert s.telegram_api_url == "https://api.telegram.org/bot" and s.admin_ids == [] and s.today is None
    assert s.telegram_connections == 8
    assert s.webhook_listen == "127.0.0.1"  # behind a reverse proxy, never every interface by default


def test_values_are_read_and_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORMABOT_ADMIN_IDS", "11, 22")
    monkeypatch.setenv("FORMABOT_REMINDER_DAYS", "1,30,7,7")
    monkeypatch.setenv("FORMABOT_TODAY", "2027-01-04")
    monkeypatch.setenv("FORMABOT_TELEGRAM_API_URL", "http://127.0.0.1:8081/")
    monkeypatch.setenv("FORMABOT_TELEGRAM_CONNECTIONS", "16")
    s = load_settings()
    assert s.admin_ids == [11, 22] and s.reminder_days == [30, 7, 1]
    assert s.today == date(2027, 1, 4)
    assert s.telegram_api_url == "http://127.0.0.1:8081/bot"
    assert s.telegram_connections == 16


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FORMABOT_TODAY", "2027-02-31"),
        ("FORMABOT_ADMIN_IDS", "staff"),
        ("FORMABOT_REMINDER_DAYS", "0"),
        ("FORMABOT_TIMEZONE", "Mars/Olympus"),
        ("FORMABOT_DATABASE_URL", "mysql://localhost/x"),
        ("FORMABOT_DEMO_DATABASE_URL", "mysql://localhost/x"),
        ("FORMABOT_TELEGRAM_API_URL", "ftp://x"),
        ("FORMABOT_TELEGRAM_CONNECTIONS", "0"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as err:
        load_settings()
    message = str(err.value)
    assert name in message and "\n" not in message


def test_the_demo_has_its_own_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 13, finding 6: the console demo never uses the configured database by default."""
    monkeypatch.setenv("FORMABOT_DATABASE_URL", "sqlite+aiosqlite:///real.db")
    s = load_settings()
    assert s.demo_database_url == "sqlite+aiosqlite:///formabot-demo.db"
    assert s.for_demo().database_url == "sqlite+aiosqlite:///formabot-demo.db"
    assert s.for_demo("sqlite+aiosqlite:///other.db").database_url == "sqlite+aiosqlite:///other.db"
    assert s.database_url == "sqlite+aiosqlite:///real.db"
    with pytest.raises(ValueError):
        s.for_demo("mysql://x")


def test_the_business_date_pins_today_never_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 13, finding 17: FORMABOT_TODAY and --today set « today » (archiving, rules,
    reminders); ``now`` (timestamps, leases, retries, delivery) stays the real time."""
    from datetime import UTC, datetime, timedelta

    from bot.wiring import clock_for

    monkeypatch.setenv("FORMABOT_TODAY", "2027-08-07")
    settings = load_settings()
    for clock in (clock_for(settings), clock_for(settings, date(2031, 1, 2))):
        before = datetime.now(UTC)
        now = clock.now()
        assert before - timedelta(seconds=1) <= now <= datetime.now(UTC) + timedelta(seconds=1)
        assert now.tzinfo is not None
    assert clock_for(settings).today() == date(2027, 8, 7)
    assert clock_for(settings, date(2031, 1, 2)).today() == date(2031, 1, 2)


def test_fast_paths_are_on_unless_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().fast_paths is True
    for off in ("0", "false", "off", "no"):
        monkeypatch.setenv("FORMABOT_FAST_PATHS", off)
        assert load_settings().fast_paths is False
    monkeypatch.setenv("FORMABOT_FAST_PATHS", "maybe")
    with pytest.raises(ConfigError, match="FORMABOT_FAST_PATHS"):
        load_settings()


def test_support_contact_defaults_to_the_guides_address(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().support_contact == "support@cariforef-mp.asso.fr"
    monkeypatch.setenv("FORMABOT_SUPPORT_CONTACT", "aide@carif.example")
    assert load_settings().support_contact == "aide@carif.example"
