"""The outbox: notifications queued at commit, claimed and marked by the delivery."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update

from domain.ports import OutboxMessage
from storage.repositories.base import Repository, chunks, upsert_ignore
from storage.tables import outbox

OUTBOX_LEASE = timedelta(minutes=2)


class SqlOutboxRepository(Repository):
    async def enqueue(
        self, kind: str, chat_id: int, payload: dict[str, Any], idempotency_key: str
    ) -> bool:
        now = self._now()
        stmt = (
            upsert_ignore(self._conn, outbox, ("idempotency_key",))
            .values(
                kind=kind,
                chat_id=chat_id,
                payload=payload,
                idempotency_key=idempotency_key,
                status="pending",
                attempts=0,
                created_at=now,
                next_attempt_at=now,
            )
            .returning(outbox.c.id)
        )
        return (await self._conn.execute(stmt)).first() is not None

    async def enqueue_many(self, rows: Sequence[dict[str, Any]]) -> int:
        """Queue messages (dicts with kind, chat_id, payload, idempotency_key); returns how many
        were new."""
        now = self._now()
        added = 0
        # One statement given many rows (SQLAlchemy batches them into multi-row INSERTs itself):
        # compiled once and cached, where ``.values([...])`` was compiled again for every call.
        stmt = upsert_ignore(self._conn, outbox, ("idempotency_key",)).returning(outbox.c.id)
        for chunk in chunks(list(rows), 200):
            values = [
                {**row, "status": "pending", "attempts": 0, "created_at": now,
                 "next_attempt_at": now}
                for row in chunk
            ]
            result = await self._conn.execute(stmt, values)
            added += len(result.all())
        return added

    async def claim(
        self, batch: int, now: datetime, lease: timedelta = OUTBOX_LEASE
    ) -> list[OutboxMessage]:
        """Take up to ``batch`` due messages, oldest first, and lease them until ``now + lease``.

        PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so concurrent claimers get distinct rows; SQLite:
        the unit of work holds the write lock. The lease lets the caller commit before sending:
        a message neither marked sent nor failed is claimed again once the lease is over.
        """
        stmt = (
            select(outbox.c.id, outbox.c.kind, outbox.c.chat_id, outbox.c.payload,
                   outbox.c.attempts)
            .where(outbox.c.status.in_(("pending", "failed")), outbox.c.next_attempt_at <= now)
            .order_by(outbox.c.next_attempt_at, outbox.c.id)
            .limit(batch)
        )
        if self._conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        rows = (await self._conn.execute(stmt)).all()
        if not rows:
            return []
        await self._conn.execute(
            update(outbox)
            .where(outbox.c.id.in_([r.id for r in rows]))
            .values(attempts=outbox.c.attempts + 1, next_attempt_at=now + lease)
        )
        return [
            OutboxMessage(id=r.id, kind=r.kind, chat_id=r.chat_id, payload=dict(r.payload),
                          attempts=r.attempts + 1)
            for r in rows
        ]

    async def mark_sent(self, message_id: int, now: datetime) -> None:
        await self._conn.execute(
            update(outbox).where(outbox.c.id == message_id)
            .values(status="sent", sent_at=now, last_error=None)
        )

    async def mark_failed(self, message_id: int, error: str, retry_at: datetime) -> None:
        await self._conn.execute(
            update(outbox).where(outbox.c.id == message_id)
            .values(status="failed", next_attempt_at=retry_at, last_error=error[:2000])
        )

    async def mark_dead(self, message_id: int, error: str) -> None:
        await self._conn.execute(
            update(outbox).where(outbox.c.id == message_id)
            .values(status="dead", last_error=error[:2000])
        )

    async def count(self, status: str | None = None) -> int:
        stmt = select(func.count()).select_from(outbox)
        if status is not None:
            stmt = stmt.where(outbox.c.status == status)
        return (await self._conn.execute(stmt)).scalar_one()

    async def mark_sent_many(self, message_ids: Sequence[int], now: datetime) -> None:
        """``mark_sent`` for many rows, one statement per chunk."""
        for chunk in chunks(list(message_ids)):
            await self._conn.execute(
                update(outbox).where(outbox.c.id.in_(list(chunk)))
                .values(status="sent", sent_at=now, last_error=None)
            )

    async def set_next_attempt(self, message_ids: Sequence[int], at: datetime) -> None:
        """Move the lease of rows still waiting (pending/failed) to ``at``: renew it, or release it."""
        for chunk in chunks(list(message_ids)):
            await self._conn.execute(
                update(outbox)
                .where(outbox.c.id.in_(list(chunk)), outbox.c.status.in_(("pending", "failed")))
                .values(next_attempt_at=at)
            )

    async def forget_chat(self, chat_id: int) -> int:
        """Delete every notification addressed to ``chat_id``, sent or not; how many."""
        result = await self._conn.execute(delete(outbox).where(outbox.c.chat_id == chat_id))
        return result.rowcount
