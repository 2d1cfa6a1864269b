"""A funder's validators: the actions proposed to their funder only, approve, refuse with a reason."""

from __future__ import annotations

from typing import Any

import pytest

from dialogs.operations import describe
from dialogs.testing import DialogClient
from domain.errors import OperationRefused
from domain.funders import Funder
from domain.models import Action, Status
from domain.services import backoffice as operations
from domain.services.actors import Actor, UnknownAction
from tests.dialogs.backoffice_support import (
    add,
    events,
    member_opens,
    outbox_rows,
    stored_after,
    validator,
)
from tests.dialogs.support import ORG_A_USER, ORG_A_USER_2, World
from tests.labels import blabel

PE_VALIDATOR = 4401
AGEFIPH_VALIDATOR = 4402


async def test_a_pole_emploi_validator_sees_only_pole_emploi_submitted_actions(world: World) -> None:
    first = await add(world, Funder.POLE_EMPLOI, intitule="Soudeur TIG")
    second = await add(world, Funder.POLE_EMPLOI, intitule="Cariste", organisation_id=world.org_b)
    draft = await add(world, Funder.POLE_EMPLOI, Status.DRAFT, intitule="Brouillon")
    published = await add(world, Funder.POLE_EMPLOI, Status.PUBLISHED, intitule="Déjà publiée")
    agefiph = await add(world, Funder.AGEFIPH, intitule="Action Agefiph")
    region = await add(world, Funder.REGION, intitule="Action Région")

    client = await validator(world, Funder.POLE_EMPLOI, PE_VALIDATOR)
    assert "Actions proposées à Pôle emploi" in client.text
    assert "2 action(s) en attente de votre décision" in client.text
    await client.press(blabel("funder_queue", funder="Pôle emploi", count=2))
    shown = " ".join(client.labels)
    assert first.reference in shown and second.reference in shown
    for other in (draft, published, agefiph, region):
        assert other.reference not in shown

    await client.press(f"{first.reference} · Soudeur TIG")
    assert "Soudeur TIG" in client.text and "Organisme responsable : Forma Sud" in client.text
    assert "Financeur principal : Pôle emploi" in client.text
    assert "Session n° 2" in client.text  # the full recap, read-only
    assert {blabel("approve"), blabel("refuse")} <= set(client.labels)
    assert not any("Modifier" in label for label in client.labels)


async def _pole_emploi_action_opened(world: World, **fields: Any) -> tuple[Action, DialogClient]:
    """A Pôle emploi action proposed, opened by its validator from the queue."""
    action = await add(world, Funder.POLE_EMPLOI, **fields)
    client = await validator(world, Funder.POLE_EMPLOI, PE_VALIDATOR)
    await client.press(blabel("funder_queue", funder="Pôle emploi", count=1))
    await client.press(f"{action.reference}")
    return action, client


async def test_the_validator_approves_and_the_organisation_is_told(world: World) -> None:
    action, client = await _pole_emploi_action_opened(world, intitule="Soudeur TIG")
    await client.press(blabel("approve"))
    assert f"Action {action.reference} validée" in client.text
    assert "Aucune action dans cette liste" in client.text

    stored = await world.get_action(action.id)
    assert stored is not None and stored.status is Status.APPROVED
    assert [kind for kind, _ in await events(world, action.id)] == ["approved"]
    rows = await outbox_rows(world, action.id)
    if rows is not None:  # SQLite: one notification per member of the organisation
        assert rows == [("approved", ORG_A_USER), ("approved", ORG_A_USER_2)]


