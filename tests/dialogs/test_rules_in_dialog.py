"""Each Région rule violated in the conversation is refused with its message; fixing it goes on."""

from __future__ import annotations

import pytest

from tests.dialogs.support import World, current_field, fill
from tests.dialogs.test_intake import start_action
from tests.labels import label


async def general_done(world: World, overrides: dict[str, str] | None = None):
    client = await start_action(world)
    await fill(client, overrides)
    return client


async def test_purchase_order_other_than_1_blocks_the_first_session(world: World) -> None:
    client = await general_done(world, {"numero_bon_commande": "2"})
    assert "bon de commande n° 1" in client.text
    assert current_field(client).key == "numero_bon_commande"
    await client.send("1")
    # The walk goes on from there, then the session loop opens.
    await fill(client)
    assert "Ajouter la session n° 1" in client.labels[0]


@pytest.mark.parametrize(
    ("session", "fragment"),
    [
        ({"debut": "15/09/2027", "fin": "15/10/2027"}, "semestre"),  # S1 2027 expected
        ({"debut": "15/03/2027", "fin": "16/09/2028"}, "18 mois"),
    ],
)
async def test_session_breaking_a_region_rule_is_refused(world: World, session: dict[str, str], fragment: str) -> None:
    client = await general_done(world)
    await client.press(label("add_session", number=1))
    await fill(client, session)
    assert fragment in client.text, client.text
    assert current_field(client) is not None  # back on a question, not on the session list
    await client.send("15/03/2027" if current_field(client).key == "debut" else "15/09/2028")
    await fill(client)
    assert "Session n° 1 :" in client.text and "⚠️" not in client.text


async def test_last_session_more_than_18_months_after_the_first_is_refused(world: World) -> None:
    client = await general_done(world)
    await client.press(label("add_session", number=1))
    await fill(client, {"debut": "15/03/2027", "fin": "30/06/2027"})
    await client.press(label("add_session", number=2))
    await fill(client, {"debut": "01/09/2028", "fin": "30/09/2028"})
    assert "18 mois" in client.text
    assert "Session n° 2" in client.text


async def test_end_before_start_is_refused(world: World) -> None:
    client = await general_done(world)
    await client.press(label("add_session", number=1))
    await fill(client, {"debut": "15/03/2027", "fin": "14/03/2027"})
    assert "⚠️" in client.text
    assert current_field(client).key in ("fin", "debut")


async def test_certifiante_non_does_not_ask_certifications(world: World) -> None:
    client = await start_action(world)
    asked = await fill(client, {"certifiante": "non"})
    assert "certifications" not in asked


async def test_distance_learning_does_not_ask_the_training_place(world: World) -> None:
    client = await start_action(world)
    asked = await fill(client, {"modalites_enseignement": "entièrement à distance"})
    assert "lieu_formation" not in asked


async def test_etat_asks_the_convention_and_the_justification(world: World) -> None:
    client = await start_action(world, "État – ministère chargé de l'emploi")
    asked = await fill(client)
    assert "reference_convention" in asked and "justificatif" in asked
    assert "numero_marche" not in asked
