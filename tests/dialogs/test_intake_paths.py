"""Issue 15, items 3 and 5: the same rule on every path that adds a session, and « Sauvegarder »
that keeps the user where they are (« Modifier » reopens the draft there)."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.funders import Funder
from domain.models import Action, Status
from tests.dialogs.support import World, current_field, fill, open_draft
from tests.dialogs.test_intake import start_action
from tests.factories import make_valid_action
from tests.labels import KEEP_MINE, label

SAVE = label("save")
TEMPLATES = Path(__file__).parents[2] / "dialogs" / "templates"


async def _draft(world: World, **values: object) -> Action:
    action = make_valid_action(Funder.REGION, organisation_id=world.org_a)
    action.sessions = []
    for key, value in values.items():
        action.set(key, value)
    return await world.add_action(action)


async def _modify(world: World, action: Action, user: int | None = None):
    client = world.client(user) if user is not None else world.client()
    await client.command("menu")
    await client.press("En cours de création")
    await client.press(f"{action.reference}")
    await client.press(label("op_modify"))
    return client


# Item 3 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["recap", "sessions"])
async def test_general_errors_block_the_first_session_on_every_path(
    world: World, where: str
) -> None:
    """« ➕ Ajouter la session n° 1 » from the récapitulatif or from the sessions screen: the errors
    in the general data are shown with the first of them asked again, and no session is added."""
    draft = await _draft(world, numero_bon_commande=2, resume_at=where)
    client = await _modify(world, draft)
    assert ("Récapitulatif" if where == "recap" else "Sessions de formation") in client.text
    await client.press(label("add_session", number=1))
    assert "bon de commande n° 1" in client.text and "⚠" in client.text
    assert current_field(client).key == "numero_bon_commande"
    assert "Session n° 1" not in client.text
    await client.send("1")
    await fill(client)  # the rest of the general data, then the session loop
    assert client.labels[0] == label("add_session", number=1)
    await client.press(label("add_session", number=1))
    assert "Session n° 1" in client.text and current_field(client).key == "debut"


async def test_a_valid_draft_adds_its_first_session_from_the_recap(world: World) -> None:
    draft = await _draft(world)
    client = world.client()
    await open_draft(client, draft)
    await client.press(label("add_session", number=1))
    assert "Session n° 1" in client.text and current_field(client).key == "debut"


# Item 5 -------------------------------------------------------------------------------------------


async def test_save_on_a_question_stays_there_and_modify_reopens_it(world: World) -> None:
    client = await start_action(world)
    await fill(client, until="resultats_attendus")
    await client.press(SAVE)
    assert "💾 Votre saisie est sauvegardée" in client.text
    assert current_field(client).key == "resultats_attendus"
    [saved] = await world.actions()
    assert saved.status is Status.DRAFT and saved.objectif is not None
    assert saved.resume_at == "resultats_attendus"
    # Answering goes on from there, and the next save replaces the position.
    await fill(client, until="certifiante")
    await client.press(SAVE)
    assert current_field(client).key == "certifiante"
    # Another day (or a colleague): « Modifier » reopens the question where it was saved.
    colleague = await _modify(world, saved, user=7002)
    assert current_field(colleague).key == "certifiante"
    assert "Récapitulatif" not in colleague.text


async def test_save_in_a_session_reopens_that_session_question(world: World) -> None:
    client = await start_action(world)
    await fill(client)
    await client.press(label("add_session", number=1))
    await fill(client, until="adresse_inscription")
    await client.press(SAVE)
    assert "sauvegardée" in client.text and current_field(client).key == "adresse_inscription"
    [saved] = await world.actions()
    assert len(saved.sessions) == 1 and saved.sessions[0].fin is not None
    reopened = await _modify(world, saved)
    assert "Session n° 1" in reopened.text and current_field(reopened).key == "adresse_inscription"


@pytest.mark.parametrize(
    ("where", "shown"), [("sessions", "Sessions de formation"), ("recap", "Récapitulatif")]
)
async def test_save_on_the_sessions_screen_or_the_recap_stays_and_reopens_there(
    world: World, where: str, shown: str
) -> None:
    client = await start_action(world)
    await fill(client)
    await client.press(label("add_session", number=1))
    await fill(client)
    if where == "recap":
        await client.press("Terminer votre saisie")
    assert shown in client.text
    await client.press(SAVE)
    assert shown in client.text and "💾 Votre saisie est sauvegardée" in client.text
    [saved] = await world.actions()
    assert saved.resume_at == where
    reopened = await _modify(world, saved)
    assert shown in reopened.text


async def test_a_position_that_no_longer_applies_reopens_the_recap(world: World) -> None:
    draft = await _draft(world, resume_at="sessions[3].fin")  # no such session
    client = world.client()
    await open_draft(client, draft)  # asserts the récapitulatif


async def test_the_words_say_what_saving_and_quitting_do(world: World) -> None:
    """No « tout est enregistré au fur et à mesure » while « Quitter » can drop changes."""
    client = await start_action(world)
    assert (
        "au fur et à mesure" not in client.text
        and "« 💾 Sauvegarder » les enregistre" in client.text
    )
    await client.command("aide")
    assert "enregistrée tout de suite" not in client.text and "continuer ici" in client.text
    for template in TEMPLATES.rglob("*.j2"):
        words = template.read_text(encoding="utf-8")
        assert "au fur et à mesure" not in words, template
        assert "enregistrée tout de suite" not in words, template


async def test_save_that_meets_a_colleagues_change_comes_back_once_chosen(world: World) -> None:
    """« Sauvegarder » on a question finds the same field changed by a colleague: once the user
    chose, the draft is saved and the user is back on that question (not at the menu)."""
    draft = await _draft(world, resume_at="objectif")
    member, colleague = await _modify(world, draft), await _modify(world, draft, user=7002)
    await colleague.send("Objectif du collègue.")
    await colleague.press(SAVE)
    await member.send("Objectif du membre.")
    assert current_field(member).key == "resultats_attendus"
    await member.press(SAVE)
    assert "Objectif du collègue." in member.text and "Objectif du membre." in member.text
    await member.press(KEEP_MINE)
    assert "💾 Votre saisie est sauvegardée" in member.text
    assert current_field(member).key == "resultats_attendus"
    stored = await world.get_action(draft.id)
    assert stored.objectif == "Objectif du membre." and stored.resume_at == "resultats_attendus"
