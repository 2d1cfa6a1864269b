"""Which actions stay public, when they are archived, and how long they stay visible afterwards.

The policy (``RULES.md``, guide « L'archivage automatique »), with its exact boundaries. The storage
layer implements the same policy in SQL; a test compares both, so any change here must be made there.

Only sessions whose date is known count; a session without ``debut`` (or ``fin``) is ignored.

- **Fixed entry dates** (``entrees_sorties`` is not « permanentes » and ``parcours`` is not
  « modularisé »): public on ``today`` iff some session has ``debut > today`` (a session starting
  today has started). The archiving date is the latest ``debut``: on that day no session is to come.
- **Permanent entries/exits or modular parcours** (``Action.is_permanent_or_modular``): public on
  ``today`` iff the latest ``fin >= today`` (the last day of training is still public). The archiving
  date is the latest ``fin`` + 1 day.
- Hence, for every action and day: ``is_public(a, d)`` ⇔ ``archive_date(a) is not None and
  d < archive_date(a)``.
- **Reminders**: a reminder of ``n`` days is due on the day ``archive_date - today == n`` days.
- **Visibility to the organisation**: an archived action stays visible while ``today <
  add_months(archived_on, 12)`` (one year to the day, clamped to month end: archived on 29/02/2028,
  visible up to 27/02/2029 included, hidden from 28/02/2029). Actions in any other status are
  visible; an archived action without ``archived_on`` (should not happen) is treated as visible.
- **Ofaa (France Travail) export**: a published action while public, and an archived action while
  ``today - archived_on < 30 days`` (archived on 01/03 → exported through 30/03, not on 31/03).
  Actions in other statuses are never exported.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, timedelta

from domain.models import Action, Status

OFAA_GRACE_DAYS = 30
VISIBILITY_MONTHS = 12


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months, the day clamped to the end of the target month.

    31/08/2027 + 18 months → 28/02/2029 (February 2029 has 28 days); 31/08/2026 + 18 months →
    29/02/2028 (leap year); 29/02/2028 + 12 months → 28/02/2029.
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def _debuts(action: Action) -> list[date]:
    return [s.debut for s in action.sessions if s.debut is not None]


def _fins(action: Action) -> list[date]:
    return [s.fin for s in action.sessions if s.fin is not None]


def is_public(action: Action, today: date) -> bool:
    """Whether the action's dates keep it in public consultation on ``today`` (status not considered)."""
    if action.is_permanent_or_modular:
        fins = _fins(action)
        return bool(fins) and max(fins) >= today
    return any(d > today for d in _debuts(action))


def archive_date(action: Action) -> date | None:
    """The first day on which the action is no longer public; None without any session date."""
    if action.is_permanent_or_modular:
        fins = _fins(action)
        return max(fins) + timedelta(days=1) if fins else None
    debuts = _debuts(action)
    return max(debuts) if debuts else None


def last_public_day(archive_on: date) -> date:
    """The last day of public consultation of an action archived on ``archive_on``: the day
    before (``is_public(a, d)`` ⇔ ``d < archive_date(a)``). Fixed entry dates: the eve of the
    last session's start; permanent entries or modular parcours: the last session's end day."""
    return archive_on - timedelta(days=1)


def reminders_due(action: Action, today: date, reminder_days: Sequence[int]) -> list[int]:
    """The reminders (days before ``archive_date``) that fall due on ``today``, each once.

    The caller selects the published actions; this only compares dates.
    """
    end = archive_date(action)
    if end is None:
        return []
    remaining = (end - today).days
    due: list[int] = []
    for days in reminder_days:
        if days == remaining and days not in due:
            due.append(days)
    return due


def reminder_level(remaining: int, reminder_days: Sequence[int]) -> int | None:
    """The reminder due ``remaining`` days before archiving: the level (days before archiving)
    whose window holds it, from its day until the next level's day, or None.

    With levels 30, 7, 1: 30 to 8 days before → 30; 7 to 2 → 7; 1 → 1; more than 30 or the
    archiving day itself → None. Each level is told once (the caller keeps track); a reminder
    missed on its exact day (the bot was down) is still due the next days, and only the closest
    level is due, never every missed one.
    """
    if remaining <= 0:
        return None
    levels = [d for d in reminder_days if d >= remaining]
    return min(levels) if levels else None


def visible_to_organisation(action: Action, today: date) -> bool:
    """Whether the organisation still sees the action (archived less than one year ago)."""
    if action.status is not Status.ARCHIVED or action.archived_on is None:
        return True
    return today < add_months(action.archived_on, VISIBILITY_MONTHS)


def in_ofaa_export(action: Action, today: date) -> bool:
    """Whether the France Travail (Ofaa) export carries the action on ``today``."""
    if action.status is Status.PUBLISHED:
        return is_public(action, today)
    if action.status is Status.ARCHIVED and action.archived_on is not None:
        return (today - action.archived_on).days < OFAA_GRACE_DAYS
    return False
