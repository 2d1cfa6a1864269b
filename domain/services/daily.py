"""The daily job: archive sweep, reminders before archiving, LHEO exports, then the run recorded.

    report = await run_daily(uow_factory, clock, reminder_days=(30, 7, 1), exports=DailyExports(files, directory))
    report = await catch_up(uow_factory, clock, reminder_days=…, exports=…)   # None: up to date

``bot.daily`` schedules it and passes the configuration; ``formabot daily`` runs it at once.

Steps (``RULES.md``, « archivage automatique » and « rappels »):

1. Transactions of ``DAILY_CHUNK`` actions each (people chatting get their turn between two),
   each under ``try_lock_daily_job()`` (PostgreSQL: an advisory lock, so one process does it;
   another one holding it → this run is skipped, or stops, and says so):
   - the archive sweep: ``uow.archive_sweep(today)`` archives the published actions whose date
     has come and itself publishes one ``ARCHIVED`` event per action (the organisation is told;
     nothing is published here a second time);
   - the reminders: ``uow.reminders_due(today, reminder_days)`` → one ``REMINDER`` event per
     action with ``days`` (the real days left), ``level`` and ``archive_on`` (ISO) in its
     payload. A level is due from its day until the next level's day and told once (the audit
     trail says which were told; the outbox key holds level and date), so a bot down on the exact
     day still tells it (« dans 27 jours »), only the closest level after a long outage, and
     moving the sessions (a new archiving date) makes the reminders due again for the new date;
   - the processed update ids older than ``PROCESSED_UPDATES_KEPT`` are deleted (Telegram may
     restart its update ids at random after a week without updates).
   Each chunk's outbox rows are committed with it; a crash between two chunks leaves the rest
   to the catch-up (each step is idempotent: an archived action is no longer published, a
   reminder told is in the audit trail).
2. The LHEO exports (``public`` and ``ofaa``) into the exports' directory, each read from one
   consistent snapshot, validated action by action, written to a temporary file and renamed
   (``domain.services.lheo.export_actions``, through ``LheoFiles.export_off_loop``: in a child
   process, so that the bot's event loop stays free for the people chatting). An action that does not validate, or whose
   organisation's fiche is incomplete, is left out of the file and told to staff
   (``EXPORT_LEFT_OUT``, once per action and day); the others are exported. Outside the first
   transaction (the snapshot is a read transaction that takes no write lock); a failed export is
   reported and does not undo the archiving.
3. ``job_runs.record_run("daily", today)``, last, so that a crash before it makes the catch-up run
   the whole job again at the next start (every step is idempotent).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from domain.events import Event, ReminderDue
from domain.lheo import LeftOut, NothingToExport, Scope
from domain.models import Status
from domain.ports import BotUnitOfWork, BotUnitOfWorkFactory, Clock, LheoFiles
from domain.services.lheo import report_left_out

log = logging.getLogger("formabot.daily")

JOB_NAME = "daily"
# Actions per transaction of the archive sweep and of the reminders. SQLite has one writer, and a
# transaction's events (audit snapshots, outbox rows) are written on the event loop's thread while
# it holds the write lock: between two chunks the people chatting get their turn, so an update
# waits at most one chunk (issue 17; the whole sweep in one transaction held them 0.75 s).
DAILY_CHUNK = 200
# Processed update ids are kept this long (a redelivery comes within 24 hours; after a week
# without updates Telegram may choose the next update id at random, in the stored range).
PROCESSED_UPDATES_KEPT = timedelta(days=7)

# The daily export files, in the exports' directory.
EXPORT_FILES: dict[Scope, str] = {"public": "lheo-public.xml", "ofaa": "lheo-ofaa.xml"}


@dataclass(frozen=True, slots=True)
class DailyExports:
    """Where the daily LHEO exports go: the files' port and the directory."""

    files: LheoFiles
    directory: Path


@dataclass(slots=True)
class ExportResult:
    scope: str
    path: Path
    formations: int = 0
    sessions: int = 0
    error: str | None = None
    empty: bool = False  # nothing in scope: no file (LHEO needs one <formation>), old one removed
    left_out: list[LeftOut] = field(default_factory=list)  # told to staff


@dataclass(slots=True)
class DailyReport:
    day: date
    ran: bool = False
    skipped: str | None = None  # why the job did not run (another process, already done)
    archived: list[int] = field(default_factory=list)
    reminders: Counter[int] = field(default_factory=Counter)  # days left → number of actions
    queued: int = 0  # new outbox rows (archiving and reminder notifications)
    exports: list[ExportResult] = field(default_factory=list)
    exports_available: bool = True
    recorded: bool = False
    pruned_updates: int = 0  # processed update ids deleted (older than PROCESSED_UPDATES_KEPT)

    @property
    def ok(self) -> bool:
        return self.ran and all(e.error is None for e in self.exports)


