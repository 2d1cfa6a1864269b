"""Action repositories: scoping, references, optimistic concurrency, sessions, computed columns."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from sqlalchemy import func, select

from domain.errors import StaleVersion
from domain.funders import Funder
from domain.models import Action, Document, Status
from storage.tables import actions, documents, sessions
from storage.uow import SqlUnitOfWorkFactory
from tests.databases import add_action
from tests.factories import make_session, make_valid_action
from tests.integration.conftest import add_organisations


async def _add(factory: SqlUnitOfWorkFactory, org: int, funder: Funder = Funder.REGION,
               **overrides: object) -> Action:
    return await add_action(factory, make_valid_action(funder, organisation_id=org, **overrides))


async def test_add_assigns_id_and_reference(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int]
) -> None:
    first = await _add(uow_factory, org_ids[0])
    second = await _add(uow_factory, org_ids[0])
    assert first.id is not None and second.id is not None and second.id > first.id
    assert first.reference == f"FB-{first.id:06d}" and second.reference == f"FB-{second.id:06d}"
    assert first.version == 0 and first.created_at is not None


async def test_another_organisations_action_does_not_exist(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int]
) -> None:
    a, b = org_ids
    mine = await _add(uow_factory, a)
    theirs = await _add(uow_factory, b, reference_carif=None)
    assert theirs.id is not None and theirs.reference is not None
    async with uow_factory() as uow:
        repo_a = uow.actions_for_organisation(a)
        assert await repo_a.get(theirs.id) is None
        assert await repo_a.by_reference(theirs.reference) is None
        assert [x.id for x in await repo_a.list()] == [mine.id]
        assert await repo_a.counts() == {Status.DRAFT: 1}
        with pytest.raises(StaleVersion):
            await repo_a.save(theirs.model_copy(update={"intitule": "piraté"}, deep=True))
        await repo_a.delete(theirs.id)
        with pytest.raises(PermissionError):
            await repo_a.add(make_valid_action(Funder.REGION, organisation_id=b))
        await uow.commit()
    async with uow_factory() as uow:
        repo_b = uow.actions_for_organisation(b)
        still = await repo_b.get(theirs.id)
        assert still is not None and still.intitule == theirs.intitule and still.version == 0
        assert (await repo_b.by_reference(theirs.reference.lower())) == still
        assert await repo_b.counts() == {Status.DRAFT: 1}


async def test_funder_and_staff_scopes(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int]
) -> None:
    a, b = org_ids
    pe = await _add(uow_factory, a, Funder.POLE_EMPLOI, status=Status.SUBMITTED)
    agefiph = await _add(uow_factory, b, Funder.AGEFIPH)
    pe_draft = await _add(uow_factory, a, Funder.POLE_EMPLOI)
    pe_returned = await _add(uow_factory, a, Funder.POLE_EMPLOI, status=Status.RETURNED)
    assert pe.id is not None and agefiph.id is not None and pe_draft.id is not None
    async with uow_factory() as uow:
        validators = uow.actions_for_funder(Funder.POLE_EMPLOI)
        assert [x.id for x in await validators.list()] == [pe.id]
        assert await validators.get(agefiph.id) is None
        # The organisation's work in progress is not the validator's to see.
        assert await validators.get(pe_draft.id) is None
        assert await validators.get(pe_returned.id or 0) is None
        assert await validators.counts() == {Status.SUBMITTED: 1}
        loaded = await validators.get(pe.id)
        assert loaded is not None
        loaded.status = Status.APPROVED
        await validators.save(loaded)
        with pytest.raises(StaleVersion):
            await validators.save(agefiph)
        with pytest.raises(PermissionError):
            await validators.delete(pe.id)
        with pytest.raises(PermissionError):
            await validators.add(make_valid_action(Funder.POLE_EMPLOI, organisation_id=a))
        staff = uow.all_actions()
        assert {x.id for x in await staff.list()} == {pe.id, agefiph.id, pe_draft.id, pe_returned.id}
        assert await staff.counts() == {Status.APPROVED: 1, Status.DRAFT: 2, Status.RETURNED: 1}
        assert [x.id for x in await staff.list(Status.APPROVED)] == [pe.id]
        await uow.commit()


async def test_stale_version_is_refused(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int]
) -> None:
    org = org_ids[0]
    added = await _add(uow_factory, org)
    assert added.id is not None
    copies = []
    for _ in range(2):  # two units of work load the same version
        async with uow_factory() as uow:
            loaded = await uow.actions_for_organisation(org).get(added.id)
            assert loaded is not None and loaded.version == 0
            copies.append(loaded)
    first, second = copies
    first.intitule, second.intitule = "Première", "Seconde"
    async with uow_factory() as uow:
        await uow.actions_for_organisation(org).save(first)
        await uow.commit()
    assert first.version == 1
    async with uow_factory() as uow:
        with pytest.raises(StaleVersion):
            await uow.actions_for_organisation(org).save(second)
    async with uow_factory() as uow:
        stored = await uow.actions_for_organisation(org).get(added.id)
    assert stored is not None and stored.intitule == "Première" and stored.version == 1


@pytest.mark.postgres
async def test_interleaved_transactions_postgres(pg_uow_factory: SqlUnitOfWorkFactory) -> None:
    """Both transactions open at once (PostgreSQL; SQLite serialises writers at BEGIN)."""
    uow_factory = pg_uow_factory
    org = (await add_organisations(uow_factory))[0]
    added = await _add(uow_factory, org)
    assert added.id is not None
    async with uow_factory() as one, uow_factory() as two:
        a1 = await one.actions_for_organisation(org).get(added.id)
        a2 = await two.actions_for_organisation(org).get(added.id)
        assert a1 is not None and a2 is not None
        await one.actions_for_organisation(org).save(a1)
        # The second writer waits for the first one's row lock, then finds the version gone.
        pending = asyncio.ensure_future(two.actions_for_organisation(org).save(a2))
        await one.commit()
        with pytest.raises(StaleVersion):
            await pending


async def test_save_replaces_sessions_and_recomputes_dates(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int]
) -> None:
    org = org_ids[0]
    added = await _add(uow_factory, org, status=Status.PUBLISHED)
    assert added.id is not None
    kept_id = added.sessions[0].id
    async with uow_factory() as uow:
        repo = uow.all_actions()  # the staff: a session added to a published action
        action = await repo.get(added.id)
        assert action is not None
        action.sessions[0].debut = date(2027, 4, 1)
        action.sessions = [action.sessions[0], make_session(date(2028, 1, 10), date(2028, 3, 1))]
        await repo.save(action)
        await uow.commit()
    async with uow_factory() as uow:
        loaded = await uow.actions_for_organisation(org).get(added.id)
        row = (await uow.connection.execute(select(actions).where(actions.c.id == added.id))).one()
        count = (await uow.connection.execute(select(func.count()).select_from(sessions))).scalar()
    assert loaded is not None and loaded == action
    assert [s.debut for s in loaded.sessions] == [date(2027, 4, 1), date(2028, 1, 10)]
    assert loaded.sessions[0].id == kept_id and loaded.sessions[1].id not in (None, kept_id)
    assert count == 2
    assert (row.first_session_start, row.last_session_end, row.archive_on) == (
        date(2027, 4, 1), date(2028, 3, 1), date(2028, 1, 10),
    )
    assert row.version == 1


async def test_delete_removes_sessions_and_documents(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int]
) -> None:
    org = org_ids[0]
    added = await _add(
        uow_factory, org, Funder.ETAT_EMPLOI,
        justificatif=Document(file_id="f-1", file_name="c.pdf", mime_type="application/pdf", size=3),
    )
    assert added.id is not None
    async with uow_factory() as uow:
        docs = (await uow.connection.execute(select(documents))).all()
        assert [(d.file_id, d.name, d.mime, d.size) for d in docs] == [("f-1", "c.pdf", "application/pdf", 3)]
        await uow.actions_for_organisation(org).delete(added.id)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.actions_for_organisation(org).get(added.id) is None
        for table in (sessions, documents):
            assert (await uow.connection.execute(select(func.count()).select_from(table))).scalar() == 0


async def test_uncommitted_unit_of_work_rolls_back(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int]
) -> None:
    org = org_ids[0]
    async with uow_factory() as uow:
        await uow.all_actions().add(make_valid_action(organisation_id=org))
    with pytest.raises(RuntimeError):
        async with uow_factory() as uow:
            await uow.all_actions().add(make_valid_action(organisation_id=org))
            await uow.commit()
            await uow.all_actions().add(make_valid_action(organisation_id=org))
            raise RuntimeError("boom")
    async with uow_factory() as uow:
        assert len(await uow.actions_for_organisation(org).list()) == 1


async def test_list_pages(uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int]) -> None:
    org = org_ids[0]
    ids = [(await _add(uow_factory, org)).id for _ in range(5)]
    async with uow_factory() as uow:
        repo = uow.actions_for_organisation(org)
        page1 = [a.id for a in await repo.list(limit=2)]
        page2 = [a.id for a in await repo.list(offset=2, limit=2)]
        assert await repo.list(Status.PUBLISHED) == []
    assert page1 == ids[::-1][:2] and page2 == ids[::-1][2:4]
