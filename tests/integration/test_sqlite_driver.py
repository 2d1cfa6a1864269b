"""The SQLite driver making one thread trip per statement (``storage.sqlite_driver``), under
SQLAlchemy: the same results as plain aiosqlite, large results streamed in chunks.

The contract (results, streaming, errors, daemon thread) runs on both engines of
``FORMABOT_FAST_PATHS``: this driver (``fast``) and aiosqlite as SQLAlchemy opens it (``stock``)."""

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


@pytest.fixture(params=[pytest.param(True, id="fast"), pytest.param(False, id="stock")])
def fast_paths(request: pytest.FixtureRequest) -> bool:
    """``FORMABOT_FAST_PATHS`` of the engine under test."""
    return bool(request.param)


@pytest.fixture
async def engine(tmp_path: Path, fast_paths: bool) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/driver.db", fast_paths=fast_paths)
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


async def test_the_engine_uses_the_one_trip_connection(engine: AsyncEngine, fast_paths: bool) -> None:
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.driver_connection, aiosqlite.Connection)
        one_trip = isinstance(raw.driver_connection, sqlite_driver.OneTripConnection)
        assert one_trip is fast_paths


async def test_results_are_right_and_a_transaction_makes_two_trips(
    engine: AsyncEngine, trips: list[str], fast_paths: bool
) -> None:
    async with engine.begin() as conn:
        inserted = await conn.execute(insert(items).values(name="a").returning(items.c.id))
        assert inserted.scalar_one() == 1
        await conn.execute(insert(items), [{"name": "b"}, {"name": "c"}])  # executemany
        changed = await conn.execute(update(items).where(items.c.name != "a").values(name=items.c.name + "!"))
        assert changed.rowcount == 2
        rows = (await conn.execute(select(items.c.name).order_by(items.c.id))).scalars().all()
        assert rows == ["a", "b!", "c!"]
        none = (await conn.execute(select(items).where(items.c.id == bindparam("p")), {"p": 99})).first()
        assert none is None
    # BEGIN IMMEDIATE (may wait for another process's lock) and COMMIT (writes) go to the thread;
    # the five statements in between, holding the write lock, run inline.
    if fast_paths:
        assert trips == ["run", "commit"]
    else:  # aiosqlite's own cursor: several trips per statement
        assert len(trips) > 10