async def test_the_validator_refuses_with_a_reason(world: World) -> None:
    action, client = await _pole_emploi_action_opened(world, intitule="Soudeur TIG")
    await client.press(blabel("refuse"))
    assert "Écrivez le motif du refus" in client.text
    await client.send("x" * 1001)
    assert "entre 1 et 1000 caractères" in client.text
    await client.send("Tarif horaire hors de la grille <2027>")
    assert "Tarif horaire hors de la grille <2027>" in client.text  # shown back, escaped
    assert (await world.get_action(action.id)).status is Status.SUBMITTED  # not yet
    await client.press(blabel("edit_reason"))
    await client.send("Tarif horaire hors de la grille 2027")
    await client.press(blabel("refuse_yes"))
    assert f"Action {action.reference} refusée" in client.text

    stored = await stored_after(
        world, action, Status.REFUSED, ("refused", {"reason": "Tarif horaire hors de la grille 2027"})
    )
    assert stored.refusal_reason == "Tarif horaire hors de la grille 2027"
    rows = await outbox_rows(world, action.id)
    if rows is not None:
        assert ("refused", ORG_A_USER) in rows

    member = await member_opens(world, "Refusées (1)", action)
    assert "Motif du refus : Tarif horaire hors de la grille 2027" in member.text


async def test_cancelling_a_refusal_changes_nothing(world: World) -> None:
    action, client = await _pole_emploi_action_opened(world)
    await client.press(blabel("refuse"))
    await client.send("Pas maintenant")
    await client.press("Annuler")
    assert blabel("approve") in client.labels
    assert (await world.get_action(action.id)).status is Status.SUBMITTED
    assert await events(world, action.id) == []


async def test_an_agefiph_validator_cannot_touch_a_pole_emploi_action(world: World) -> None:
    pe = await add(world, Funder.POLE_EMPLOI, intitule="Action Pôle emploi")
    own = await add(world, Funder.AGEFIPH, intitule="Action Agefiph")
    client = await validator(world, Funder.AGEFIPH, AGEFIPH_VALIDATOR)
    assert "Actions proposées à Agefiph" in client.text
    await client.press(blabel("funder_queue", funder="Agefiph", count=1))
    assert pe.reference not in " ".join(client.labels)
    # A forged button naming the Pôle emploi action: not found, nothing shown of it.
    seq = client.keyboard[0][0].payload.split(":")[0]
    await client.press_payload(f"{seq}:view:{pe.id}")
    assert "introuvable" in client.text
    assert "Action Pôle emploi" not in client.text
    assert blabel("approve") not in client.labels
    # Its own action works; the view's buttons act on the action shown, never on another.
    await client.press(f"{own.reference}")
    assert "Action Agefiph" in client.text
    await client.press(blabel("approve"))
    assert (await world.get_action(own.id)).status is Status.APPROVED
    assert (await world.get_action(pe.id)).status is Status.SUBMITTED
    assert await events(world, pe.id) == []


async def test_the_operations_keep_a_validator_in_their_funder_scope(world: World) -> None:
    pe = await add(world, Funder.POLE_EMPLOI)
    agefiph = Actor.validator(Funder.AGEFIPH, AGEFIPH_VALIDATOR)
    async with world.uow_factory() as uow:
        for ref in (pe.id, pe.reference):
            with pytest.raises(UnknownAction):
                await operations.approve(uow, agefiph, ref)
            with pytest.raises(UnknownAction):
                await operations.refuse(uow, agefiph, ref, "Non")
        # A validator may approve or refuse, nothing else.
        with pytest.raises(OperationRefused) as refused:
            await operations.return_for_correction(
                uow, Actor.validator(Funder.POLE_EMPLOI), pe.id, "À revoir"
            )
        assert "Seul le Carif-Oref" in describe(refused.value)
        await uow.commit()
    assert (await world.get_action(pe.id)).status is Status.SUBMITTED


async def test_an_action_decided_meanwhile_cannot_be_decided_again(world: World) -> None:
    action, client = await _pole_emploi_action_opened(world)
    async with world.uow_factory() as uow:  # a colleague approves it first
        await operations.approve(uow, Actor.validator(Funder.POLE_EMPLOI), action.id)
        await uow.commit()
    await client.press(blabel("refuse"))
    assert "n'est pas possible" in client.text
    assert blabel("refuse") not in client.labels
    assert (await world.get_action(action.id)).status is Status.APPROVED


async def test_a_validator_has_no_organisation_commands(world: World) -> None:
    client = await validator(world, Funder.POLE_EMPLOI, PE_VALIDATOR)
    await client.command("nouvelle")
    assert "Commande inconnue" in client.text
    await client.command("aide")
    assert "Aide · financeur" in client.text
