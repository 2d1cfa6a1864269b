"""The LHEO and Ofaa use cases, shared by the command line and the daily job.

Each takes the unit-of-work factory (or the LHEO files alone, for the export, which reads its own
snapshot) and the files (``domain.ports.LheoFiles``, wired by ``bot.wiring``), runs in its own
transaction and publishes its events there:

- ``export_actions``: the actions of a scope (``public``, ``ofaa``) to a validated file,
  published atomically; an action that does not validate, or whose organisation's fiche is
  incomplete, is left out and listed in the report (``NothingToExport`` when none is left);
- ``report_left_out``: tell staff of the actions an export left out (``ExportLeftOut``, once per
  action and day);
- ``import_lheo_file``: an LHEO 2.2/2.3 file as drafts of an organisation, all or nothing;
- ``import_catalogue``: the same, for a file a member sent in the chat (its bytes, size-limited),
  in the member's unit of work;
- ``import_ofaa_file``: the France Travail references of a return file (``OfaaReferenceReceived``
  for each action whose reference changed).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import cast

from domain.events import Event, ExportLeftOut, OfaaReferenceReceived
from domain.lheo import (
    CATALOGUE_MAX_BYTES,
    EXPORT_PAGE,
    EXPORT_STATUSES,
    CatalogueTooLarge,
    ExportReport,
    LeftOut,
    LheoError,
    OfaaResult,
    Progress,
    Scope,
    in_scope,
    resolve_ofaa,
)
from domain.models import Action, Organisation
from domain.ports import ActionRepository, BetweenPages, ExportSink, LheoFiles, UnitOfWork
from domain.services.member import Member, scope

UowFactory = Callable[[], UnitOfWork]
EXPORT_SLICE = 50  # actions handed to the export's thread at a time


async def export_actions(
    files: LheoFiles, out: Path, scope: Scope, *, today: date, now: datetime,
    progress: Progress | None = None, page_size: int = EXPORT_PAGE,
    between_pages: BetweenPages | None = None,
) -> ExportReport:
    """Export the actions of ``scope`` on ``today`` to ``out`` (validated, atomic).

    Reads one consistent snapshot (``LheoFiles.snapshot``): an action published, archived or
    changed meanwhile is in the file once or not at all, never twice. Each action is validated on
    its own: one that does not validate, or whose organisation's fiche is incomplete, is left out
    (``report.left_out``) and every other one is exported. Raises ``NothingToExport`` when no
    action is left to write (no file is published then).
    """
    export = files.export_file(out, now=now, progress=progress)
    loop = asyncio.get_running_loop()
    # The writing (XML, each action's validation, the pipe to the validating child) runs on a
    # thread of its own, a slice at a time, while the snapshot's next rows are read: the event
    # loop stays free for the people chatting (issue 17). One thread: the writer's calls keep
    # their order and the file is the same byte for byte.
    with ThreadPoolExecutor(1, thread_name_prefix="lheo-export") as worker:

        async def off_loop(fn: Callable[..., object], *args: object) -> object:
            return await loop.run_in_executor(worker, fn, *args)

        async with files.snapshot() as snapshot:
            writer = cast(ExportSink, await off_loop(export.__enter__))
            try:
                batch: list[tuple[Action, Organisation]] = []
                async for action, organisation in snapshot.items(
                    EXPORT_STATUSES[scope], page_size=page_size, between_pages=between_pages
                ):
                    if in_scope(action, scope, today):
                        batch.append((action, organisation))
                    if len(batch) >= EXPORT_SLICE:
                        await off_loop(_write_all, writer, batch)
                        batch = []
                await off_loop(_write_all, writer, batch)
            except BaseException as error:
                await off_loop(export.__exit__, type(error), error, error.__traceback__)
                raise
            await off_loop(export.__exit__, None, None, None)
    return export.report


def _write_all(writer: ExportSink, items: list[tuple[Action, Organisation]]) -> None:
    for action, organisation in items:
        writer.write(action, organisation)


def left_out_event(item: LeftOut, day: date) -> Event:
    """The staff notice of an action left out of the exports of ``day`` (once per action a day:
    ``ExportLeftOut.discriminator`` is the day, whichever export or run found it)."""
    return ExportLeftOut(item.action_id, item.organisation_id, day=day,
                         reference=item.reference or None, organisation=item.organisation or None,
                         missing=tuple(item.missing), issues=tuple(item.issues))


def left_out_events(left_out: Iterable[LeftOut], day: date) -> list[Event]:
    """One notice per action left out (an action left out of both exports is told once)."""
    events: dict[tuple[int | None, str | None], Event] = {}
    for item in left_out:
        events.setdefault((item.action_id, item.reference), left_out_event(item, day))
    return list(events.values())


async def report_left_out(uow_factory: UowFactory, left_out: Iterable[LeftOut], day: date) -> int:
    """Tell staff (outbox) about each action left out of an export on ``day``; returns how many
    actions were reported (an action already reported that day is not told twice)."""
    events = left_out_events(left_out, day)
    if not events:
        return 0
    async with uow_factory() as uow:
        uow.publish(*events)
        await uow.commit()
    return len(events)


@dataclass(slots=True)
class ImportOutcome:
    lines: list[str] = field(default_factory=list)  # the file's report, draft by draft (French)
    stored: list[str] = field(default_factory=list)  # references of the drafts created
    dry_run: bool = False  # nothing was stored


async def import_lheo_file(
    uow_factory: UowFactory, files: LheoFiles, path: Path, organisation_id: int, *, today: date,
    dry_run: bool = False, progress: Progress | None = None,
) -> ImportOutcome:
    """Read ``path`` and store its drafts for the organisation in one transaction (or none)."""
    read = files.read_drafts(path, organisation_id, today=today, progress=progress)
    outcome = ImportOutcome(lines=read.lines, dry_run=dry_run)
    async with uow_factory() as uow:
        if await uow.organisations.get(organisation_id) is None:
            raise LheoError(f"Organisation {organisation_id} introuvable : rien n'a été importé.")
        if dry_run:
            return outcome
        stored = await _store_drafts(uow.actions_for_organisation(organisation_id), read.actions)
        outcome.stored.extend(str(action.reference) for action in stored)
        await uow.commit()
    return outcome


async def import_catalogue(
    uow: UnitOfWork, member: Member, files: LheoFiles, data: bytes, *, today: date
) -> list[Action]:
    """An LHEO 2.2/2.3 file a member sent in the chat, as drafts of their organisation: the
    importer of ``import_lheo_file`` (its locked-down parser, all or nothing) on the file's bytes,
    refused over ``CATALOGUE_MAX_BYTES`` before anything is read (``CatalogueTooLarge``; a file
    refused by the importer is a ``LheoError``). Stored in the caller's unit of work, which commits;
    returns the drafts stored, in the file's order."""
    if len(data) > CATALOGUE_MAX_BYTES:
        raise CatalogueTooLarge(len(data))
    read = files.read_drafts(data, member.organisation_id, today=today)
    return await _store_drafts(scope(uow, member), read.actions)


async def _store_drafts(repository: ActionRepository, actions: list[Action]) -> list[Action]:
    return [await repository.add(action) for action in actions]


async def import_ofaa_file(
    uow_factory: UowFactory, files: LheoFiles, path: Path
) -> tuple[OfaaResult, int]:
    """Record the France Travail references of ``path``; returns the result and the number of
    actions whose reference changed (each one notified)."""
    rows, errors = files.read_ofaa(path)
    changed = 0
    async with uow_factory() as uow:
        repository = uow.all_actions()
        found: dict[str, Action] = {}
        for row in rows:
            action = await repository.by_reference(row.reference_carif)
            if action is not None and action.reference_carif == row.reference_carif:
                found[row.reference_carif] = action
        result = resolve_ofaa(rows, errors, found)
        for line in result.matched:
            action = line.action
            if action.reference_ofaa == line.reference_ofaa:
                continue
            action.reference_ofaa = line.reference_ofaa
            await repository.save(action)
            uow.publish(OfaaReferenceReceived(action.id, action.organisation_id,
                                              reference_ofaa=line.reference_ofaa))
            changed += 1
        await uow.commit()
    return result, changed
