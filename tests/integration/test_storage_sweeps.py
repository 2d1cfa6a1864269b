"""The archive sweep and the reminders at their boundaries (same policy as domain.archiving)."""

from __future__ import annotations

from datetime import date, timedelta

from domain import archiving
from domain.funders import Funder
from domain.models import Action, Status
from storage import sweeps
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
            added = await uow.actions_for_organisation(org).add(action)
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
    ids = await _store(uow_factory, org_ids[0])
    fixed_end, permanent_end = LAST_DEBUT, LAST_FIN + timedelta(days=1)
    days = [30, 7, 1]
    async with uow_factory() as uow:
        conn = uow.connection
        assert await sweeps.reminders_due(conn, fixed_end - timedelta(days=8), days) == []
        due = await sweeps.reminders_due(conn, fixed_end - timedelta(days=7), days)
        assert [(r.action_id, r.days, r.archive_on) for r in due] == [(ids["fixed"], 7, fixed_end)]
        due = await sweeps.reminders_due(conn, fixed_end - timedelta(days=1), days)
        assert [(r.action_id, r.days) for r in due] == [(ids["fixed"], 1)]
        assert await sweeps.reminders_due(conn, fixed_end, days) == []
        due = await sweeps.reminders_due(conn, permanent_end - timedelta(days=30), days)
        assert sorted((r.action_id, r.days) for r in due) == sorted(
            [(ids["permanent"], 30), (ids["modular"], 30)]
        )
        assert all(r.organisation_id == org_ids[0] for r in due)
        assert await sweeps.reminders_due(conn, permanent_end - timedelta(days=30), []) == []
        # The same as domain.archiving.reminders_due for each published action.
        assert archiving.reminders_due(_actions(1)["fixed"], fixed_end - timedelta(days=7), days) == [7]


async def test_counts_by_status(uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int]) -> None:
    await _store(uow_factory, org_ids[0])
    async with uow_factory() as uow:
        assert await sweeps.counts_by_status(uow.connection, org_ids[0]) == {
            Status.PUBLISHED: 4, Status.DRAFT: 1,
        }
        assert await uow.counts_by_status(org_ids[1]) == {}
