"""The actions' set-based operations of the daily job: one statement each, whatever the number
of actions (a repository module: the archive sweep is a write of the actions aggregate).

Each takes an ``AsyncConnection`` or ``AsyncSession`` inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from domain.archiving import reminder_level
from domain.events import EventKind
from domain.models import Status
from domain.ports import DueReminder
from storage.tables import actions, audit

Executor = AsyncConnection | AsyncSession


@dataclass(frozen=True, slots=True)
class ArchivedAction:
    id: int
    organisation_id: int


ReminderDue = DueReminder  # the port's type (``domain.ports``)


async def archive_sweep_rows(
    conn: Executor, today: date, now: datetime | None = None, limit: int | None = None
) -> list[ArchivedAction]:
    """Archive every published action whose archiving date has come (at most ``limit``, lowest
    ids first); returns them.

    One ``UPDATE … WHERE status = 'published' AND archive_on <= today RETURNING``; the version is
    bumped so that a concurrent save based on the published version is refused.
    """
    due = (actions.c.status == Status.PUBLISHED.value, actions.c.archive_on <= today)
    if limit is not None:
        first = select(actions.c.id).where(*due).order_by(actions.c.id).limit(limit)
        due = (actions.c.id.in_(first.scalar_subquery()), *due)
    stmt = (
        update(actions)
        .where(*due)
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
    conn: Executor, today: date, days: Sequence[int], limit: int | None = None
) -> list[ReminderDue]:
    """The reminders due on ``today`` and not told yet: for each published action archived within
    ``max(days)`` days, the level whose window holds the days left (``domain.archiving.
    reminder_level``), unless that level or a closer one was already told for that archiving date.

    "Told" is read from the audit trail (one ``reminder`` row per reminder queued, with ``level``
    and ``archive_on`` in its details; rows of older versions carry only ``days``, which was the
    level). So a reminder missed on its exact day is sent the next days, once, with the real number
    of days; after a long outage only the closest level is sent. ``limit``: the first ones by
    action id (the next call, once these are told, gives the next ones).
    """
    levels = sorted({d for d in days if d > 0})
    if not levels:
        return []
    stmt = (
        select(actions.c.id, actions.c.organisation_id, actions.c.archive_on)
        .where(
            actions.c.status == Status.PUBLISHED.value,
            actions.c.archive_on > today,
            actions.c.archive_on <= today + timedelta(days=levels[-1]),
        )
        .order_by(actions.c.id)
    )
    candidates: list[ReminderDue] = []
    for r in await conn.execute(stmt):
        remaining = (r.archive_on - today).days
        level = reminder_level(remaining, levels)
        if level is not None:
            candidates.append(ReminderDue(
                action_id=r.id, organisation_id=r.organisation_id, days=remaining,
                archive_on=r.archive_on, level=level,
            ))
    told = await reminders_told(conn, [c.action_id for c in candidates])
    due = [
        c for c in candidates
        if not any(lvl <= c.level for lvl in told.get((c.action_id, c.archive_on), ()))
    ]
    return due if limit is None else due[:limit]


async def reminders_told(
    conn: Executor, action_ids: Sequence[int]
) -> dict[tuple[int, date], set[int]]:
    """(action id, archiving date) → the reminder levels already told, from the audit trail."""
    told: dict[tuple[int, date], set[int]] = {}
    ids = list(action_ids)
    for start in range(0, len(ids), 500):
        stmt = select(audit.c.action_id, audit.c.details).where(
            audit.c.kind == EventKind.REMINDER.value, audit.c.action_id.in_(ids[start:start + 500])
        )
        for row in await conn.execute(stmt):
            details = row.details or {}
            try:
                level = int(details.get("level") or details["days"])
                archive_on = date.fromisoformat(details["archive_on"])
            except (KeyError, TypeError, ValueError):
                continue
            told.setdefault((row.action_id, archive_on), set()).add(level)
    return told


async def counts_by_status(conn: Executor, organisation_id: int) -> dict[Status, int]:
    """How many actions the organisation has in each status (statuses with none are absent)."""
    stmt = (
        select(actions.c.status, func.count())
        .where(actions.c.organisation_id == organisation_id)
        .group_by(actions.c.status)
    )
    result = await conn.execute(stmt)
    return {Status(status): count for status, count in result.all()}
