"""Job runs (the day each periodic job last ran) and processed updates (Telegram's redeliveries)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from storage.hot_statements import HotStatement
from storage.repositories.base import Repository, dialect_insert
from storage.tables import job_runs, processed_updates


class SqlJobRunRepository(Repository):
    async def last_run(self, name: str) -> date | None:
        return (
            await self._conn.execute(select(job_runs.c.last_run).where(job_runs.c.name == name))
        ).scalar()

    async def record_run(self, name: str, day: date) -> None:
        now = self._now()
        stmt = dialect_insert(self._conn, job_runs).values(name=name, last_run=day, updated_at=now)
        stmt = stmt.on_conflict_do_update(
            index_elements=["name"], set_={"last_run": day, "updated_at": now}
        )
        await self._conn.execute(stmt)


# A stored id counts as a duplicate only while it is recent: Telegram redelivers within 24 hours,
# and after a week without updates it may restart its ids at random, in the stored range. An id
# stored before ``p_since`` is taken as a new update (its row gets the new time). Dedup is by
# exact id, never by "at most the highest id seen".
UPDATE_ID_WINDOW = timedelta(days=7)


def _mark_update(dialect: Any) -> Any:
    insert = (postgresql.insert if dialect.name == "postgresql" else sqlite.insert)(processed_updates)
    return (
        insert.values(update_id=bindparam("p_update_id"), processed_at=bindparam("p_now"))
        .on_conflict_do_update(
            index_elements=[processed_updates.c.update_id],
            set_={"processed_at": insert.excluded.processed_at},
            where=processed_updates.c.processed_at < bindparam("p_since"),
        )
        .returning(processed_updates.c.update_id)
    )


MARK_UPDATE = HotStatement(_mark_update)


class SqlProcessedUpdateRepository(Repository):
    """The Telegram update ids already handled (a redelivery changes nothing)."""

    async def is_processed(self, update_id: int) -> bool:
        found = await self._conn.execute(
            select(processed_updates.c.update_id).where(
                processed_updates.c.update_id == update_id
            )
        )
        return found.first() is not None

    async def mark(self, update_id: int) -> bool:
        """Record the update id; False if it was already, less than ``UPDATE_ID_WINDOW`` ago (a
        redelivery: change nothing). An older row is an id Telegram chose again: a new update."""
        now = self._now()
        found = await self._tx.hot(
            MARK_UPDATE,
            {"p_update_id": update_id, "p_now": now, "p_since": now - UPDATE_ID_WINDOW},
        )
        return found.first() is not None

    async def prune(self, before: datetime) -> int:
        """Delete the ids recorded before ``before`` (the daily job); how many."""
        result = await self._conn.execute(
            delete(processed_updates).where(processed_updates.c.processed_at < before)
        )
        return int(result.rowcount or 0)
