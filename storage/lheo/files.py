"""``domain.ports.LheoFiles`` on the database and the file system: what the LHEO use cases
(``domain.services.lheo``) write and read, wired by ``bot.wiring``.

- ``snapshot()``: one consistent read of the actions (``storage.lheo.snapshot``);
- ``export_file(out, now=…)``: the validated, atomic LHEO 2.3 file (``storage.lheo.validate``);
- ``export_off_loop(out, scope, …)``: the daily job's export, in a child process
  (``storage.lheo.export_process``);
- ``read_drafts(path, organisation_id, today=…)``: an LHEO 2.2/2.3 file as drafts
  (``storage.lheo.import_``);
- ``read_ofaa(path)``: the France Travail return file (``storage.lheo.ofaa``).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from domain.lheo import ExportReport, OfaaRow, Progress, ReadDrafts, Scope
from domain.services.lheo import export_actions
from storage.lheo.export_process import export_in_child, shared_url
from storage.lheo.import_ import describe, read_lheo
from storage.lheo.ofaa import parse_ofaa_csv
from storage.lheo.snapshot import ExportSnapshot, export_snapshot
from storage.lheo.validate import AtomicLheoExport


class SqlLheoFiles:
    """The LHEO files of the database behind ``engine``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    def snapshot(self) -> AbstractAsyncContextManager[ExportSnapshot]:
        return export_snapshot(self.engine)

    def export_file(
        self, out: Path, *, now: datetime, progress: Progress | None = None
    ) -> AtomicLheoExport:
        return AtomicLheoExport(out, now=now, progress=progress)

    async def export_off_loop(
        self, out: Path, scope: Scope, *, today: date, now: datetime
    ) -> ExportReport:
        url = shared_url(self.engine)
        if url is None:  # SQLite in memory: a child could not open it
            return await export_actions(self, out, scope, today=today, now=now)
        return await export_in_child(url, out, scope, today=today, now=now)

    def ensure_directory(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)

    def remove(self, path: Path) -> None:
        path.unlink(missing_ok=True)

    def read_drafts(
        self, path: Path | bytes, organisation_id: int, *, today: date, progress: Progress | None = None
    ) -> ReadDrafts:
        result = read_lheo(path, organisation_id, today=today, progress=progress)
        return ReadDrafts(actions=result.actions, lines=describe(result))

    def read_ofaa(self, path: Path) -> tuple[list[OfaaRow], list[str]]:
        return parse_ofaa_csv(path)
