"""The composition root (``bot/wiring.py``): every process opens the database and wires the use
cases there, the same way; no other module of ``bot/`` does it on its own."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import inspect

from bot.config import Settings
from bot.wiring import open_services
from domain.clock import BusinessDayClock, SystemClock
from storage.sqlite_driver import OneTripConnection

BOT = Path(__file__).resolve().parents[2] / "bot"


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/w.db", **values)  # type: ignore[arg-type]


@pytest.mark.parametrize("fast_paths", [True, False])
async def test_the_services_follow_the_settings(tmp_path: Path, fast_paths: bool) -> None:
    settings = _settings(tmp_path, admin_ids="9001,9002", today="2027-03-04", fast_paths=fast_paths)
    async with open_services(settings) as services:
        # The staff told of staff events are the configured ones, in the factory and the dialogs.
        assert services.uow_factory.staff_ids == frozenset({9001, 9002})
        async with services.uow_factory() as uow:
            assert uow.staff_ids == frozenset({9001, 9002})
        # FORMABOT_TODAY pins the business date only, the same clock everywhere.
        assert isinstance(services.clock, BusinessDayClock)
        assert services.clock.today() == date(2027, 3, 4)
        assert services.uow_factory.clock is services.clock
        assert services._dialogs is None  # built when asked for only
        assert services.dialogs.clock is services.clock and services.dialogs is services.dialogs
        async with services.engine.connect() as conn:
            assert "actions" in await conn.run_sync(lambda c: inspect(c).get_table_names())  # migrated
            raw = await conn.get_raw_connection()
            assert isinstance(raw.driver_connection, OneTripConnection) is fast_paths
    # Closed on the way out: the engine's pool holds no connection any more.
    assert services.engine.pool.checkedin() == 0


async def test_a_commands_today_wins_and_without_one_the_real_date(tmp_path: Path) -> None:
    settings = _settings(tmp_path, today="2027-03-04")
    async with open_services(settings, today=date(2031, 1, 2), migrate=False) as services:
        assert services.clock.today() == date(2031, 1, 2)
    async with open_services(_settings(tmp_path), migrate=False) as services:
        assert isinstance(services.clock, SystemClock)


def test_only_the_composition_root_builds_engines_factories_and_dialog_engines() -> None:
    built = re.compile(r"\b(create_engine|SqlUnitOfWorkFactory|DialogEngine|clock_for)\(")
    upgrade = re.compile(r"\bupgrade\(")
    offenders = []
    for path in sorted(BOT.rglob("*.py")):
        name = path.relative_to(BOT.parent).as_posix()
        source = path.read_text(encoding="utf-8")
        if name != "bot/wiring.py" and built.search(source):
            offenders.append(name)
        # ``formabot db upgrade`` migrates on purpose (and prints the revisions before and after).
        if name not in ("bot/wiring.py", "bot/commands/db.py") and upgrade.search(source):
            offenders.append(name)
    assert offenders == []
