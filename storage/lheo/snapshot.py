"""What an export reads: one consistent snapshot of the actions and their organisations.

    async with export_snapshot(engine) as snapshot:
        async for action, organisation in snapshot.items((Status.PUBLISHED,), page_size=500):
            ...

One read transaction for the whole export, so that actions published, archived or changed while it
runs can neither appear twice nor be skipped (paging by OFFSET over short transactions did both):

- PostgreSQL: ``REPEATABLE READ``, read only — every statement sees the database as it was at the
  first one, and writers are never blocked;
- SQLite: a deferred ``BEGIN`` (not the unit of work's ``BEGIN IMMEDIATE``: no write lock, the bot
  keeps writing) — in WAL mode a read transaction sees the database as of its first read.

Inside it, actions are read in pages on the key (``id > last ORDER BY id``): memory stays flat and
each page costs the same, however deep into the table (an OFFSET reads and throws away every row
before it). The organisations are read in the same snapshot, once each.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.lheo import EXPORT_PAGE
from domain.models import Action, Organisation, Status
from domain.ports import BetweenPages
from storage import mapping
from storage.repositories import load_actions_with_sessions
from storage.tables import actions, organisations

PAGE = EXPORT_PAGE
# ``storage.database`` begins a SQLite transaction DEFERRED instead of IMMEDIATE with this option.
READ_ONLY_OPTION = "formabot_read_only"

class MissingOrganisation(Exception):
    """An action whose organisation is not in the database (cannot happen with the foreign key)."""

    def __init__(self, action: Action) -> None:
        super().__init__(f"organisation {action.organisation_id} of {action.reference} not found")
        self.action = action


class ExportSnapshot:
    """The actions and organisations as they were when the snapshot's first read ran."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection
        self._organisations: dict[int, Organisation] = {}

    async def pages(
        self, statuses: Sequence[Status], *, page_size: int = PAGE,
        between_pages: BetweenPages | None = None,
    ) -> AsyncIterator[list[Action]]:
        """The actions of ``statuses`` by increasing id, ``page_size`` at a time.

        ``between_pages`` (tests) runs after each full page, before the next one is read.
        """
        last = 0
        wanted = [status.value for status in statuses]
        while True:
            rows = (
                await self.connection.execute(
                    select(actions)
                    .where(actions.c.status.in_(wanted), actions.c.id > last)
                    .order_by(actions.c.id)
                    .limit(page_size)
                )
            ).mappings().all()
            if not rows:
                return
            page = await load_actions_with_sessions(self.connection, rows)
            last = rows[-1]["id"]
            yield page
            if len(rows) < page_size:
                return
            if between_pages is not None:
                await between_pages()

    async def organisations_of(self, page: Sequence[Action]) -> dict[int, Organisation]:
        """The organisations of ``page`` (read once per snapshot, in one statement per page)."""
        missing = sorted({a.organisation_id for a in page} - self._organisations.keys())
        if missing:
            rows = (
                await self.connection.execute(
                    select(organisations).where(organisations.c.id.in_(missing))
                )
            ).mappings().all()
            for row in rows:
                organisation = mapping.load_organisation(row)
                assert organisation.id is not None
                self._organisations[organisation.id] = organisation
        return self._organisations

    async def items(
        self, statuses: Sequence[Status], *, page_size: int = PAGE,
        between_pages: BetweenPages | None = None,
    ) -> AsyncIterator[tuple[Action, Organisation]]:
        """Each action of ``statuses`` once, with its organisation."""
        async for page in self.pages(statuses, page_size=page_size, between_pages=between_pages):
            known = await self.organisations_of(page)
            for action in page:
                organisation = known.get(action.organisation_id)
                if organisation is None:
                    raise MissingOrganisation(action)
                yield action, organisation


@asynccontextmanager
async def export_snapshot(engine: AsyncEngine) -> AsyncIterator[ExportSnapshot]:
    """One read-only transaction on its own connection (see the module's docstring)."""
    async with engine.connect() as connection:
        options: dict[str, Any]
        if engine.dialect.name == "postgresql":
            options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        else:
            options = {READ_ONLY_OPTION: True}
        await connection.execution_options(**options)
        async with connection.begin():
            yield ExportSnapshot(connection)
