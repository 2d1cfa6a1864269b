"""The composition root: the one place that opens the database and wires the use cases.

The bot (``bot.runtime``) and every command (``bot/commands/``) take their parts here, so that
they agree on them:

- the clock: ``FORMABOT_TODAY`` (or a command's ``--today``) pins the business date only, ``now``
  is the real time (``clock_for``);
- the engine, with or without the fast paths (``FORMABOT_FAST_PATHS``), migrated to the newest
  schema unless told otherwise;
- the unit-of-work factory, with the staff named by ``FORMABOT_ADMIN_IDS`` (the only ones told of
  staff events);
- the LHEO files (``domain.ports.LheoFiles``: the export's snapshot, the validated atomic file,
  the LHEO and Ofaa readers) that the LHEO use cases and the daily job are given;
- the dialog engine (with its PDF printer), built the first time it is asked for.

``open_services(settings)`` is an async context manager yielding these ``Services`` and closing
them on the way out.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from dialogs.engine import DialogEngine
from dialogs.printing import Printer
from domain.clock import BusinessDayClock, SystemClock
from domain.ports import BotUnitOfWorkFactory, Clock, LheoFiles
from storage.database import create_engine, upgrade
from storage.lheo.files import SqlLheoFiles
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
    """What the bot and the commands work with; see the module's docstring."""

    settings: Settings
    engine: AsyncEngine
    uow_factory: SqlUnitOfWorkFactory
    clock: Clock
    _dialogs: DialogEngine | None = field(default=None, repr=False)

    @property
    def lheo_files(self) -> LheoFiles:
        """The LHEO files on this database (``domain.services.lheo``)."""
        return SqlLheoFiles(self.engine)

    @property
    def dialogs(self) -> DialogEngine:
        """The dialog engine on these services (and its printer), built on first use."""
        if self._dialogs is None:
            settings = self.settings
            printer = Printer(workers=settings.print_workers, per_minute=settings.print_per_minute)
            self._dialogs = DialogEngine(
                self.uow_factory, self.clock, staff_ids=settings.admin_ids,
                reminder_days=settings.reminder_days, printer=printer,
                support_contact=settings.support_contact, lheo_files=self.lheo_files,
            )
        return self._dialogs

    async def close(self) -> None:
        if self._dialogs is not None:
            self._dialogs.printer.close()
        await self.engine.dispose()


def lheo_files_of(uow_factory: BotUnitOfWorkFactory) -> LheoFiles:
    """The LHEO files on the database a ``SqlUnitOfWorkFactory`` opens, for callers given only the
    factory (``bot.daily``'s default, tests, scripts)."""
    if not isinstance(uow_factory, SqlUnitOfWorkFactory):
        raise TypeError(f"no LHEO files known for {uow_factory!r}: pass them")
    return SqlLheoFiles(uow_factory.engine)


def build_services(settings: Settings, *, today: date | None = None) -> Services:
    """The services on ``settings`` (not migrated, nothing opened yet); ``today`` as in
    ``clock_for``. Prefer ``open_services``, which migrates and closes them."""
    engine = create_engine(settings.database_url, fast_paths=settings.fast_paths)
    clock = clock_for(settings, today)
    factory = SqlUnitOfWorkFactory(engine, clock, staff_ids=settings.admin_ids)
    return Services(settings=settings, engine=engine, uow_factory=factory, clock=clock)


@asynccontextmanager
async def open_services(
    settings: Settings, *, today: date | None = None, migrate: bool = True
) -> AsyncIterator[Services]:
    """The services on ``settings``: the database migrated to the newest schema first (unless
    ``migrate`` is false), closed on the way out."""
    services = build_services(settings, today=today)
    try:
        if migrate:
            await upgrade(services.engine)
        yield services
    finally:
        await services.close()
