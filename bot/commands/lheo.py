"""LHEO and Ofaa commands.

- ``formabot export lheo --out FILE [--scope public|ofaa]``: the daily export, validated action by
  action, published atomically. An action that does not validate (or whose organisation's fiche
  is incomplete) is left out, listed in the output and told to staff; every other one is written.
- ``formabot import lheo FILE --org ORG [--dry-run]``: an LHEO 2.2/2.3 file as drafts of an
  organisation, all in one transaction, or nothing.
- ``formabot import ofaa FILE``: the France Travail return file (Carif-Oref reference → Ofaa
  reference).
- ``formabot lheo validate FILE``: XSD validation of an LHEO 2.3 file, errors per action.

The cores (``export_actions``, ``import_lheo_file``, ``import_ofaa_file``, ``validate_file``) take a
unit-of-work factory, so tests and jobs call them without the command line.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

from bot.commands import say
from bot.config import Settings
from domain.events import Event, ExportLeftOut, OfaaReferenceReceived
from domain.models import Action, Status
from domain.ports import BotUnitOfWork
from storage.lheo.errors import LeftOut, LheoError, NothingToExport
from storage.lheo.export import ExportReport, Scope, in_scope
from storage.lheo.import_ import describe, read_lheo
from storage.lheo.ofaa import OfaaResult, parse_ofaa_csv, resolve_ofaa
from storage.lheo.schema import NoProgress, Progress
from storage.lheo.snapshot import PAGE, BetweenPages, export_snapshot
from storage.lheo.validate import AtomicLheoExport, iter_issues, validate_lheo

UowFactory = Callable[[], BotUnitOfWork]  # storage.uow.SqlUnitOfWorkFactory


# --- progress ------------------------------------------------------------------------------------


class RichProgress:
    """A rich progress bar per phase (export, validation, import); see ``make_progress``."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._task: Any = None

    def start(self, description: str, total: int | None = None) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bar

        self.finish()
        self._bar = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn())
        self._bar.start()
        self._task = self._bar.add_task(description, total=total)

    def advance(self, count: int = 1) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, count)

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.stop()
        self._bar = self._task = None


def make_progress(stream: TextIO | None = None) -> Progress:
    """A progress bar when ``stream`` (stdout) is a terminal, nothing otherwise."""
    stream = stream or sys.stdout
    return RichProgress() if stream.isatty() else NoProgress()


# --- cores ---------------------------------------------------------------------------------------


async def export_actions(
    uow_factory: UowFactory, out: Path, scope: Scope, *, today: date, now: datetime,
    progress: Progress | None = None, page_size: int = PAGE,
    between_pages: BetweenPages | None = None,
) -> ExportReport:
    """Export the actions of ``scope`` on ``today`` to ``out`` (validated, atomic).

    Reads one consistent snapshot (``storage.lheo.snapshot``): an action published, archived or
    changed meanwhile is in the file once or not at all, never twice. Each action is validated on
    its own: one that does not validate, or whose organisation's fiche is incomplete, is left out
    (``report.left_out``) and every other one is exported. Raises ``NothingToExport`` when no
    action is left to write (no file is published then).
    """
    statuses = (Status.PUBLISHED,) if scope == "public" else (Status.PUBLISHED, Status.ARCHIVED)
    export = AtomicLheoExport(out, now=now, progress=progress)
    engine = uow_factory.engine  # type: ignore[attr-defined]  # a SqlUnitOfWorkFactory's engine
    async with export_snapshot(engine) as snapshot:
        with export as writer:
            async for action, organisation in snapshot.items(
                statuses, page_size=page_size, between_pages=between_pages
            ):
                if in_scope(action, scope, today):
                    writer.write(action, organisation)
    return export.report


def left_out_event(item: LeftOut, day: date) -> Event:
    """The staff notice of an action left out of the exports of ``day`` (once per action a day:
    ``ExportLeftOut.discriminator`` is the day, whichever export or run found it)."""
    return ExportLeftOut(item.action_id, item.organisation_id, day=day,
                         reference=item.reference or None, organisation=item.organisation or None,
                         missing=tuple(item.missing), issues=tuple(item.issues))


async def report_left_out(uow_factory: UowFactory, left_out: Iterable[LeftOut], day: date) -> int:
    """Tell staff (outbox) about each action left out of an export on ``day``; returns how many
    actions were reported (an action already reported that day is not told twice)."""
    events: dict[tuple[int | None, str | None], Event] = {}
    for item in left_out:
        events.setdefault((item.action_id, item.reference), left_out_event(item, day))
    if not events:
        return 0
    async with uow_factory() as uow:
        uow.publish(*events.values())
        await uow.commit()
    return len(events)


@dataclass(slots=True)
class ImportOutcome:
    lines: list[str] = field(default_factory=list)
    stored: list[str] = field(default_factory=list)  # references of the drafts created


async def import_lheo_file(
    uow_factory: UowFactory, path: Path, organisation_id: int, *, today: date,
    dry_run: bool = False, progress: Progress | None = None,
) -> ImportOutcome:
    """Read ``path`` and store its drafts for the organisation in one transaction (or none)."""
    result = read_lheo(path, organisation_id, today=today, progress=progress)
    outcome = ImportOutcome(lines=describe(result))
    async with uow_factory() as uow:
        if await uow.organisations.get(organisation_id) is None:
            raise LheoError(f"Organisation {organisation_id} introuvable : rien n'a été importé.")
        if dry_run:
            outcome.lines.append("Essai (--dry-run) : rien n'a été enregistré.")
            return outcome
        repository = uow.actions_for_organisation(organisation_id)
        for action in result.actions:
            stored = await repository.add(action)
            outcome.stored.append(str(stored.reference))
        await uow.commit()
    outcome.lines.append(
        f"{len(outcome.stored)} brouillon(s) créé(s) : {', '.join(outcome.stored) or '—'}."
    )
    return outcome


