"""The organisation-scoped action repository enforces the lifecycle on every write, and every
stored change of an action has an audit row (issue 13, finding 1)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain import lifecycle, sessions
from domain.errors import ChangeNotAllowed, StaleVersion
from domain.funders import Funder
from domain.models import Action, Document, Session, Status
from domain.ports import ActionRepository
from domain.services import backoffice as operations
from domain.services.actors import Actor
from storage.uow import SqlUnitOfWorkFactory
from tests.factories import FACTORY_TODAY, make_valid_action

NOW = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)


async def _seed(factory: SqlUnitOfWorkFactory, org: int, status: Status,
                funder: Funder = Funder.REGION) -> Action:
    extra: dict[str, object] = {}
    if status is not Status.DRAFT:
        extra["confirmed_at"] = NOW
    if status in (Status.PUBLISHED, Status.ARCHIVED):
        extra.update(reference_carif=f"CO-{status.value}", published_at=NOW)
    if status is Status.ARCHIVED:
        extra["archived_on"] = FACTORY_TODAY
    async with factory() as uow:
        action = await uow.all_actions().add(
            make_valid_action(funder, organisation_id=org, status=status, **extra))
        await uow.commit()
    return action


async def _loaded(repo: ActionRepository, action_id: int) -> Action:
    action = await repo.get(action_id)
    assert action is not None
    return action


async def _history(factory: SqlUnitOfWorkFactory, action_id: int | None) -> list[tuple[str, int | None]]:
    assert action_id is not None
    async with factory() as uow:
        return [(e.kind, e.version) for e in await uow.audit.history(action_id)]


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.APPROVED, Status.REFUSED,
                                    Status.PUBLISHED, Status.ARCHIVED])
async def test_the_organisation_cannot_store_a_change_its_status_forbids(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int], status: Status
) -> None:
    org = org_ids[0]
    seeded = await _seed(uow_factory, org, status)
    assert seeded.id is not None
    async with uow_factory(actor_user_id=1) as uow:
        repo = uow.actions_for_organisation(org)
        action = await _loaded(repo, seeded.id)
        action.intitule = "Réécrit"
        with pytest.raises(ChangeNotAllowed):
            await repo.save(action)
        back = await _loaded(repo, seeded.id)
        back.status = Status.DRAFT  # « reopening » it is no better
        with pytest.raises(ChangeNotAllowed):
            await repo.save(back)
        with pytest.raises(ChangeNotAllowed):
            await repo.delete(seeded.id)
        await uow.commit()
    async with uow_factory() as uow:
        stored = await uow.all_actions().get(seeded.id)
    assert stored is not None and stored.intitule == seeded.intitule and stored.version == seeded.version


async def test_a_published_actions_sessions_may_be_updated_and_each_change_is_audited(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int]
) -> None:
    org = org_ids[0]
    seeded = await _seed(uow_factory, org, Status.PUBLISHED)
    assert seeded.id is not None
    async with uow_factory(actor_user_id=1) as uow:
        repo = uow.actions_for_organisation(org)
        action = await _loaded(repo, seeded.id)
        action.sessions[0].places = 30
        action.sessions[0].modalites_inscription = "Sur rendez-vous."
        await repo.save(action)
        action.sessions.append(Session(debut=date(2027, 11, 2), fin=date(2027, 12, 2)))
        with pytest.raises(ChangeNotAllowed):  # a forgotten session: the Carif-Oref adds it
            await repo.save(action)
        await uow.commit()
    async with uow_factory(actor_user_id=1) as uow:
        repo = uow.actions_for_organisation(org)
        action = await _loaded(repo, seeded.id)
        uow.publish(*sessions.update_session_dates(
            action, 1, date(2027, 9, 20), date(2027, 12, 17), FACTORY_TODAY))
        await repo.save(action)
        await uow.commit()
    assert await _history(uow_factory, seeded.id) == [
        ("created", seeded.version),
        ("saved", seeded.version + 1),
        ("session_dates_changed", seeded.version + 2),  # the event's row, not a second one
    ]
    async with uow_factory() as uow:
        history = await uow.audit.history(seeded.id)
    assert history[1].actor_user_id == 1
    assert history[1].details == {"changed": ["sessions[0].places", "sessions[0].modalites_inscription"]}


async def test_draft_saves_confirmation_and_deletion_are_allowed_and_audited(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int]
) -> None:
    org = org_ids[0]
    async with uow_factory(actor_user_id=1) as uow:
        repo = uow.actions_for_organisation(org)
        draft = await repo.add(make_valid_action(Funder.REGION, organisation_id=org))
        with pytest.raises(ChangeNotAllowed):
            await repo.add(make_valid_action(Funder.REGION, organisation_id=org,
                                             status=Status.PUBLISHED, reference_carif="CO-9"))
        await uow.commit()
    assert draft.id is not None
    async with uow_factory(actor_user_id=2) as uow:
        repo = uow.actions_for_organisation(org)
        action = await _loaded(repo, draft.id)
        action.intitule = "Nouveau titre"
        await repo.save(action)
        stale = action.model_copy(update={"version": action.version - 1})
        with pytest.raises(StaleVersion):
            await repo.save(stale)
        uow.publish(*lifecycle.confirm(action, FACTORY_TODAY, NOW))
        await repo.save(action)
        await uow.commit()
    assert [kind for kind, _ in await _history(uow_factory, draft.id)] == ["created", "confirmed"]
    other = await _seed(uow_factory, org, Status.DRAFT)
    async with uow_factory(actor_user_id=3) as uow:
        await uow.actions_for_organisation(org).delete(other.id or 0)
        await uow.commit()
    assert [kind for kind, _ in await _history(uow_factory, other.id)] == ["created", "deleted"]


async def test_the_etat_justification_may_be_attached_until_archived(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int]
) -> None:
    org = org_ids[0]
    submitted = await _seed(uow_factory, org, Status.SUBMITTED, Funder.ETAT_EMPLOI)
    async with uow_factory(actor_user_id=1) as uow:
        repo = uow.actions_for_organisation(org)
        action = await _loaded(repo, submitted.id or 0)
        action.justificatif = Document(file_id="F1", file_name="convention.pdf")
        await repo.save(action)
        await uow.commit()


async def test_staff_transitions_keep_their_own_audit_rows(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int]
) -> None:
    seeded = await _seed(uow_factory, org_ids[0], Status.SUBMITTED, Funder.POLE_EMPLOI)
    async with uow_factory() as uow:
        await operations.approve(uow, Actor.staff(), seeded.id or 0)
        await uow.commit()
    assert [kind for kind, _ in await _history(uow_factory, seeded.id)] == ["created", "approved"]
