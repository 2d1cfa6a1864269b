"""The statements every update runs, straight on SQLite's driver inside a unit of work.

Each update marks its id as processed, reads the chat's conversation and the user's links, and
writes the conversation back. Through SQLAlchemy's execution machinery (greenlet, execution
context, result) each costs the event loop many times SQLite's own work (figures:
``bench/README.md``). On SQLite, inside the unit of work's transaction (BEGIN IMMEDIATE: the
connection holds the write lock, see ``storage.sqlite_driver``), they run here instead:

- the SQL is the string SQLAlchemy compiles for the dialect, once;
- parameters and results go through the type processors SQLAlchemy would apply (JSON, UTC
  timestamps…), so what is stored and read back is the same either way;
- driver errors are raised as SQLAlchemy raises them (``OperationalError``, ``IntegrityError``…).

Elsewhere (PostgreSQL, ``FORMABOT_FAST_PATHS`` off, or a driver that cannot run inline) the same
statement goes through SQLAlchemy as usual. Tests run both paths on SQLite and compare them.
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable

from storage.sqlite_driver import OneTripConnection

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class HotResult:
    rows: Sequence[Any]  # tuples with attribute access (``row.version``), as SQLAlchemy's rows
    rowcount: int

    def first(self) -> Any:
        return self.rows[0] if self.rows else None


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # the bind parameters, in the order of the ``?`` placeholders
    binds: tuple[Processor, ...]
    results: tuple[Processor, ...]
    row: Any  # the namedtuple class of a result row

    def run(self, driver: OneTripConnection, params: Mapping[str, Any]) -> HotResult:
        values = tuple(
            params[name] if process is None else process(params[name])
            for name, process in zip(self.names, self.binds, strict=True)
        )
        try:
            rows, rowcount = driver.run_inline(self.sql, values)
        except sqlite3.Error as error:
            raise DBAPIError.instance(self.sql, values, error, sqlite3.Error) from error
        make, results = self.row._make, self.results
        converted = [
            make(v if p is None else p(v) for p, v in zip(results, raw, strict=True)) for raw in rows
        ]
        return HotResult(converted, rowcount)


class HotStatement:
    """A statement built once per dialect (``build``), compiled once for the direct path."""

    def __init__(self, build: Callable[[Dialect], Executable]) -> None:
        self._build = build
        self._statements: dict[str, Executable] = {}
        self._compiled: dict[str, _Compiled] = {}

    def statement(self, dialect: Dialect) -> Executable:
        stmt = self._statements.get(dialect.name)
        if stmt is None:
            stmt = self._statements[dialect.name] = self._build(dialect)
        return stmt

    def compiled(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = _compile(self.statement(dialect), dialect)
        return compiled


def _compile(stmt: Any, dialect: Dialect) -> _Compiled:  # a Select, Insert or Update
    compiled: Any = stmt.compile(dialect=dialect)
    if not compiled.positional:
        raise ValueError(f"{dialect.name}: the direct path needs positional parameters")
    names = tuple(compiled.positiontup or ())
    binds = tuple(compiled.binds[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names)
    columns = list(getattr(stmt, "exported_columns", None) or [])
    results = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns)
    row = namedtuple("row", [c.key for c in columns], rename=True)  # type: ignore[misc]
    return _Compiled(compiled.string, names, binds, results, row)


def inline_driver(connection: AsyncConnection) -> OneTripConnection | None:
    """The SQLite driver connection under ``connection`` when it can run statements inline."""
    if connection.dialect.name != "sqlite":
        return None
    driver = connection.sync_connection.connection.driver_connection if connection.sync_connection else None
    if isinstance(driver, OneTripConnection) and driver.inline_in_transaction:
        return driver
    return None


async def run(
    connection: AsyncConnection,
    driver: OneTripConnection | None,
    hot: HotStatement,
    params: Mapping[str, Any],
) -> HotResult:
    """``hot`` with ``params``: on ``driver`` inline when there is one, through SQLAlchemy if not."""
    if driver is not None:
        if not connection.in_transaction():
            await connection.begin()  # SQLAlchemy's transaction (BEGIN IMMEDIATE), committed by it
        if driver.holds_transaction() and not driver.offloaded:
            return hot.compiled(connection.dialect).run(driver, params)
    result = await connection.execute(hot.statement(connection.dialect), dict(params))
    rows = list(result.all()) if result.returns_rows else []
    return HotResult(rows, result.rowcount)
