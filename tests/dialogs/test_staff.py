"""The Carif-Oref staff in the chat: queues, publish, return for correction, État justification,
approval without the funder, the Région's vote; and the shared operations behind them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dialogs.operations import describe, line_message
from domain.errors import OperationRefused
from domain.funders import Funder
from domain.models import Status
from domain.services import backoffice as operations
from domain.services.actors import Actor
from domain.services.backoffice import VoteOutcome
from tests.dialogs.backoffice_support import (
    STAFF_USER,
    add,
    events,
    member_opens,
    outbox_rows,
    staff,
    stored_after,
)
from tests.dialogs.support import ORG_A_USER, World
from tests.labels import blabel, label

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


async def test_the_staff_menu_shows_the_queues_with_their_counts(world: World) -> None:
    await add(world, Funder.POLE_EMPLOI)
    await add(world, Funder.REGION)
    etat = await add(world, Funder.ETAT_EMPLOI)  # the factory's État action has its justification
    await add(world, Funder.ETAT_AUTRES, justificatif=None)  # nothing sent yet
    await add(world, Funder.ETAT_AUTRES, justificatif_recu=True)  # already marked
    await add(world, Funder.AGEFIPH, Status.APPROVED)
    await add(world, Funder.AGEFIPH, Status.DRAFT)
    client = await staff(world)
    assert "Carif-Oref · actions de formation" in client.text
    assert client.labels[:4] == [
        "Confirmées (5)", "Validées, à publier (1)", "Justificatifs reçus (1)", blabel("vote"),
    ]
    await client.press("Justificatifs reçus (1)")
    assert client.labels[0].startswith(etat.reference)


async def test_staff_publishes_an_approved_action_with_the_reference_shown(world: World) -> None:
    action = await add(world, Funder.AGEFIPH, Status.APPROVED, intitule="Cariste")
    client = await staff(world)
    await client.press("Validées, à publier (1)")
    await client.press(f"{action.reference} · Cariste")
    assert "Cariste" in client.text and "Validée, en attente de publication" in client.text
    assert blabel("approve") not in client.labels  # already approved
    await client.press(blabel("publish"))
    expected = f"CO-2026-{action.id:06d}"
    assert f"Référence Carif-Oref attribuée : {expected}" in client.text
    await client.press(blabel("publish_yes", reference=expected))
    assert f"publiée sous la référence Carif-Oref {expected}" in client.text

    stored = await world.get_action(action.id)
    assert stored is not None and stored.status is Status.PUBLISHED
    assert stored.reference_carif == expected and stored.published_at is not None
    assert await events(world, action.id) == [("published", {"reference_carif": expected})]
    rows = await outbox_rows(world, action.id)
    if rows is not None:
        assert ("published", ORG_A_USER) in rows


async def test_staff_may_type_another_carif_reference_before_publishing(world: World) -> None:
    action = await add(world, Funder.POLE_EMPLOI)  # submitted: the funder's validation is optional
    taken = await add(world, Funder.REGION, Status.PUBLISHED, reference_carif="24_AF_0000001")
    client = await staff(world)
    await client.send(action.reference.lower())  # a reference typed at the menu opens it
    await client.press(blabel("publish"))
    await client.send("pas une référence")
    assert "Référence Carif-Oref invalide" in client.text
    await client.send("24_AF_0000001")
    await client.press(blabel("publish_yes", reference="24_AF_0000001"))
    assert f"déjà attribuée à l'action {taken.reference}" in client.text
    assert (await world.get_action(action.id)).status is Status.SUBMITTED
    await client.send("24_AF_0000002")
    await client.press(blabel("publish_yes", reference="24_AF_0000002"))
    stored = await world.get_action(action.id)
    assert stored.status is Status.PUBLISHED and stored.reference_carif == "24_AF_0000002"


async def test_returned_for_correction_then_corrected_and_confirmed_again(world: World) -> None:
    action = await add(world, Funder.POLE_EMPLOI, intitule="Soudeur TIG")
    client = await staff(world)
    await client.press("Confirmées (1)")
    await client.press(f"{action.reference}")
    await client.press(blabel("send_back"))
    assert "Écrivez ce que l'organisme doit corriger" in client.text
    await client.send("Le Formacode 42752 ne correspond pas au contenu.")
    assert f"Action {action.reference} renvoyée pour correction" in client.text
    stored = await stored_after(
        world, action, Status.RETURNED, ("returned", {"comment": "Le Formacode 42752 ne correspond pas au contenu."})
    )
    assert stored.staff_comment == "Le Formacode 42752 ne correspond pas au contenu."

    member = await member_opens(world, "À corriger (1)", action)
    assert "Commentaire du Carif-Oref : Le Formacode 42752 ne correspond pas au contenu." in member.text
    await member.press(label("op_modify"))
    assert "Récapitulatif" in member.text and "Le Formacode 42752" in member.text
    await member.press(label("confirm"))
    await member.press(label("confirm_yes"))
    assert "confirmée" in member.text
    again = await world.get_action(action.id)
    assert again is not None and again.status is Status.SUBMITTED and again.staff_comment is None


async def test_etat_justification_marked_received_then_approved(world: World) -> None:
    action = await add(world, Funder.ETAT_EMPLOI, intitule="Agent de sécurité")
    client = await staff(world)
    await client.press("Justificatifs reçus (1)")
    await client.press(f"{action.reference}")
    assert "Justificatif de financement : convention.pdf (pas encore marqué reçu)" in client.text
    assert blabel("approve") not in client.labels  # not before the justification is received
    await client.press(blabel("download"))
    assert "convention.pdf" in client.text and "application/pdf" in client.text
    await client.press(blabel("justification"))
    assert "marqué comme reçu" in client.text
    assert blabel("justification") not in client.labels
    await client.press(blabel("approve"))
    assert f"Action {action.reference} validée" in client.text
    assert blabel("publish") in client.labels

    stored = await world.get_action(action.id)
    assert stored is not None and stored.justificatif_recu and stored.status is Status.APPROVED
    assert [k for k, _ in await events(world, action.id)] == ["justification_received", "approved"]
    await client.command("menu")
    assert "Justificatifs reçus (0)" in client.labels


async def test_the_region_vote_approves_three_actions_and_reports_an_unknown_one(world: World) -> None:
    voted = [await add(world, Funder.REGION, intitule=f"Action Région {i}") for i in range(3)]
    left = await add(world, Funder.REGION, intitule="Pas votée")
    client = await staff(world)
    await client.press(blabel("vote"))
    assert "une par ligne ou séparées par des virgules" in client.text
    await client.send(f"{voted[0].reference}\n{voted[1].reference}, {voted[2].reference}\nFB-999999")
    assert "3 action(s) validée(s), 1 erreur(s), sur 4 référence(s)" in client.text
    assert "FB-999999 : ERREUR, action introuvable." in client.text
    assert f"{voted[0].reference} : validée par le vote de la Région" in client.text
    assert "Carif-Oref · actions de formation" in client.text  # back at the menu
    for action in voted:
        stored = await world.get_action(action.id)
        assert stored is not None and stored.status is Status.APPROVED
        assert await events(world, action.id) == [("approved", {"via": "vote"})]
    assert (await world.get_action(left.id)).status is Status.SUBMITTED
    assert "Validées, à publier (3)" in client.labels


async def test_the_vote_reports_wrong_funder_wrong_status_and_duplicates(world: World) -> None:
    ok = await add(world, Funder.REGION)
    pe = await add(world, Funder.POLE_EMPLOI)
    draft = await add(world, Funder.REGION, Status.DRAFT)
    published = await add(world, Funder.REGION, Status.PUBLISHED, reference_carif="24_AF_0000009")
    async with world.uow_factory() as uow:
        report = await operations.record_region_vote(
            uow, Actor.staff(STAFF_USER),
            [ok.reference, pe.reference, draft.reference, "24_AF_0000009", ok.reference.lower(), "X"],
        )
        await uow.commit()
    assert [line.outcome for line in report.lines] == [
        VoteOutcome.APPROVED, VoteOutcome.WRONG_FUNDER, VoteOutcome.WRONG_STATUS,
        VoteOutcome.ALREADY, VoteOutcome.DUPLICATE, VoteOutcome.UNKNOWN,
    ]
    assert not report.ok and len(report.failed) == 3
    assert "financée par « Pôle emploi »" in line_message(report.lines[1])
    assert "« En cours de création »" in line_message(report.lines[2])
    assert (await world.get_action(ok.id)).status is Status.APPROVED
    assert (await world.get_action(pe.id)).status is Status.SUBMITTED
    assert (await world.get_action(draft.id)).status is Status.DRAFT
    assert (await world.get_action(published.id)).status is Status.PUBLISHED


async def test_an_empty_vote_is_refused(world: World) -> None:
    client = await staff(world)
    await client.press(blabel("vote"))
    await client.send(" , ;")
    assert "Aucune référence d'action" in client.text
    assert "Vote de la Région" in client.text


async def test_operations_refuse_what_the_lifecycle_refuses(world: World) -> None:
    region = await add(world, Funder.REGION)
    etat = await add(world, Funder.ETAT_AUTRES)
    who = Actor.staff(STAFF_USER)
    async with world.uow_factory() as uow:
        with pytest.raises(OperationRefused, match="vote de la commission permanente"):
            await operations.approve(uow, who, region.reference)
        with pytest.raises(OperationRefused, match="vote de la Région"):
            await operations.publish(uow, who, region.id, now=NOW)
        with pytest.raises(OperationRefused, match="justificatif"):
            await operations.approve(uow, who, etat.reference)
        with pytest.raises(OperationRefused) as too_long:
            await operations.return_for_correction(uow, who, etat.id, "x" * 1001)
        assert "1000 caractères" in describe(too_long.value)
        with pytest.raises(OperationRefused, match="commentaire"):
            await operations.return_for_correction(uow, who, etat.id, "   ")
    assert (await world.get_action(region.id)).status is Status.SUBMITTED
    assert await events(world, etat.id) == []


async def test_staff_refuses_too_and_a_gone_action_is_not_found(world: World) -> None:
    action = await add(world, Funder.AGEFIPH)
    await add(world, Funder.AGEFIPH)  # the list keeps a « view » button once the first is refused
    client = await staff(world)
    await client.press("Confirmées (2)")
    await client.press(f"{action.reference}")
    await client.press(blabel("refuse"))
    await client.send("Hors du champ de l'appel d'offres")
    await client.press(blabel("refuse_yes"))
    assert (await world.get_action(action.id)).status is Status.REFUSED
    await client.send("FB-999999")
    assert client.text.count("Action introuvable : « FB-999999 »") == 1
    seq = client.keyboard[0][0].payload.split(":")[0]
    await client.press_payload(f"{seq}:view:999999")
    assert "introuvable" in client.text


async def test_a_member_is_not_staff(world: World) -> None:
    action = await add(world, Funder.AGEFIPH, Status.APPROVED)
    member = world.client()
    await member.command("menu")
    assert "Vos actions de formation" in member.text
    await member.send(action.reference)
    assert "Je n'attends pas de texte ici" in member.text
    assert (await world.get_action(action.id)).status is Status.APPROVED
