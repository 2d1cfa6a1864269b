"""LHEO and Ofaa commands.

- ``formabot export lheo --out FILE [--scope public|ofaa]``: the daily export, validated action by
  action, published atomically. An action that does not validate (or whose organisation's fiche
  is incomplete) is left out, listed in the output and told to staff; every other one is written.
- ``formabot import lheo FILE --org ORG [--dry-run]``: an LHEO 2.2/2.3 file as drafts of an
  organisation, all in one transaction, or nothing.
- ``formabot import ofaa FILE``: the France Travail return file (Carif-Oref reference → Ofaa
  reference).
- ``formabot lheo validate FILE``: XSD validation of an LHEO 2.3 file, errors per action.

The use cases live in ``domain.services.lheo`` (``export_actions``, ``report_left_out``,
``import_lheo_file``, ``import_ofaa_file``; the daily job calls them too); this module only reads the
arguments, calls them with the composition root's factory and files (``bot.wiring``) and prints.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from bot.commands import say
from bot.config import Settings
from domain.lheo import LeftOut, LheoError, NoProgress, NothingToExport, Progress
from domain.services.lheo import (
    UowFactory,
    export_actions,
    import_lheo_file,
    import_ofaa_file,
    report_left_out,
)
from storage.lheo.validate import iter_issues, validate_lheo

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


# --- validation (a file, no database) ------------------------------------------------------------


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
            report = await export_actions(services.lheo_files, Path(args.out), args.scope,
                                          today=today, now=services.clock.now(),
                                          progress=make_progress())
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
            outcome = await import_lheo_file(
                services.uow_factory, services.lheo_files, Path(args.file), args.org,
                today=services.clock.today(), dry_run=args.dry_run, progress=make_progress(),
            )
        except LheoError as error:
            return _fail(error)
    lines = list(outcome.lines)
    if outcome.dry_run:
        lines.append("Essai (--dry-run) : rien n'a été enregistré.")
    else:
        lines.append(f"{len(outcome.stored)} brouillon(s) créé(s) : "
                     f"{', '.join(outcome.stored) or '—'}.")
    print("\n".join(lines))
    return 0


async def _import_ofaa(args: argparse.Namespace, settings: Settings) -> int:
    from bot.wiring import open_services

    async with open_services(settings) as services:
        try:
            result, changed = await import_ofaa_file(services.uow_factory, services.lheo_files,
                                                     Path(args.file))
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
