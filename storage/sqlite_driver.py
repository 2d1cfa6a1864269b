"""aiosqlite with one trip to its thread per statement.

aiosqlite runs each sqlite3 call on the connection's own thread, and SQLAlchemy's adapter makes four
calls per statement (open a cursor, execute, fetch, close): four round trips between the event loop
and that thread, each a future, a wake-up of the loop through its self-pipe and a context switch.
On a busy bot those round trips cost more CPU than SQLite's work itself. This cursor does the
cursor-open, execute, first fetch and, for a result that fits in it, the close in one trip; further
chunks of a large result (a streamed export) are fetched chunk by chunk as before, so memory stays
bounded. Used through ``create_async_engine(..., async_creator=…)`` (see ``storage.database``)
when ``FORMABOT_FAST_PATHS`` is on (the default); figures in ``bench/README.md``.

Inside a write transaction there is no trip at all: a unit of work holding the process's writer
lock (``storage.transaction``) begins, runs its statements and commits on the event loop's thread.
Each trip handed the interpreter's lock to the driver's thread and back, and the loop waited for
it: on a busy bot the two trips of BEGIN and COMMIT cost more than the whole unit of work's
SQLite work (issue 17: 2.08 → 1.72 ms of CPU per update, throughput up by a quarter).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import aiosqlite
from sqlalchemy.ext.asyncio import AsyncConnection

FIRST_CHUNK = 256  # rows fetched with the statement; a larger result is fetched in chunks
_BEGINS = {"BEGIN": False, "BEGIN DEFERRED": False, "BEGIN IMMEDIATE": True, "BEGIN EXCLUSIVE": True}


class OneTripCursor:
    """The part of ``aiosqlite.Cursor`` SQLAlchemy uses, one thread trip per statement."""

    def __init__(self, connection: OneTripConnection) -> None:
        self._connection = connection
        self._cursor: sqlite3.Cursor | None = None  # still open: more rows to fetch
        self._rows: list[Any] = []
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    # SQLAlchemy enters the cursor as an async context manager.
    async def __aenter__(self) -> OneTripCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _run(self, fn: Callable[[], Any]) -> Any:
        connection = self._connection
        if connection.inline_in_transaction and not connection.offloaded and connection.holds_transaction():
            # Inside a transaction begun with BEGIN IMMEDIATE the connection holds the write lock
            # and, in WAL mode, nothing it runs can wait for a lock or for the disk (pages are
            # written at COMMIT): a statement takes microseconds, less than the trip to the thread.
            return fn()
        return await connection._execute(fn)

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> OneTripCursor:
        await self._close_open_cursor()
        conn = self._connection
        if sql in _BEGINS:
            # A read transaction (a deferred BEGIN: the exports' snapshot) reads pages that may
            # not be cached, for as long as its statements take: those stay on the thread.
            conn.write_transaction = _BEGINS[sql]
            if conn.write_transaction and parameters is None and conn.try_begin_inline(sql):
                self.description, self.rowcount, self.lastrowid, self._rows = None, -1, None, []
                return self

        def run() -> tuple[Any, int, int | None, list[Any], sqlite3.Cursor | None]:
            cursor = conn._conn.cursor()
            try:
                cursor.execute(sql, () if parameters is None else parameters)
                rows = cursor.fetchmany(FIRST_CHUNK) if cursor.description else []
            except BaseException:
                cursor.close()
                raise
            if len(rows) < FIRST_CHUNK:
                cursor.close()  # exhausted: description, rowcount and lastrowid stay readable
                return cursor.description, cursor.rowcount, cursor.lastrowid, rows, None
            return cursor.description, cursor.rowcount, cursor.lastrowid, rows, cursor

        self.description, self.rowcount, self.lastrowid, self._rows, self._cursor = await self._run(run)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> OneTripCursor:
        await self._close_open_cursor()
        conn = self._connection

        def run() -> tuple[Any, int, int | None]:
            cursor = conn._conn.cursor()
            try:
                cursor.executemany(sql, parameters)
                return cursor.description, cursor.rowcount, cursor.lastrowid
            finally:
                cursor.close()

        self.description, self.rowcount, self.lastrowid = await self._run(run)
        self._rows = []
        return self

    async def fetchone(self) -> Any:
        rows = await self.fetchmany(1)
        return rows[0] if rows else None

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        size = self.arraysize if size is None else size
        if len(self._rows) < size and self._cursor is not None:
            self._rows += await self._fetch_more(max(size - len(self._rows), FIRST_CHUNK))
        taken, self._rows = self._rows[:size], self._rows[size:]
        return taken

    async def fetchall(self) -> Sequence[Any]:
        rows, self._rows = self._rows, []
        if self._cursor is not None:
            cursor, self._cursor = self._cursor, None

            def rest() -> list[Any]:
                try:
                    return cursor.fetchall()
                finally:
                    cursor.close()

            rows += await self._run(rest)
        return rows

    async def _fetch_more(self, size: int) -> list[Any]:
        cursor = self._cursor
        assert cursor is not None

        def more() -> list[Any]:
            rows = cursor.fetchmany(size)
            if len(rows) < size:
                cursor.close()
            return rows

        rows: list[Any] = await self._run(more)
        if len(rows) < size:
            self._cursor = None
        return rows

    async def close(self) -> None:
        self._rows = []
        await self._close_open_cursor()

    async def _close_open_cursor(self) -> None:
        cursor, self._cursor = self._cursor, None
        if cursor is not None:
            await self._run(cursor.close)


class OneTripConnection(aiosqlite.Connection):
    """An aiosqlite connection whose cursors make one thread trip per statement, or none inside
    a write transaction (``inline_in_transaction``). What may wait for a lock or read the disk
    stays on the thread: a BEGIN that finds another process's write lock, a read snapshot
    (deferred BEGIN), an ``offload`` block, statements outside a transaction, ROLLBACK, and every
    BEGIN and COMMIT of a connection whose unit of work is not the process's ``sole_writer``."""

    inline_in_transaction = False
    write_transaction = False  # the current transaction began with BEGIN IMMEDIATE
    # ``offload()``: every statement on the thread, even inside a transaction (the daily job's
    # sweeps: one statement over every action would hold the event loop).
    offloaded = False

    # Set by ``storage.transaction`` while this connection's unit of work holds the process's
    # writer lock: no other unit of work of this process can hold SQLite's write lock, so
    # BEGIN IMMEDIATE finds it free unless another process (a ``formabot`` command) holds it.
    sole_writer = False
    CHECKPOINT_EVERY = 256  # inline commits between two checkpoints (see ``commit``)
    _busy_ms: int | None = None
    _commits = 0

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        return OneTripCursor(self)

    def _may_run_inline(self) -> bool:
        return self.inline_in_transaction and self.sole_writer and not self.offloaded

    def try_begin_inline(self, begin: str) -> bool:
        """``begin`` (BEGIN IMMEDIATE) on the event loop's thread, without waiting: two trips to
        the driver's thread (and the interpreter's lock passed back and forth) saved per unit of
        work. False, nothing begun, when this connection may not run inline or another process
        holds the write lock: the caller begins on the thread, waiting in the busy timeout."""
        sqlite = self._connection
        if sqlite is None or sqlite.in_transaction or not self._may_run_inline():
            return False
        if self._busy_ms is None:
            self._busy_ms = int(_pragma(sqlite, "busy_timeout")[0][0])
        _pragma(sqlite, "busy_timeout=0")
        try:
            sqlite.execute(begin)
        except sqlite3.OperationalError as error:
            if getattr(error, "sqlite_errorcode", None) not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise
            return False
        finally:
            _pragma(sqlite, f"busy_timeout={self._busy_ms}")
        return True

    async def commit(self) -> None:
        """COMMIT of a write transaction begun inline runs inline too: in WAL mode it appends the
        transaction's pages to the log, no fsync (synchronous=NORMAL), no waiting for a lock.
        What could take long is the checkpoint SQLite runs at a commit once the log is over 1 000
        pages: on these connections it is off (``wal_autocheckpoint=0``), and one PASSIVE
        checkpoint (it waits for nobody) runs on the driver's thread every ``CHECKPOINT_EVERY``
        inline commits."""
        sqlite = self._connection
        if sqlite is None or not (self._may_run_inline() and self.holds_transaction()):
            await super().commit()
            return
        if self._commits == 0:
            _pragma(sqlite, "wal_autocheckpoint=0")
        sqlite.commit()
        self._commits += 1
        if self._commits % self.CHECKPOINT_EVERY == 0:
            await self._execute(_pragma, sqlite, "wal_checkpoint(PASSIVE)")

    def holds_transaction(self) -> bool:
        """In a write transaction (BEGIN IMMEDIATE): statements may run inline."""
        sqlite = self._connection
        return sqlite is not None and sqlite.in_transaction and self.write_transaction

    def run_inline(self, sql: str, parameters: Sequence[Any]) -> tuple[list[Any], int]:
        """One statement on the event loop's thread, inside a transaction only (see above): its
        rows (all of them: for the small results of ``storage.hot_statements``) and rowcount."""
        if not (self.inline_in_transaction and self.holds_transaction()):
            raise RuntimeError("inline statements run inside a BEGIN IMMEDIATE transaction only")
        cursor = self._conn.execute(sql, parameters)
        try:
            return cursor.fetchall(), cursor.rowcount
        finally:
            cursor.close()


