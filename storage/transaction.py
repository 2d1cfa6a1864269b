"""``Transaction``: what a repository uses of its unit of work, and nothing more.

The connection (its transaction begins at the first statement), the clock, the staff configured
now, the statements every update runs (``hot``) and the note of each action written (the unit of
work gives it an audit row at commit). The unit of work owns one and hands it to its repositories,
so that ``storage.repositories`` never needs ``storage.uow``.

On SQLite, ``open`` takes this process's writer lock first: SQLite has one writer at a time and
every unit of work takes the write lock (BEGIN IMMEDIATE). Within one process, units of work queue
on an asyncio lock instead of in SQLite's busy handler, which sleeps by steps of up to 100 ms:
under load that sleeping, not the work, made the latency. Other processes on the same file still
meet in SQLite's busy timeout.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.ports import Clock
from storage import hot_statements
from storage.hot_statements import HotResult, HotStatement, inline_driver
from storage.sqlite_driver import OneTripConnection

_WRITER_LOCKS: weakref.WeakKeyDictionary[AsyncEngine, asyncio.Lock] = weakref.WeakKeyDictionary()
WRITER_WAIT = 60.0  # seconds; beyond, the caller gets TimeoutError (the chat keeps the answer pending)

# An action written in this transaction: (organisation id, kind, details).
ActionWrite = tuple[int | None, str, dict[str, Any] | None]


def writer_lock(engine: AsyncEngine) -> asyncio.Lock | None:
    if engine.dialect.name != "sqlite":
        return None
    lock = _WRITER_LOCKS.get(engine)
    if lock is None:
        lock = _WRITER_LOCKS[engine] = asyncio.Lock()
    return lock


class Transaction:
    """One connection of one unit of work, with what its repositories need besides."""

    def __init__(self, clock: Clock, staff_ids: Collection[int] = ()) -> None:
        self.clock = clock
        # The Carif-Oref staff named by the configuration (``FORMABOT_ADMIN_IDS``) now: the only
        # ones told of staff events, whatever staff link rows the table still holds.
        self.staff_ids: frozenset[int] = frozenset(staff_ids)
        self._connection: AsyncConnection | None = None
        self._writer: asyncio.Lock | None = None
        self._driver: OneTripConnection | None = None  # SQLite: hot statements run inline on it
        # Actions written in this transaction: id → (organisation id, kind, details).
        self.writes: dict[int, ActionWrite] = {}

    @property
    def connection(self) -> AsyncConnection:
        if self._connection is None:
            raise RuntimeError("use the unit of work in `async with`")
        return self._connection

    @property
    def is_open(self) -> bool:
        return self._connection is not None

    async def open(self, engine: AsyncEngine, *, direct_statements: bool) -> None:
        """Take the writer lock (SQLite), then a connection."""
        if self._connection is not None:
            raise RuntimeError("a unit of work is entered once")
        self._writer = writer_lock(engine)
        if self._writer is not None:
            try:
                if self._writer.locked():
                    await asyncio.wait_for(self._writer.acquire(), WRITER_WAIT)
                else:
                    await self._writer.acquire()  # free: taken at once (no timeout task needed)
            except TimeoutError:
                self._writer = None
                raise
        try:
            self._connection = await engine.connect()
        except BaseException:
            self._release_writer()
            raise
        self._driver = inline_driver(self._connection) if direct_statements else None
        if self._writer is not None and self._driver is not None:
            self._driver.sole_writer = True  # BEGIN and COMMIT may run inline (storage.sqlite_driver)

    async def close(self) -> None:
        """Roll back what was not committed, close the connection, release the writer lock."""
        connection, self._connection = self._connection, None
        self.writes.clear()
        if self._driver is not None:
            self._driver.sole_writer = False
            self._driver = None
        try:
            if connection is None:
                return
            try:
                if connection.in_transaction():
                    await connection.rollback()
            finally:
                await connection.close()
        finally:
            self._release_writer()

    def _release_writer(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.release()

    async def hot(self, statement: HotStatement, params: Mapping[str, Any]) -> HotResult:
        """One of the statements every update runs (``storage.hot_statements``)."""
        return await hot_statements.run(self.connection, self._driver, statement, params)

    def note_action_write(
        self, action_id: int, organisation_id: int | None, kind: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        """An action was written in this transaction (its audit row is written at commit)."""
        previous = self.writes.get(action_id)
        if previous is not None and kind == "saved":
            kind = previous[1] if previous[1] == "created" else kind
            changed = sorted({*((previous[2] or {}).get("changed", [])),
                              *((details or {}).get("changed", []))})
            details = {"changed": changed} if changed else None
        self.writes[action_id] = (organisation_id, kind, details)
