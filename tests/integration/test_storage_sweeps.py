"""The archive sweep and the reminders at their boundaries (same policy as domain.archiving)."""

from __future__ import annotations

from datetime import date, timedelta

from domain import archiving
from domain.funders import Funder
from domain.models import Action, Status
from storage.repositories import action_sweeps as sweeps
from storage.uow import SqlUnitOfWorkFactory
from tests.factories import make_session, make_valid_action

LAST_DEBUT = date(2027, 9, 13)
LAST_FIN = date(2027, 12, 17)


def _actions(org: int) -> dict[str, Action]:
    sessions = [make_session(date(2027, 3, 15), date(2027, 6, 30)), make_session(LAST_DEBUT, LAST_FIN)]
    published = {"organisation_id": org, "status": Status.PUBLISHED, "sessions": sessions}
    return {
        "fixed": make_valid_action(Funder.REGION, **published),
        "permanent": make_valid_action(Funder.REGION, entrees_sorties="1", **published),
        "modular": make_valid_action(Funder.REGION, parcours="3", **published),
        "draft": make_valid_action(Funder.REGION, organisation_id=org, sessions=sessions),
        "no_session": make_valid_action(Funder.REGION, organisation_id=org, status=Status.PUBLISHED,
                                        sessions=[]),
    }


async def _store(factory: SqlUnitOfWorkFactory, org: int) -> dict[str, int]:
    ids = {}
    async with factory() as uow:
        for name, action in _actions(org).items():
            added = await uow.all_actions().add(action)
            assert added.id is not None
            ids[name] = added.id
        await uow.commit()
    return ids


async def _sweep(factory: SqlUnitOfWorkFactory, today: date) -> list[int]:
    async with factory() as uow:
        archived = await sweeps.archive_sweep(uow.connection, today)
        await uow.commit()
    return archived


async def test_archive_sweep_boundaries(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int]
) -> None:
    ids = await _store(uow_factory, org_ids[0])
    # Fixed dates: public while a session starts after today; archived the day the last one starts.
    assert await _sweep(uow_factory, LAST_DEBUT - timedelta(days=1)) == []
    assert await _sweep(uow_factory, LAST_DEBUT) == [ids["fixed"]]
    # Permanent or modular: public through the last day; archived the day after.
    assert await _sweep(uow_factory, LAST_FIN) == []
    assert await _sweep(uow_factory, LAST_FIN + timedelta(days=1)) == sorted(
        [ids["permanent"], ids["modular"]]
    )
    assert await _sweep(uow_factory, date(2030, 1, 1)) == []  # drafts, no-session and done ones stay
    async with uow_factory() as uow:
        repo = uow.actions_for_organisation(org_ids[0])
        fixed = await repo.get(ids["fixed"])
        draft = await repo.get(ids["draft"])
        no_session = await repo.get(ids["no_session"])
    assert fixed is not None and fixed.status is Status.ARCHIVED and fixed.archived_on == LAST_DEBUT
    assert fixed.version == 1
    assert draft is not None and draft.status is Status.DRAFT
    assert no_session is not None and no_session.status is Status.PUBLISHED


async def test_sweep_agrees_with_domain(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int]
) -> None:
    ids = await _store(uow_factory, org_ids[0])
    by_id = {ids[name]: action for name, action in _actions(org_ids[0]).items()}
    day = LAST_DEBUT - timedelta(days=2)
    while day <= LAST_FIN + timedelta(days=2):
        expected = sorted(
            i for i, a in by_id.items()
            if a.status is Status.PUBLISHED and archiving.archive_date(a) is not None
            and not archiving.is_public(a, day)
        )
        for i in expected:
            by_id[i] = by_id[i].model_copy(update={"status": Status.ARCHIVED})
        assert await _sweep(uow_factory, day) == expected, day
        day += timedelta(days=1)


