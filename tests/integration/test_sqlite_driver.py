"""The SQLite driver making one thread trip per statement (``storage.sqlite_driver``), under
SQLAlchemy: the same results as plain aiosqlite, large results streamed in chunks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import sqlite_driver
from storage.database import create_engine

metadata = MetaData()
items = Table("items", metadata, Column("id", Integer, primary_key=True), Column("name", String, unique=True))


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/driver.db")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The calls made on the connection's thread."""
    calls: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: object, *args: object, **kwargs: object) -> object:
        calls.append(getattr(fn, "__name__", "?"))
        return await original(self, fn, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return calls


async def test_the_engine_uses_the_one_trip_connection(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.driver_connection, sqlite_driver.OneTripConnection)


async def test_a_statement_is_one_trip_and_results_are_right(engine: AsyncEngine, trips: list[str]) -> None:
    async with engine.begin() as conn:
        inserted = await conn.execute(insert(items).values(name="a").returning(items.c.id))
        assert inserted.scalar_one() == 1
        await conn.execute(insert(items), [{"name": "b"}, {"name": "c"}])  # executemany
        changed = await conn.execute(update(items).where(items.c.name != "a").values(name=items.c.name + "!"))
        assert changed.rowcount == 2
        trips.clear()
        rows = (await conn.execute(select(items.c.name).order_by(items.c.id))).scalars().all()
        assert rows == ["a", "b!", "c!"]
        assert trips == ["run"], "open, execute, fetch and close in one trip"
        none = (await conn.execute(select(items).where(items.c.id == bindparam("p")), {"p": 99})).first()
        assert none is None


async def test_a_large_result_is_complete_and_streamed_in_chunks(engine: AsyncEngine, trips: list[str]) -> None:
    total = 3 * sqlite_driver.FIRST_CHUNK + 17
    async with engine.begin() as conn:
        await conn.execute(insert(items), [{"name": f"n{i}"} for i in range(total)])
    async with engine.connect() as conn:
        assert len((await conn.execute(select(items))).all()) == total
        trips.clear()
        seen = 0
        result = await conn.stream(select(items.c.id).order_by(items.c.id))
        async for partition in result.partitions(100):
            seen += len(partition)
        assert seen == total
        assert len(trips) > 2, "a streamed result is fetched chunk by chunk, not at once"


async def test_errors_are_sqlalchemys_and_the_connection_goes_on(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(insert(items).values(name="x"))
        with pytest.raises(IntegrityError):
            await conn.execute(insert(items).values(name="x"))
        await conn.rollback()
        await conn.execute(insert(items).values(name="y"))
        await conn.commit()
        assert (await conn.execute(select(items.c.name))).scalars().all() == ["y"]