async def run_daily(
    uow_factory: BotUnitOfWorkFactory,
    clock: Clock,
    *,
    reminder_days: Sequence[int],
    exports: DailyExports | None,
    today: date | None = None,
    force: bool = True,
) -> DailyReport:
    """Run the daily job for ``today`` (default: the clock's). ``force=False`` skips it when it
    already ran that day (the scheduler and the catch-up); the command line always runs it.
    ``exports=None`` leaves the LHEO files alone."""
    day = today or clock.today()
    report = DailyReport(day=day)
    async with uow_factory() as uow:
        if not await uow.try_lock_daily_job():
            report.skipped = "locked"
            log.info("daily job of %s skipped: another process is running it", day)
            return report
        last = await uow.job_runs.last_run(JOB_NAME)
        if not force and last is not None and last >= day:
            report.skipped = "done"
            return report
        report.pruned_updates = await uow.prune_processed_updates(
            clock.now() - PROCESSED_UPDATES_KEPT
        )
        await uow.commit()
    while True:  # the archive sweep, DAILY_CHUNK actions per transaction
        async with uow_factory() as uow:
            if not await _still_ours(uow, day, report):
                return report
            before = await uow.outbox.count()
            archived = await uow.archive_sweep(day, DAILY_CHUNK)  # publishes the ARCHIVED events
            await uow.commit()
            report.queued += await uow.outbox.count() - before
        report.archived += archived
        if len(archived) < DAILY_CHUNK:
            break
    while True:  # the reminders, as many per transaction
        async with uow_factory() as uow:
            if not await _still_ours(uow, day, report):
                return report
            before = await uow.outbox.count()
            due = await uow.reminders_due(day, reminder_days, DAILY_CHUNK)
            uow.publish(*(reminder_event(r.action_id, r.organisation_id, r.days, r.archive_on, r.level)
                          for r in due))
            await uow.commit()
            report.queued += await uow.outbox.count() - before
        report.reminders.update(r.days for r in due)
        if len(due) < DAILY_CHUNK:
            break
    report.ran = True
    log.info("daily job of %s: %d archived, %d reminders, %d notifications queued", day,
             len(report.archived), sum(report.reminders.values()), report.queued)

    if exports is not None:
        await run_exports(uow_factory, clock, exports, day, report)

    async with uow_factory() as uow:
        await uow.job_runs.record_run(JOB_NAME, day)
        await uow.commit()
    report.recorded = True
    return report


async def _still_ours(uow: BotUnitOfWork, day: date, report: DailyReport) -> bool:
    """Each chunk's transaction takes the job's lock again (PostgreSQL: it is released at each
    commit): another process that took it meanwhile goes on with the job, this one stops."""
    if await uow.try_lock_daily_job():
        return True
    report.skipped = "locked"
    log.info("daily job of %s left to another process after %d archived", day, len(report.archived))
    return False


def reminder_event(
    action_id: int, organisation_id: int, days: int, archive_on: date, level: int | None = None
) -> Event:
    """``days``: the real days left (the text says them); ``level``: the reminder level (30, 7, 1…)
    told once per archiving date (the outbox key and the audit row hold it)."""
    return ReminderDue(action_id, organisation_id, days=days, archive_on=archive_on, level=level)


async def run_exports(
    uow_factory: BotUnitOfWorkFactory, clock: Clock, exports: DailyExports, day: date,
    report: DailyReport,
) -> None:
    """The daily LHEO exports (``EXPORT_FILES``), their results added to ``report``."""
    files = exports.files
    files.ensure_directory(exports.directory)
    async with uow_factory() as uow:
        counts = await uow.all_actions().counts()
    candidates = {
        "public": counts.get(Status.PUBLISHED, 0),
        "ofaa": counts.get(Status.PUBLISHED, 0) + counts.get(Status.ARCHIVED, 0),
    }
    for scope, name in EXPORT_FILES.items():
        result = ExportResult(scope=scope, path=exports.directory / name)
        if candidates[scope] == 0:
            # LHEO needs at least one <formation>: with nothing to export, no file is written,
            # and yesterday's is removed (it would still publish actions archived since).
            result.empty = True
            files.remove(result.path)
            report.exports.append(result)
            continue
        try:
            # Off the event loop: people chatting with the bot must not feel the job (issue 17).
            written = await files.export_off_loop(result.path, scope, today=day, now=clock.now())
            result.formations, result.sessions = written.formations, written.sessions
            result.left_out = written.left_out
        except NothingToExport as nothing:  # every action in scope left out: as with none
            result.empty = True
            result.left_out = nothing.left_out
            files.remove(result.path)
        except Exception as exc:  # reported; the previous file stays in place
            log.exception("daily LHEO export %s failed", scope)
            result.error = str(exc) or type(exc).__name__
        report.exports.append(result)
    # RULES.md « Exports never fail as a whole »: what was left out is told to staff, once per
    # action and day (the outbox key), whichever file left it out.
    left_out = [item for result in report.exports for item in result.left_out]
    if left_out:
        log.warning("daily LHEO exports: %d action(s) left out", len(left_out))
        try:
            await report_left_out(uow_factory, left_out, day)
        except Exception:  # the files are written; the notice is missed, the log says so
            log.exception("daily LHEO exports: staff could not be told of the left-out actions")


async def catch_up(
    uow_factory: BotUnitOfWorkFactory, clock: Clock, *, reminder_days: Sequence[int],
    exports: DailyExports | None,
) -> DailyReport | None:
    """At start-up: if the daily job last ran before today (or never), run it now."""
    today = clock.today()
    async with uow_factory() as uow:
        last = await uow.job_runs.last_run(JOB_NAME)
    if last is not None and last >= today:
        return None
    log.info("daily job catch-up: last run %s, today %s", last, today)
    return await run_daily(uow_factory, clock, reminder_days=reminder_days, exports=exports,
                           today=today, force=False)