async def import_ofaa_file(uow_factory: UowFactory, path: Path) -> tuple[OfaaResult, int]:
    """Record the France Travail references of ``path``; returns the result and the number of
    actions whose reference changed (each one notified)."""
    rows, errors = parse_ofaa_csv(path)
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


def validate_file(path: Path, progress: Progress | None = None) -> tuple[bool, list[str]]:
    report = validate_lheo(path, progress=progress)
    if report.valid:
        return True, [f"{path} : fichier LHEO 2.3 valide ({report.formations} formation(s))."]
    return False, [f"{path} : fichier LHEO 2.3 NON valide ({len(report.issues)} erreur(s)).",
                   *iter_issues(report)]


# --- command line --------------------------------------------------------------------------------


def _fail(error: LheoError) -> int:
    print(error.message, file=sys.stderr)
    for line in error.details:
        print(f"  {line}", file=sys.stderr)
    return 1


async def _export(args: argparse.Namespace, settings: Settings) -> int:
    """0 when the file was written (left-out actions listed as a warning and told to staff), 1
    when no file was written."""
    from bot.wiring import open_services

    async with open_services(settings) as services:
        factory, today = services.uow_factory, services.clock.today()
        try:
            report = await export_actions(factory, Path(args.out), args.scope, today=today,
                                          now=services.clock.now(), progress=make_progress())
        except NothingToExport as nothing:
            print(say("lheo_nothing_exported", scope=args.scope), file=sys.stderr)
            await _warn_left_out(factory, nothing.left_out, today)
            return 1
        except LheoError as error:  # the file did not validate: no file was published
            return _fail(error)
        print(say("lheo_exported", scope=args.scope, report=report))
        await _warn_left_out(factory, report.left_out, today)
        return 0


async def _warn_left_out(factory: UowFactory, left_out: list[LeftOut], today: date) -> None:
    if not left_out:
        return
    reported = True
    try:
        await report_left_out(factory, left_out, today)
    except Exception:  # the database refused the notices: still list the actions here
        reported = False
    print(say("lheo_left_out", left_out=left_out, reported=reported), file=sys.stderr)


async def _import_lheo(args: argparse.Namespace, settings: Settings) -> int:
    from bot.wiring import open_services

    async with open_services(settings) as services:
        try:
            outcome = await import_lheo_file(services.uow_factory, Path(args.file), args.org,
                                             today=services.clock.today(), dry_run=args.dry_run,
                                             progress=make_progress())
        except LheoError as error:
            return _fail(error)
    print("\n".join(outcome.lines))
    return 0


async def _import_ofaa(args: argparse.Namespace, settings: Settings) -> int:
    from bot.wiring import open_services

    async with open_services(settings) as services:
        try:
            result, changed = await import_ofaa_file(services.uow_factory, Path(args.file))
        except LheoError as error:
            return _fail(error)
    print(say("ofaa_imported", matched=len(result.matched), changed=changed))
    for problem in result.problems:
        print(f"  {problem}")
    return 0


def _validate(args: argparse.Namespace, settings: Settings) -> int:
    ok, lines = validate_file(Path(args.file), make_progress())
    print("\n".join(lines))
    return 0 if ok else 1


def register(sub: Any) -> None:
    export = sub.add_parser("export", help="exports (LHEO 2.3)")
    export_sub = export.add_subparsers(dest="export_command", metavar="FORMAT", required=True)
    lheo_export = export_sub.add_parser(
        "lheo", help="export the published actions in LHEO 2.3 (validated, atomic)"
    )
    lheo_export.add_argument("--out", required=True, help="the file to write")
    lheo_export.add_argument(
        "--scope", choices=("public", "ofaa"), default="public",
        help="public: actions in public consultation; ofaa: the France Travail export "
             "(also archived less than 30 days ago)",
    )
    lheo_export.set_defaults(handler=_export)

    imports = sub.add_parser("import", help="imports (LHEO, Ofaa)")
    import_sub = imports.add_subparsers(dest="import_command", metavar="FORMAT", required=True)
    lheo_import = import_sub.add_parser(
        "lheo", help="import an LHEO 2.2/2.3 file as drafts of an organisation (all or nothing)"
    )
    lheo_import.add_argument("file")
    lheo_import.add_argument("--org", type=int, required=True, help="the organisation's id")
    lheo_import.add_argument("--dry-run", action="store_true",
                             help="read and report, store nothing")
    lheo_import.set_defaults(handler=_import_lheo)
    ofaa_import = import_sub.add_parser(
        "ofaa", help="record France Travail references (CSV reference_carif;reference_ofaa)"
    )
    ofaa_import.add_argument("file")
    ofaa_import.set_defaults(handler=_import_ofaa)

    lheo = sub.add_parser("lheo", help="LHEO tools")
    lheo_sub = lheo.add_subparsers(dest="lheo_command", metavar="TOOL", required=True)
    validate = lheo_sub.add_parser("validate", help="validate an LHEO 2.3 file against the XSD")
    validate.add_argument("file")
    validate.set_defaults(handler=_validate)
