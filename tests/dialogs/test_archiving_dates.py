"""Dates said once and right (issue 15, item 10): the last public day and the archiving day.

Every place says them with one macro (``templates/archiving.j2``): « publique jusqu'au X inclus,
archivage automatique le Y », Y the day after X. Fixed entry dates: X is the eve of the last
session's start (a session starting today has started); permanent entries or modular parcours: X is
the last session's end day (the end day itself is public).
"""

from __future__ import annotations

from datetime import date

import pytest

from domain.funders import Funder
from domain.models import Status
from tests.dialogs.support import World
from tests.factories import make_session, make_valid_action


async def _published(world: World, **overrides: object):
    return await world.add_action(make_valid_action(
        Funder.POLE_EMPLOI, organisation_id=world.org_a, status=Status.PUBLISHED,
        reference_carif="24_000001",
        sessions=[make_session(date(2027, 3, 15), date(2027, 6, 30)),
                  make_session(date(2027, 9, 13), date(2027, 12, 17))],
        **overrides,
    ))


@pytest.mark.parametrize(
    ("overrides", "last_day", "archiving_day"),
    [
        ({}, "12/09/2027", "13/09/2027"),  # fixed entry dates: the eve of the last start
        ({"entrees_sorties": "1"}, "17/12/2027", "18/12/2027"),  # permanent: the end day itself
        ({"parcours": "3"}, "17/12/2027", "18/12/2027"),  # modular: likewise
    ],
    ids=["fixed", "permanent", "modular"],
)
async def test_the_view_says_the_last_public_day_and_the_archiving_day(
    world: World, overrides: dict[str, str], last_day: str, archiving_day: str
) -> None:
    action = await _published(world, **overrides)
    client = world.client()
    await client.command("menu")
    await client.press("Publiées (1)")
    await client.press(f"{action.reference}")
    assert (
        f"Publique jusqu'au {last_day} inclus, archivage automatique le {archiving_day}, "
        "si ses dates ne changent pas." in client.text
    ), client.text
    assert "ce jour-là" not in client.text


async def test_a_date_update_says_the_new_dates_the_same_way(world: World) -> None:
    action = await _published(world)
    client = world.client()
    await client.command("menu")
    await client.press_payload(f"g:dates:{action.id}")  # as the reminder's button
    await client.press("Session n° 2")
    await client.send("du 04/10/2027 au 17/12/2027")
    assert "Dates enregistrées" in client.text, client.text
    assert "L'action est publique jusqu'au 03/10/2027 inclus, archivage automatique le 04/10/2027." in client.text
