"""The daily job's schedule: when it runs, and its configuration (``settings``) passed to the use
case, ``domain.services.daily`` (archive sweep, reminders, LHEO exports, the run recorded).

    report = await run_daily(uow_factory, clock, settings)             # the scheduled run
    report = await catch_up(uow_factory, clock, settings)              # at start-up (None: up to date)
    when = next_daily_run(settings, now)                               # for PTB's JobQueue

The LHEO exports go to ``settings.export_dir``, written through ``files`` (the composition root's
``Services.lheo_files``; by default the files of the factory's database, ``bot.wiring``).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import Settings
from domain.ports import BotUnitOfWorkFactory, Clock, LheoFiles
from domain.services import daily
from domain.services.daily import (
    EXPORT_FILES,
    JOB_NAME,
    PROCESSED_UPDATES_KEPT,
    DailyExports,
    DailyReport,
    ExportResult,
    reminder_event,
)

# Re-exported: the job's parts were defined here before the use case moved to the domain.
__all__ = [
    "EXPORT_FILES",
    "JOB_NAME",
    "PROCESSED_UPDATES_KEPT",
    "DailyReport",
    "ExportResult",
    "catch_up",
    "job_time",
    "next_daily_run",
    "reminder_event",
    "run_daily",
]


# Scheduling ---------------------------------------------------------------------------------------


def job_time(settings: Settings) -> time:
    """``settings.daily_time`` in ``settings.timezone``, as PTB's ``JobQueue.run_daily`` wants."""
    return settings.daily_time.replace(tzinfo=settings.zone)


def next_daily_run(settings: Settings, now: datetime | None = None) -> datetime:
    """The next moment (aware, in ``settings.timezone``) the daily job is due after ``now``.

    Today at ``daily_time`` if that is still ahead, else tomorrow at ``daily_time`` (wall-clock
    time: 06:00 stays 06:00 across a change of daylight saving time).
    """
    zone: ZoneInfo = settings.zone
    current = (now or datetime.now(zone)).astimezone(zone)
    at = settings.daily_time.replace(tzinfo=None)
    candidate = datetime.combine(current.date(), at, tzinfo=zone)
    if candidate <= current:
        candidate = datetime.combine(current.date() + timedelta(days=1), at, tzinfo=zone)
    return candidate


# The job ------------------------------------------------------------------------------------------


def _exports(
    uow_factory: BotUnitOfWorkFactory, settings: Settings, files: LheoFiles | None
) -> DailyExports:
    if files is None:
        from bot.wiring import lheo_files_of

        files = lheo_files_of(uow_factory)
    return DailyExports(files=files, directory=Path(settings.export_dir))


async def run_daily(
    uow_factory: BotUnitOfWorkFactory,
    clock: Clock,
    settings: Settings,
    *,
    today: date | None = None,
    force: bool = True,
    exports: bool = True,
    files: LheoFiles | None = None,
) -> DailyReport:
    """``domain.services.daily.run_daily`` with the configured reminders and exports' directory.
    ``force=False`` skips it when it already ran that day (the scheduler and the catch-up); the
    command line always runs it. ``exports=False`` leaves the LHEO files alone."""
    return await daily.run_daily(
        uow_factory, clock, reminder_days=settings.reminder_days,
        exports=_exports(uow_factory, settings, files) if exports else None,
        today=today, force=force,
    )


async def catch_up(
    uow_factory: BotUnitOfWorkFactory, clock: Clock, settings: Settings,
    files: LheoFiles | None = None,
) -> DailyReport | None:
    """At start-up: if the daily job last ran before today (or never), run it now."""
    return await daily.catch_up(uow_factory, clock, reminder_days=settings.reminder_days,
                                exports=_exports(uow_factory, settings, files))
