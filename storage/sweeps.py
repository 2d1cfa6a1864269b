"""Set-based operations of the daily job: one statement each, whatever the number of actions.

Each takes an ``AsyncConnection`` or ``AsyncSession`` inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from domain.models import Status
from storage.tables import actions

Executor = AsyncConnection | AsyncSession


@dataclass(frozen=True, slots=True)
class ArchivedAction:
    id: int
    organisation_id: int


@dataclass(frozen=True, slots=True)
class ReminderDue:
    action_id: int
    organisation_id: int
    days: int
    archive_on: date


async def archive_sweep_rows(
    conn: Executor, today: date, now: datetime | None = None
) -> list[ArchivedAction]:
    """Archive every published action whose archiving date has come; returns them.

    One ``UPDATE … WHERE status = 'published' AND archive_on <= today RETURNING``; the version is
    bumped so that a concurrent save based on the published version is refused.
    """
    stmt = (
        update(actions)
        .where(actions.c.status == Status.PUBLISHED.value, actions.c.archive_on <= today)
        .values(
            status=Status.ARCHIVED.value,
            archived_on=today,
            version=actions.c.version + 1,
            updated_at=now or datetime.now(UTC),
        )
        .returning(actions.c.id, actions.c.organisation_id)
    )
    result = await conn.execute(stmt)
    rows = [ArchivedAction(id=r.id, organisation_id=r.organisation_id) for r in result]
    rows.sort(key=lambda r: r.id)
    return rows


async def archive_sweep(conn: Executor, today: date, now: datetime | None = None) -> list[int]:
    """The ids of the actions archived today (see ``archive_sweep_rows``)."""
    return [r.id for r in await archive_sweep_rows(conn, today, now)]


async def reminders_due(
    conn: Executor, today: date, days: Sequence[int]
) -> list[ReminderDue]:
    """Published actions whose archiving date is exactly ``d`` days after ``today``, for d in days."""
    targets = {today + timedelta(days=d): d for d in sorted(set(days)) if d > 0}
    if not targets:
        return []
    stmt = (
        select(actions.c.id, actions.c.organisation_id, actions.c.archive_on)
        .where(
            actions.c.status == Status.PUBLISHED.value,
            actions.c.archive_on.in_(list(targets)),
        )
        .order_by(actions.c.id)
    )
    result = await conn.execute(stmt)
    return [
        ReminderDue(
            action_id=r.id,
            organisation_id=r.organisation_id,
            days=targets[r.archive_on],
            archive_on=r.archive_on,
        )
        for r in result
    ]


async def counts_by_status(conn: Executor, organisation_id: int) -> dict[Status, int]:
    """How many actions the organisation has in each status (statuses with none are absent)."""
    stmt = (
        select(actions.c.status, func.count())
        .where(actions.c.organisation_id == organisation_id)
        .group_by(actions.c.status)
    )
    result = await conn.execute(stmt)
    return {Status(status): count for status, count in result.all()}
