"""The intake conversation, played as a user: from the menu to a confirmed action."""

from __future__ import annotations

from datetime import date

from domain.funders import Funder
from domain.models import Status
from tests.dialogs.support import World, current_field, fill
from tests.labels import label


async def start_action(world: World, funder_label: str = "Région"):
    client = world.client()
    await client.command("start")
    assert "Vos actions de formation" in client.text
    await client.press(label("create"))
    await client.press(funder_label)
    return client


async def test_full_region_action_with_two_sessions_from_menu_to_confirmation(world: World) -> None:
    client = await start_action(world)
    assert "Données générales · question 1/" in client.text
    assert "Intitulé de la formation *" in client.text
    assert "0/255 caractères" in client.text
    asked = await fill(client)
    assert asked[0] == "intitule" and "semestre_debut" in asked and "reference_convention" not in asked
    assert "Ajouter la session n° 1" in client.labels[0]
    await client.press(label("add_session", number=1))
    assert "Session n° 1 · question 1/8" in client.text
    await fill(client)
    await client.press(label("add_session", number=2))
    await fill(client, {"debut": "01/04/2027", "fin": "30/09/2027"})
    assert "Session n° 2 : 01/04/2027 → 30/09/2027" in client.text
    await client.press("Terminer votre saisie")
    assert "Récapitulatif" in client.text and "Session n° 2" in client.text
    assert "À compléter" not in client.text
    await client.press(label("confirm"))
    assert "ne pourra plus être modifiée" in client.text
    await client.press(label("confirm_yes"))
    assert "confirmée" in client.text and "En cours d'instruction (1)" in client.labels
    [action] = await world.actions()
    assert action.status is Status.SUBMITTED and action.funder is Funder.REGION
    assert [s.debut for s in action.sessions] == [date(2027, 3, 15), date(2027, 4, 1)]
    assert action.intitule == "Titre professionnel Secrétaire assistant"


async def test_a_wrong_answer_gets_the_domain_error_and_the_same_question(world: World) -> None:
    client = await start_action(world)
    await client.send("x" * 256)
    assert "256 caractères : 255 au plus" in client.text
    assert current_field(client).key == "intitule"
    await client.send("Soudeur TIG")
    assert current_field(client).key == "objectif"
