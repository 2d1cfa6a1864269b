"""The archiving policy: public or not, archiving date, reminders, visibility, Ofaa export."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.archiving import (
    add_months,
    archive_date,
    in_ofaa_export,
    is_public,
    last_public_day,
    reminder_level,
    reminders_due,
    visible_to_organisation,
)
from domain.funders import Funder
from domain.models import Action, Status
from tests.factories import make_session, make_valid_action

D = date


def fixed(*sessions: tuple[date | None, date | None], **overrides: object) -> Action:
    return make_valid_action(
        Funder.POLE_EMPLOI,
        sessions=[make_session(debut, fin) for debut, fin in sessions],
        **overrides,
    )


def permanent(*sessions: tuple[date | None, date | None]) -> Action:
    return fixed(*sessions, entrees_sorties="1")


def modular(*sessions: tuple[date | None, date | None]) -> Action:
    return fixed(*sessions, parcours="3")


# Fixed entry dates ---------------------------------------------------------------------------


def test_fixed_public_while_a_session_has_not_started() -> None:
    action = fixed((D(2027, 3, 15), D(2027, 6, 30)), (D(2027, 9, 13), D(2027, 12, 17)))
    assert is_public(action, D(2027, 3, 14))
    assert is_public(action, D(2027, 3, 15))  # the second session is still to come
    assert is_public(action, D(2027, 9, 12))
    assert not is_public(action, D(2027, 9, 13))  # starting today means started
    assert not is_public(action, D(2027, 10, 1))
    assert archive_date(action) == D(2027, 9, 13)


def test_fixed_ignores_the_end_dates() -> None:
    action = fixed((D(2027, 3, 15), D(2029, 6, 30)))
    assert not is_public(action, D(2027, 3, 15))
    assert archive_date(action) == D(2027, 3, 15)


def test_fixed_with_session_order_not_chronological() -> None:
    action = fixed((D(2027, 9, 13), D(2027, 12, 17)), (D(2027, 3, 15), D(2027, 6, 30)))
    assert archive_date(action) == D(2027, 9, 13)
    assert is_public(action, D(2027, 5, 1))


# Permanent entries and modular parcours ------------------------------------------------------


@pytest.mark.parametrize("make", [permanent, modular], ids=["permanent", "modular"])
def test_started_action_public_until_its_last_session_ends(make: Callable[..., Action]) -> None:
    action = make((D(2027, 3, 15), D(2027, 6, 30)), (D(2027, 1, 10), D(2027, 12, 17)))
    assert action.is_permanent_or_modular
    assert is_public(action, D(2027, 3, 16))  # started: still public
    assert is_public(action, D(2027, 12, 17))  # the last day of training
    assert not is_public(action, D(2027, 12, 18))
    assert archive_date(action) == D(2027, 12, 18)


def test_fixed_and_permanent_differ_on_a_started_action() -> None:
    dates = (D(2027, 3, 15), D(2027, 6, 30))
    today = D(2027, 4, 1)
    assert not is_public(fixed(dates), today)
    assert is_public(permanent(dates), today)
    assert is_public(modular(dates), today)


def test_sessions_without_dates_are_ignored() -> None:
    assert archive_date(fixed()) is None
    assert not is_public(fixed(), D(2027, 1, 1))
    assert archive_date(fixed((None, None))) is None
    assert archive_date(permanent((D(2027, 3, 1), None))) is None
    assert not is_public(permanent((D(2027, 3, 1), None)), D(2027, 1, 1))
    action = fixed((None, None), (D(2027, 3, 15), D(2027, 6, 30)))
    assert archive_date(action) == D(2027, 3, 15)


days = st.dates(min_value=D(2026, 1, 1), max_value=D(2030, 12, 31))


@settings(max_examples=150)
@given(
    sessions=st.lists(st.tuples(days, st.integers(0, 400)), min_size=0, max_size=4),
    today=days,
    kind=st.sampled_from(["fixed", "permanent", "modular"]),
)
def test_public_exactly_before_the_archive_date(
    sessions: list[tuple[date, int]], today: date, kind: str
) -> None:
    make = {"fixed": fixed, "permanent": permanent, "modular": modular}[kind]
    action = make(*[(start, start + timedelta(days=length)) for start, length in sessions])
    end = archive_date(action)
    assert is_public(action, today) == (end is not None and today < end)
    if end is not None:
        assert not is_public(action, end)
        assert is_public(action, end - timedelta(days=1))
        assert is_public(action, last_public_day(end))


# The edge days, as the bot says them (« publique jusqu'au X inclus, archivage automatique le Y ») --


def test_edge_fixed_entry_the_last_start_day_is_not_public() -> None:
    """Choice (RULES.md): a session starting today has started; the last public day is the eve
    of the last session's start, the archiving day is that start."""
    action = fixed((D(2027, 3, 15), D(2027, 6, 30)), (D(2027, 9, 13), D(2027, 12, 17)))
    assert archive_date(action) == D(2027, 9, 13)
    assert last_public_day(D(2027, 9, 13)) == D(2027, 9, 12)
    assert is_public(action, D(2027, 9, 12))
    assert not is_public(action, D(2027, 9, 13))