async def test_a_read_snapshot_and_an_offloaded_block_stay_on_the_thread(
    tmp_path: Path, trips: list[str]
) -> None:
    """The exports' deferred read transaction may read pages from the disk for as long as its
    statements take, and ``offload`` marks the daily job's heavy statements: neither runs on the
    event loop's thread (issue 17: the daily job must not hold the loop)."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/snapshot.db", fast_paths=True)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.execute(insert(items), [{"name": "a"}, {"name": "b"}])
    async with engine.connect() as conn:
        await conn.execution_options(formabot_read_only=True)
        async with conn.begin():
            trips.clear()
            assert (await conn.execute(select(items.c.name).order_by(items.c.id))).scalars().all() == ["a", "b"]
            assert trips == ["run"]
    async with engine.begin() as conn:
        await conn.execute(select(items.c.id))  # BEGIN IMMEDIATE (a trip), then inline
        trips.clear()
        with sqlite_driver.offload(conn):
            await conn.execute(update(items).values(name=items.c.name + "!"))
        assert trips == ["run"]
        await conn.execute(select(items.c.id))
        assert trips == ["run"], "after the block, inline again"
    await engine.dispose()


async def test_outside_a_transaction_a_statement_is_one_trip(tmp_path: Path) -> None:
    connection = await sqlite_driver.connect(str(tmp_path / "plain.db"), check_same_thread=False)
    try:
        cursor = connection.cursor()
        await cursor.execute("SELECT 1")
        assert await cursor.fetchall() == [(1,)]
        assert not connection.holds_transaction()
    finally:
        await connection.close()


@pytest.mark.parametrize("inline", [True, False])
async def test_a_large_result_comes_in_chunks_and_complete(tmp_path: Path, inline: bool) -> None:
    connection = await sqlite_driver.connect(
        str(tmp_path / "big.db"), check_same_thread=not inline, isolation_level=None
    )
    total = 3 * sqlite_driver.FIRST_CHUNK + 17
    try:
        setup = connection.cursor()
        await setup.execute("CREATE TABLE t (n INTEGER)")
        await setup.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(total)])
        await setup.execute("BEGIN IMMEDIATE")
        assert connection.holds_transaction()
        cursor = connection.cursor()
        await cursor.execute("SELECT n FROM t ORDER BY n")
        assert len(cursor._rows) == sqlite_driver.FIRST_CHUNK, "only the first chunk is fetched"
        first = await cursor.fetchmany(100)
        rest = await cursor.fetchall()
        assert [r[0] for r in [*first, *rest]] == list(range(total))
        await setup.execute("COMMIT")
    finally:
        await connection.close()


async def test_a_streamed_result_through_sqlalchemy_is_complete(engine: AsyncEngine) -> None:
    total = 3 * sqlite_driver.FIRST_CHUNK + 17
    async with engine.begin() as conn:
        await conn.execute(insert(items), [{"name": f"n{i}"} for i in range(total)])
    async with engine.connect() as conn:
        seen = 0
        result = await conn.stream(select(items.c.id).order_by(items.c.id))
        async for partition in result.partitions(100):
            seen += len(partition)
        assert seen == total


async def test_errors_are_sqlalchemys_and_the_connection_goes_on(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(insert(items).values(name="x"))
        with pytest.raises(IntegrityError):
            await conn.execute(insert(items).values(name="x"))
        await conn.rollback()
        await conn.execute(insert(items).values(name="y"))
        await conn.commit()
        assert (await conn.execute(select(items.c.name))).scalars().all() == ["y"]


async def test_the_connection_thread_never_keeps_the_process_alive(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert raw.driver_connection._thread.daemon


async def test_a_unit_of_work_begins_and_commits_inline_and_waits_off_the_loop_for_another_process(
    tmp_path: Path, trips: list[str]
) -> None:
    """A unit of work holds the process's writer lock: its BEGIN IMMEDIATE and COMMIT run inline
    too (no trip to the thread). When another process holds SQLite's write lock, the BEGIN does
    not wait on the event loop's thread: it goes to the driver's thread and waits there."""
    import asyncio
    import sqlite3

    from storage.uow import SqlUnitOfWorkFactory
    from tests.databases import migrated_engine

    path = tmp_path / "uow.db"
    async with migrated_engine(f"sqlite+aiosqlite:///{path}") as engine:
        factory = SqlUnitOfWorkFactory(engine)
        async with factory() as uow:
            await uow.mark_update_processed(1)  # warm: the pool's connection is open
            await uow.commit()
        trips.clear()
        async with factory() as uow:
            assert await uow.mark_update_processed(2)
            await uow.commit()
        assert trips == []
        other = sqlite3.connect(path, isolation_level=None)  # another process: a command
        try:
            assert [row[0] for row in other.execute("SELECT update_id FROM processed_updates ORDER BY 1")] == [1, 2]
            other.execute("BEGIN IMMEDIATE")
            ticks = 0

            async def tick() -> None:
                nonlocal ticks
                while True:
                    ticks += 1
                    await asyncio.sleep(0.01)

            ticker = asyncio.create_task(tick())

            async def third() -> None:
                async with factory() as uow:
                    assert await uow.mark_update_processed(3)
                    await uow.commit()

            waiting = asyncio.create_task(third())
            await asyncio.sleep(0.3)
            assert not waiting.done() and ticks >= 10  # waiting, and the loop goes on meanwhile
            other.execute("COMMIT")
            await asyncio.wait_for(waiting, 5)
            ticker.cancel()
            assert trips[0] == "run"  # the BEGIN that waited, on the thread
            assert other.execute("SELECT max(update_id) FROM processed_updates").fetchone()[0] == 3
        finally:
            other.close()


async def test_inline_commits_leave_the_checkpoints_to_the_thread(tmp_path: Path, trips: list[str]) -> None:
    """SQLite's automatic checkpoint (at a commit, once the log is over 1 000 pages) would run on
    the event loop's thread: it is off on these connections, and a PASSIVE checkpoint runs on the
    driver's thread every ``CHECKPOINT_EVERY`` inline commits."""
    from storage.uow import SqlUnitOfWorkFactory
    from tests.databases import migrated_engine

    path = tmp_path / "wal.db"
    async with migrated_engine(f"sqlite+aiosqlite:///{path}") as engine:
        factory = SqlUnitOfWorkFactory(engine)
        commits = 2 * sqlite_driver.OneTripConnection.CHECKPOINT_EVERY
        trips.clear()  # the migrations'
        for update_id in range(commits + 1):
            async with factory() as uow:
                await uow.mark_update_processed(update_id)
                await uow.commit()
        assert trips.count("_pragma") == 2 and len(trips) == 2  # two checkpoints, nothing else
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection
            assert isinstance(driver, sqlite_driver.OneTripConnection)
            autocheckpoint = await (await driver.execute("PRAGMA wal_autocheckpoint")).fetchone()
            assert autocheckpoint == (0,)
