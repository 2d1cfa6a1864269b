"""What every repository shares: its transaction, chunked ``IN (…)`` lists, dialect inserts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.transaction import Transaction

# Lists of ids go to ``IN (…)`` in chunks (SQLite's limit on bound parameters).
CHUNK = 500


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def upsert_ignore(conn: AsyncConnection | Dialect, table: Table, conflict: Sequence[str]) -> Any:
    """``INSERT … ON CONFLICT (conflict) DO NOTHING`` for the connection's (or a) dialect."""
    dialect = conn.dialect if isinstance(conn, AsyncConnection) else conn
    dialect_insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
    return dialect_insert(table).on_conflict_do_nothing(index_elements=list(conflict))


def dialect_insert(conn: AsyncConnection, table: Table) -> Any:
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


class Repository:
    """A repository works in one transaction (``storage.transaction``), never on the unit of work."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    @property
    def _conn(self) -> AsyncConnection:
        return self._tx.connection

    def _now(self) -> datetime:
        return self._tx.clock.now()
