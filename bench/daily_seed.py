"""A database for the daily job's benchmark: ``count`` published actions with 2–3 sessions each.

    await seed_daily_actions("sqlite+aiosqlite:////tmp/x.db", 100_000, today=date(2026, 12, 1))

The actions and their 500 organisations are ``bench/lheo_export.py``'s (complete fiches, texts of
realistic lengths: every action exports); they are stored as the repositories store them
(``storage.mapping``'s rows) but inserted in batches, straight into the tables. Relative to
``today``, one action in 100 is past its archiving date (the sweep archives it) and one in 100 is
due for a reminder, so that every step of the job has work.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import lheo_export
from sqlalchemy import insert

from domain.models import Action
from storage import mapping
from storage.database import create_engine, upgrade
from storage.tables import actions, organisations, sessions

BATCH = 2_000


def _shift(action: Action, days: int) -> Action:
    moved = [
        s.model_copy(update={
            "debut": s.debut + timedelta(days=days) if s.debut else None,
            "fin": s.fin + timedelta(days=days) if s.fin else None,
            "inscription_debut": s.inscription_debut + timedelta(days=days) if s.inscription_debut else None,
            "inscription_fin": s.inscription_fin + timedelta(days=days) if s.inscription_fin else None,
        })
        for s in action.sessions
    ]
    return action.model_copy(update={"sessions": moved})


def _dated(action: Action, number: int, today: date) -> Action:
    """One action in 100 archived by the sweep, one in 100 due for its 7-day reminder."""
    archive_on = mapping.compute_archive_on(action)
    if archive_on is None or number % 100 > 1:
        return action
    target = today - timedelta(days=3) if number % 100 == 0 else today + timedelta(days=5)
    return _shift(action, (target - archive_on).days)


def _batches(count: int, today: date) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    action_rows: list[dict[str, Any]] = []
    session_rows: list[dict[str, Any]] = []
    for number, (action, _) in enumerate(lheo_export.actions(count), start=1):
        action = _dated(action, number, today)
        action_rows.append(mapping.action_values(action))
        session_rows += [mapping.session_values(s, action.id, i) for i, s in enumerate(action.sessions)]
        if len(action_rows) >= BATCH:
            yield action_rows, session_rows
            action_rows, session_rows = [], []
    if action_rows:
        yield action_rows, session_rows


async def seed_daily_actions(database_url: str, count: int, *, today: date) -> None:
    """Migrate ``database_url`` and store ``count`` published actions (see the module)."""
    engine = create_engine(database_url)
    await upgrade(engine)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(organisations), [
                {**mapping.organisation_values(lheo_export.organisation(n)),
                 "created_at": lheo_export.NOW, "updated_at": lheo_export.NOW}
                for n in range(1, lheo_export.ORGANISATIONS + 1)
            ])
            for action_rows, session_rows in _batches(count, today):
                await conn.execute(insert(actions), action_rows)
                await conn.execute(insert(sessions), session_rows)
    finally:
        await engine.dispose()