@pytest.mark.parametrize("make", [permanent, modular], ids=["permanent", "modular"])
def test_edge_permanent_or_modular_the_end_day_itself_is_public(make: Callable[..., Action]) -> None:
    """Choice (RULES.md: « public while the last session has not ended (end ≥ today) »): the last
    day of training is public; the action is archived the day after."""
    action = make((D(2027, 1, 10), D(2027, 12, 17)), (D(2027, 3, 15), D(2027, 6, 30)))
    end = archive_date(action)
    assert end == D(2027, 12, 18)
    assert last_public_day(end) == D(2027, 12, 17)
    assert is_public(action, D(2027, 12, 17))
    assert not is_public(action, D(2027, 12, 18))
    assert reminders_due(action, D(2027, 12, 17), [1]) == [1]  # « demain, le 18/12/2027 »


@pytest.mark.parametrize("make", [fixed, permanent, modular], ids=["fixed", "permanent", "modular"])
def test_edge_a_one_day_session(make: Callable[..., Action]) -> None:
    """A session of one day (start = end): fixed entry, public until its eve; permanent or
    modular, public on that day too."""
    action = make((D(2027, 5, 3), D(2027, 5, 3)))
    public_on_the_day = make is not fixed
    assert is_public(action, D(2027, 5, 2))
    assert is_public(action, D(2027, 5, 3)) is public_on_the_day
    assert not is_public(action, D(2027, 5, 4))
    assert last_public_day(archive_date(action) or D.min) == (D(2027, 5, 3) if public_on_the_day else D(2027, 5, 2))


# Reminders -----------------------------------------------------------------------------------


def test_reminders_30_7_1() -> None:
    action = fixed((D(2027, 3, 15), D(2027, 6, 30)))
    end = D(2027, 3, 15)
    assert reminders_due(action, end - timedelta(days=30), [30, 7, 1]) == [30]
    assert reminders_due(action, end - timedelta(days=7), [30, 7, 1]) == [7]
    assert reminders_due(action, end - timedelta(days=1), [30, 7, 1]) == [1]
    assert reminders_due(action, end - timedelta(days=2), [30, 7, 1]) == []
    assert reminders_due(action, end, [30, 7, 1]) == []
    assert reminders_due(action, end + timedelta(days=1), [30, 7, 1]) == []


def test_each_reminder_falls_due_once_over_the_days() -> None:
    action = permanent((D(2027, 3, 15), D(2027, 6, 30)))
    end = archive_date(action)
    assert end == D(2027, 7, 1)
    fired: list[int] = []
    day = end - timedelta(days=60)
    while day <= end + timedelta(days=5):
        fired += reminders_due(action, day, (30, 7, 1, 7))
        day += timedelta(days=1)
    assert sorted(fired) == [1, 7, 30]


def test_no_reminder_without_dates() -> None:
    assert reminders_due(fixed(), D(2027, 1, 1), [30, 7, 1]) == []


# Visibility and Ofaa export ------------------------------------------------------------------