async def test_reminders_due_boundaries(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int]
) -> None:
    """A level is due from its day until the next level's day, with the real days left (issue 13,
    finding 16: before, only on its exact day, so a bot down that day never told it)."""
    ids = await _store(uow_factory, org_ids[0])
    fixed_end, permanent_end = LAST_DEBUT, LAST_FIN + timedelta(days=1)
    days = [30, 7, 1]
    async with uow_factory() as uow:
        conn = uow.connection
        assert await sweeps.reminders_due(conn, fixed_end - timedelta(days=31), days) == []
        due = await sweeps.reminders_due(conn, fixed_end - timedelta(days=27), days)
        assert [(r.action_id, r.days, r.level, r.archive_on) for r in due] == [
            (ids["fixed"], 27, 30, fixed_end)
        ]
        due = await sweeps.reminders_due(conn, fixed_end - timedelta(days=8), days)
        assert [(r.action_id, r.days, r.level) for r in due] == [(ids["fixed"], 8, 30)]
        due = await sweeps.reminders_due(conn, fixed_end - timedelta(days=7), days)
        assert [(r.action_id, r.days, r.level) for r in due] == [(ids["fixed"], 7, 7)]
        due = await sweeps.reminders_due(conn, fixed_end - timedelta(days=2), days)
        assert [(r.action_id, r.days, r.level) for r in due] == [(ids["fixed"], 2, 7)]
        due = await sweeps.reminders_due(conn, fixed_end - timedelta(days=1), days)
        assert [(r.action_id, r.days, r.level) for r in due] == [(ids["fixed"], 1, 1)]
        assert await sweeps.reminders_due(conn, fixed_end, days) == []
        due = await sweeps.reminders_due(conn, permanent_end - timedelta(days=30), days)
        assert sorted((r.action_id, r.days) for r in due) == sorted(
            [(ids["permanent"], 30), (ids["modular"], 30)]
        )
        assert all(r.organisation_id == org_ids[0] for r in due)
        assert await sweeps.reminders_due(conn, permanent_end - timedelta(days=30), []) == []
        # The same level as domain.archiving.reminder_level for each published action.
        for left in range(0, 40):
            today = fixed_end - timedelta(days=left)
            due = [r for r in await sweeps.reminders_due(conn, today, days) if r.action_id == ids["fixed"]]
            assert [r.level for r in due] == [
                lvl for lvl in [archiving.reminder_level(left, days)] if lvl is not None
            ], left


async def test_a_level_told_is_not_due_again_nor_a_farther_one(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int]
) -> None:
    """Told levels come from the audit trail: once a level (or a closer one) was told for an
    archiving date, it is not due again; a new archiving date makes them due again."""
    from bot.daily import reminder_event

    ids = await _store(uow_factory, org_ids[0])
    fixed_end = LAST_DEBUT
    days = [30, 7, 1]
    async with uow_factory() as uow:
        uow.publish(reminder_event(ids["fixed"], org_ids[0], 5, fixed_end, 7))
        await uow.commit()
        conn = uow.connection
        for left in (20, 6, 2):  # level 30 (farther than the one told), level 7 (told)
            due = await sweeps.reminders_due(conn, fixed_end - timedelta(days=left), days)
            assert [r for r in due if r.action_id == ids["fixed"]] == [], left
        due = await sweeps.reminders_due(conn, fixed_end - timedelta(days=1), days)
        assert [(r.action_id, r.level) for r in due if r.action_id == ids["fixed"]] == [(ids["fixed"], 1)]
        told = await sweeps.reminders_told(conn, [ids["fixed"]])
        assert told == {(ids["fixed"], fixed_end): {7}}
        # Another archiving date (the sessions moved): nothing told for it yet.
        assert await sweeps.reminders_told(conn, [ids["permanent"]]) == {}


async def test_counts_by_status(uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int]) -> None:
    await _store(uow_factory, org_ids[0])
    async with uow_factory() as uow:
        assert await sweeps.counts_by_status(uow.connection, org_ids[0]) == {
            Status.PUBLISHED: 4, Status.DRAFT: 1,
        }
        assert await uow.counts_by_status(org_ids[1]) == {}
