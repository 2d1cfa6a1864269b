"""« Sauvegarder » on a form whose action moved on meanwhile (issue 13, findings 1 and 2), on the
fakes and on SQLite: the form is kept only while the action may still be modified; no answer is
dropped on a version conflict."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.funders import Funder
from domain.models import Action, Status
from tests.dialogs.support import (
    ORG_A_USER_2,
    World,
    answer_general,
    open_draft,
    saved_before_the_other,
)
from tests.factories import make_valid_action
from tests.labels import KEEP_MINE, KEEP_THEIRS, RESUME, label

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SAVE = label("save")


async def _move_to(world: World, action_id: int, status: Status) -> Action:
    """What the staff, the funder or the daily sweep did meanwhile (through the staff scope)."""
    async with world.uow_factory() as uow:
        repo = uow.all_actions()
        action = await repo.get(action_id)
        assert action is not None
        action.status = status
        action.confirmed_at = NOW
        if status in (Status.PUBLISHED, Status.ARCHIVED):
            action.reference_carif, action.published_at = "CO-1", NOW
        if status is Status.ARCHIVED:
            action.archived_on = NOW.date()
        if status is Status.REFUSED:
            action.refusal_reason = "Hors programme"
        saved = await repo.save(action)
        await uow.commit()
        return saved


WORDS = {
    Status.SUBMITTED: "confirmée entre-temps",
    Status.APPROVED: "validée entre-temps",
    Status.REFUSED: "refusée par le financeur entre-temps",
    Status.PUBLISHED: "publiée entre-temps",
    Status.ARCHIVED: "archivée entre-temps",
}


@pytest.mark.parametrize("status", list(WORDS))
async def test_a_form_on_an_action_that_moved_on_is_closed_and_the_action_shown(
    world: World, status: Status
) -> None:
    draft = await world.add_action(make_valid_action(Funder.REGION, organisation_id=world.org_a))
    assert draft.id is not None
    member = world.client()
    await open_draft(member, draft)
    await answer_general(member, "Intitulé de la formation *", "Titre changé trop tard")
    moved = await _move_to(world, draft.id, status)
    await member.press(SAVE)
    assert WORDS[status] in member.text, member.text
    assert "n'ont pas pu être enregistrées" in member.text
    assert "En cours de création" not in member.text and "modifiée entre-temps" not in member.text
    assert label("op_view") in member.labels and SAVE not in member.labels
    stored = await world.get_action(draft.id)
    assert stored is not None and stored.intitule == draft.intitule and stored.version == moved.version
    await member.command("menu")
    assert not any(label.startswith(RESUME) for label in member.labels)


async def test_resuming_a_form_whose_action_was_confirmed_shows_the_action(world: World) -> None:
    draft = await world.add_action(make_valid_action(Funder.REGION, organisation_id=world.org_a))
    assert draft.id is not None
    member = world.client()
    await open_draft(member, draft)
    await member.command("menu")
    await _move_to(world, draft.id, Status.SUBMITTED)
    await member.press(RESUME)
    assert WORDS[Status.SUBMITTED] in member.text
    assert label("op_view") in member.labels


async def test_a_returned_action_is_still_modified_and_saved_in_its_list(world: World) -> None:
    draft = await world.add_action(make_valid_action(
        Funder.REGION, organisation_id=world.org_a, status=Status.RETURNED, confirmed_at=NOW,
        staff_comment="Formacode à revoir"))
    member = world.client()
    await member.command("menu")
    await member.press("À corriger")
    await member.press(f"{draft.reference}")
    await member.press(label("op_modify"))
    await answer_general(member, "Intitulé de la formation *", "Titre corrigé")
    await member.press(SAVE)
    assert "« À corriger »" in member.text and "En cours de création »" not in member.text
    assert (await world.get_action(draft.id or 0)).intitule == "Titre corrigé"  # type: ignore[union-attr]


async def test_both_changed_the_same_field_the_stored_value_may_be_kept(world: World) -> None:
    draft = await world.add_action(make_valid_action(Funder.REGION, organisation_id=world.org_a))
    first, second = world.client(), world.client(ORG_A_USER_2)
    await saved_before_the_other(draft, first, second, "Titre du premier", "Titre du second")
    await answer_general(second, "Objectif de la formation *", "Objectif du second, détaillé.")
    await second.press(SAVE)
    assert "Titre du premier" in second.text and "Titre du second" in second.text
    assert "un autre membre" in second.text
    await second.press(KEEP_THEIRS)
    assert "sauvegardée" in second.text
    stored = await world.get_action(draft.id or 0)
    assert stored is not None
    assert stored.intitule == "Titre du premier" and stored.objectif == "Objectif du second, détaillé."


async def test_a_conflict_on_confirm_goes_back_to_the_recap_to_confirm_again(world: World) -> None:
    draft = await world.add_action(make_valid_action(Funder.REGION, organisation_id=world.org_a))
    first, second = world.client(), world.client(ORG_A_USER_2)
    await saved_before_the_other(draft, first, second, "Titre du premier", "Titre du second")
    await second.press(label("op_confirm"))
    await second.press(label("confirm_yes"))
    await second.press(KEEP_MINE)
    assert "Récapitulatif" in second.text and "confirmez à nouveau" in second.text
    stored = await world.get_action(draft.id or 0)
    assert stored is not None and stored.status is Status.DRAFT and stored.intitule == "Titre du premier"
    await second.press(label("op_confirm"))
    await second.press(label("confirm_yes"))
    stored = await world.get_action(draft.id or 0)
    assert stored is not None and stored.status is Status.SUBMITTED and stored.intitule == "Titre du second"


async def test_choices_pending_are_not_saved_by_opening_another_action(world: World) -> None:
    draft, other = [await world.add_action(make_valid_action(Funder.REGION, organisation_id=world.org_a))
                    for _ in range(2)]
    first, second = world.client(), world.client(ORG_A_USER_2)
    await saved_before_the_other(draft, first, second, "Titre du premier", "Titre du second")
    await second.press(SAVE)
    await second.command("menu")  # from the menu: another action, choices still to make
    await second.press("En cours de création")
    await second.press(f"{other.reference}")
    await second.press(label("op_modify"))
    assert "choisissez les réponses à garder" in second.text
    assert "Titre du premier" in second.text and "Titre du second" in second.text
    stored = await world.get_action(draft.id or 0)
    assert stored is not None and stored.intitule == "Titre du premier"
