"""Help that knows where you are (issue 15, item 12): /aide gives the help of the screen shown.

Every ScreenName has its own help text (``templates/help/<name>.j2``), different from every other
one; /aide on a few screens, on both storages, shows that screen's help and the same screen again.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dialogs.render import html_to_text
from dialogs.router import help_text
from dialogs.state import DialogState, ScreenName
from domain.funders import Funder
from domain.models import Status
from tests.dialogs.backoffice_support import add, staff, validator
from tests.dialogs.support import World, current_field, open_draft
from tests.factories import make_valid_action

HELP = Path(__file__).parents[2] / "dialogs" / "templates" / "help"


def test_every_screen_has_its_own_help() -> None:
    files = {p.stem for p in HELP.glob("*.j2") if not p.stem.startswith("_")}
    assert files == {name.value for name in ScreenName}, "one help/<ScreenName>.j2 per screen, no other"
    texts = {name: html_to_text(help_text(name, DialogState(screen=name))) for name in ScreenName}
    for name, words in texts.items():
        assert words.startswith("Aide · "), name
        assert len(words) > 60, name
    assert len(set(texts.values())) == len(ScreenName), "two screens share a help text"
    assert "Vous êtes au menu" not in texts[ScreenName.CREATE]


async def _aide(client) -> str:
    await client.command("aide")
    return client.text


async def test_aide_on_the_create_screen_is_about_creating(world: World) -> None:
    client = world.client()
    await client.command("menu")
    await client.press("➕ Créer une action")
    words = await _aide(client)
    assert "Aide · créer une action" in words and "financeur principal" in words
    assert "Vous êtes au menu" not in words
    assert "Créer une action de formation" in words  # the same screen again, below the help


async def test_aide_on_a_question_a_view_and_the_recap(world: World) -> None:
    draft = await world.add_action(make_valid_action(Funder.REGION, organisation_id=world.org_a))
    client = world.client()
    await open_draft(client, draft)
    assert "Aide · récapitulatif" in await _aide(client)
    await client.press("✏ Présentation générale")
    await client.press("Intitulé de la formation *")
    field = current_field(client)
    words = await _aide(client)
    assert "Aide · formulaire" in words and current_field(client) == field  # still at that question
    await client.command("menu")
    await client.press("En cours de création (1)")
    await client.press(draft.reference)
    words = await _aide(client)
    assert "Aide · une action" in words and "Vous êtes au menu" not in words


@pytest.mark.parametrize("who", ["staff", "validator"])
async def test_aide_in_the_back_office_screens(world: World, who: str) -> None:
    action = await add(world, Funder.POLE_EMPLOI, Status.SUBMITTED)
    if who == "staff":
        client = await staff(world)
        await client.press("Confirmées")
        assert "Aide · file d'attente du Carif-Oref" in await _aide(client)
        await client.press(action.reference)
        assert "Aide · action à instruire" in await _aide(client)
    else:
        client = await validator(world, Funder.POLE_EMPLOI, 2001)
        await client.command("menu")
        await client.press("📋 Actions proposées à Pôle emploi (1)")
        assert "Aide · actions proposées" in await _aide(client)
        await client.press(action.reference)
        assert "Aide · décider d'une action" in await _aide(client)
        await client.press("❌ Refuser")
        assert "Aide · motif du refus" in await _aide(client)
