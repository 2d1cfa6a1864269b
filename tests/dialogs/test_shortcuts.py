"""Shortcuts where a value is already known (issue 16, item 4): one tap for an address given
earlier in the action, « Passer les questions facultatives de cette partie » once per part.

Runs on the in-memory fakes and on SQLite (``world`` fixture).
"""

from __future__ import annotations

from domain.catalogue import session_field
from tests.dialogs.support import World, current_field, fill
from tests.dialogs.test_intake import start_action

SKIP_PART = "⏭ Passer les questions facultatives de cette partie"


async def test_passing_a_parts_optional_questions_asks_its_required_ones_then_the_next_part_as_usual(
    world: World,
) -> None:
    client = await start_action(world)
    asked = await fill(client, until="objectif_general")
    assert asked[-1] == "codes_rome" and current_field(client).key == "objectif_general"
    assert SKIP_PART in client.labels
    await client.press(SKIP_PART)
    asked = await fill(client, until="info_public")
    # « Niveau de sortie » and « Page internet de la formation » (optional, same part) are not asked.
    assert asked == ["parcours", "niveau_entree", "contact_formation", "publics"]
    assert SKIP_PART in client.labels  # the next part: asked as usual, its own button
    asked = await fill(client, until="heures_entreprise")
    assert asked[0] == "info_public"
    await client.press(SKIP_PART)
    assert current_field(client).key == "prix_total"  # the next part's first question
    await client.press("💾 Sauvegarder")
    [action] = await world.actions()
    assert (
        action.heures_entreprise == 0 and action.duree_indicative is None
    )  # the defaults « Passer » gives
    assert action.niveau_sortie is None and action.url_formation is None


async def test_a_required_question_has_no_such_button(world: World) -> None:
    client = await start_action(world)
    assert current_field(client).key == "intitule" and SKIP_PART not in client.labels


async def test_a_sessions_address_is_one_tap_in_the_next_session(world: World) -> None:
    client = await start_action(world)
    await fill(client)
    await client.press("➕ Ajouter la session n° 1")
    await fill(client, {"adresse_inscription": "Mairie annexe\n12 place du Marché\n31500 Toulouse"})
    await client.press("➕ Ajouter la session n° 2")
    await fill(client, {"debut": "01/04/2027", "fin": "30/09/2027"}, until="adresse_inscription")
    assert "Adresse de la session n° 1" in client.labels
    assert "Adresse de l'organisme" in client.labels and "Lieu de formation" in client.labels
    await client.press("Adresse de la session n° 1")
    assert current_field(client).key == "inscription_debut"
    await client.press("💾 Sauvegarder")
    [action] = await world.actions()
    first, second = action.sessions
    assert (
        second.adresse_inscription
        == first.adresse_inscription
        == session_field("adresse_inscription").parse(
            "Mairie annexe\n12 place du Marché\n31500 Toulouse"
        )
    )
