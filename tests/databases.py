"""A migrated database for a test: its engine, or a unit-of-work factory on it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from domain.models import Action
from domain.ports import Clock
from storage.database import create_engine, upgrade
from storage.uow import SqlUnitOfWorkFactory


@asynccontextmanager
async def migrated_engine(url: str) -> AsyncIterator[AsyncEngine]:
    """The engine of the database at ``url``, migrated first, disposed afterwards."""
    engine = create_engine(url)
    try:
        await upgrade(engine)
        yield engine
    finally:
        await engine.dispose()


@asynccontextmanager
async def database(
    url: str, clock: Clock | None = None, *, staff_ids: Collection[int] = ()
) -> AsyncIterator[SqlUnitOfWorkFactory]:
    """The units of work of the database at ``url`` (migrated first), as the bot's own."""
    async with migrated_engine(url) as engine:
        yield SqlUnitOfWorkFactory(engine, clock, staff_ids=staff_ids)


def prepared_sqlite(
    path: Path,
    prepare: Callable[[SqlUnitOfWorkFactory], Awaitable[object]],
    clock: Clock | None = None,
) -> str:
    """A SQLite database file at ``path``, migrated and filled by ``prepare`` before a command line
    runs on it (outside any event loop); its URL."""
    url = f"sqlite+aiosqlite:///{path}"

    async def run() -> None:
        async with database(url, clock) as factory:
            await prepare(factory)

    asyncio.run(run())
    return url


async def add_action(factory: SqlUnitOfWorkFactory, action: Action) -> Action:
    """The action added (to its organisation) and committed; as stored."""
    async with factory() as uow:
        stored = await uow.all_actions().add(action)
        await uow.commit()
    return stored