def _pragma(sqlite: sqlite3.Connection, pragma: str) -> list[Any]:
    """``PRAGMA pragma``, its rows read and its statement closed (a statement left open would
    refuse the COMMIT: « SQL statements in progress »)."""
    cursor = sqlite.execute(f"PRAGMA {pragma}")
    try:
        return cursor.fetchall()
    finally:
        cursor.close()


def connect(database: str, **kwargs: Any) -> OneTripConnection:
    """Like ``aiosqlite.connect``: awaiting the result opens the connection on its thread."""

    def connector() -> sqlite3.Connection:
        return sqlite3.connect(database, **kwargs)

    connection = OneTripConnection(connector, 64)
    # Inline statements run on the event loop's thread: sqlite3 must allow it.
    connection.inline_in_transaction = kwargs.get("check_same_thread", True) is False
    # As SQLAlchemy does for aiosqlite: a connection never closed must not keep the process alive.
    connection._thread.daemon = True
    return connection


@contextmanager
def offload(connection: AsyncConnection) -> Iterator[None]:
    """Statements run inside the block go to the driver's thread, never inline: for the heavy
    statements of a unit of work (the daily job's archive sweep, reminders and pruning)."""
    sync = connection.sync_connection
    driver = sync.connection.driver_connection if sync is not None else None
    if not isinstance(driver, OneTripConnection) or driver.offloaded:
        yield
        return
    driver.offloaded = True
    try:
        yield
    finally:
        driver.offloaded = False
