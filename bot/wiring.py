"""Assembling the parts: the configured clock, the migrated storage, the dialog engine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from dialogs.engine import DialogEngine
from dialogs.printing import Printer
from domain.clock import BusinessDayClock, SystemClock
from domain.ports import Clock
from storage.database import create_engine, upgrade
from storage.uow import SqlUnitOfWorkFactory


def clock_for(settings: Settings, today: date | None = None) -> Clock:
    """``today`` (a command's ``--today``) or ``FORMABOT_TODAY`` pins the business date (archiving,
    rules, reminders: demos, tests, replays); otherwise the real date in the zone. ``now`` is the
    real time in every case: every process of formabot takes its clock here, so that the times
    they write (outbox due times, leases, retries…) agree with each other and with the real clock."""
    day = today or settings.today
    return BusinessDayClock(day, settings.zone) if day else SystemClock(settings.zone)


@dataclass
class Services:
    engine: AsyncEngine
    uow_factory: SqlUnitOfWorkFactory
    clock: Clock
    dialogs: DialogEngine

    async def close(self) -> None:
        self.dialogs.printer.close()
        await self.engine.dispose()


async def open_services(settings: Settings, *, migrate: bool = True) -> Services:
    """The database (migrated to the latest schema at start-up), and the engine on top of it."""
    engine = create_engine(settings.database_url)
    if migrate:
        await upgrade(engine)
    clock = clock_for(settings)
    factory = SqlUnitOfWorkFactory(engine, clock, staff_ids=settings.admin_ids)
    printer = Printer(workers=settings.print_workers, per_minute=settings.print_per_minute)
    dialogs = DialogEngine(
        factory, clock, staff_ids=settings.admin_ids, reminder_days=settings.reminder_days, printer=printer
    )
    return Services(engine=engine, uow_factory=factory, clock=clock, dialogs=dialogs)