def archived(on: date | None) -> Action:
    return fixed((D(2026, 3, 1), D(2026, 6, 30)), status=Status.ARCHIVED, archived_on=on)


@pytest.mark.parametrize(
    ("archived_on", "today", "visible"),
    [
        (D(2027, 3, 1), D(2027, 3, 1), True),
        (D(2027, 3, 1), D(2028, 2, 29), True),
        (D(2027, 3, 1), D(2028, 3, 1), False),  # one year to the day
        (D(2028, 2, 29), D(2029, 2, 27), True),
        (D(2028, 2, 29), D(2029, 2, 28), False),  # 29/02 + 1 year clamps to 28/02
        (D(2027, 12, 31), D(2028, 12, 30), True),
        (D(2027, 12, 31), D(2028, 12, 31), False),
    ],
)
def test_archived_visible_for_one_year(archived_on: date, today: date, visible: bool) -> None:
    assert visible_to_organisation(archived(archived_on), today) is visible


@pytest.mark.parametrize("status", [s for s in Status if s is not Status.ARCHIVED])
def test_other_statuses_always_visible(status: Status) -> None:
    action = fixed((D(2020, 3, 1), D(2020, 6, 30)), status=status)
    assert visible_to_organisation(action, D(2030, 1, 1))


def test_archived_without_date_is_visible() -> None:
    assert visible_to_organisation(archived(None), D(2030, 1, 1))


@pytest.mark.parametrize(
    ("today", "exported"),
    [
        (D(2027, 2, 28), True),
        (D(2027, 3, 1), True),
        (D(2027, 3, 30), True),  # 29 days after archiving
        (D(2027, 3, 31), False),  # 30 days after archiving
        (D(2028, 1, 1), False),
    ],
)
def test_archived_in_ofaa_export_for_30_days(today: date, exported: bool) -> None:
    assert in_ofaa_export(archived(D(2027, 3, 1)), today) is exported


def test_published_in_ofaa_export_while_public() -> None:
    action = fixed((D(2027, 3, 15), D(2027, 6, 30)), status=Status.PUBLISHED)
    assert in_ofaa_export(action, D(2027, 3, 14))
    assert not in_ofaa_export(action, D(2027, 3, 15))


@pytest.mark.parametrize(
    "status", [Status.DRAFT, Status.SUBMITTED, Status.APPROVED, Status.REFUSED, Status.RETURNED]
)
def test_unpublished_never_exported(status: Status) -> None:
    action = fixed((D(2027, 3, 15), D(2027, 6, 30)), status=status)
    assert not in_ofaa_export(action, D(2027, 1, 1))


def test_archived_without_date_not_exported() -> None:
    assert not in_ofaa_export(archived(None), D(2027, 1, 1))


# Month arithmetic ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2027, 8, 31), 18, D(2029, 2, 28)),
        (D(2026, 8, 31), 18, D(2028, 2, 29)),
        (D(2028, 2, 29), 12, D(2029, 2, 28)),
        (D(2028, 2, 29), 18, D(2029, 8, 29)),
        (D(2027, 3, 15), 18, D(2028, 9, 15)),
        (D(2027, 12, 31), 1, D(2028, 1, 31)),
        (D(2027, 1, 31), 1, D(2027, 2, 28)),
        (D(2027, 7, 1), 18, D(2029, 1, 1)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


@settings(max_examples=200)
@given(start=st.dates(min_value=D(1900, 1, 1), max_value=D(9000, 12, 31)), months=st.integers(0, 60))
def test_add_months_keeps_the_day_or_clamps_to_month_end(start: date, months: int) -> None:
    result = add_months(start, months)
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == months
    last = calendar.monthrange(result.year, result.month)[1]
    assert result.day == min(start.day, last)


def test_reminder_level_windows() -> None:
    """Issue 13, finding 16: a level is due from its day until the next level's day."""
    levels = [30, 7, 1]
    expected = {31: None, 30: 30, 27: 30, 8: 30, 7: 7, 2: 7, 1: 1, 0: None, -3: None}
    assert {left: reminder_level(left, levels) for left in expected} == expected
    assert reminder_level(5, []) is None
    assert reminder_level(5, [7, 7, 30]) == 7
