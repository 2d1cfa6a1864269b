"""The create screen offers one button per row of the funders' table, and each starts its form.

The buttons come from the table (``domain/funders.py``), not from a list in the screen: a row added
to the table is offered, a row taken out is not.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.funders import FUNDERS, Funder
from tests.dialogs.support import World
from tests.labels import label

ROWS = list(FUNDERS.items())
CREATE = label("create")


async def _create_screen(world: World):
    client = world.client()
    await client.command("start")
    await client.press(CREATE)
    return client


async def test_the_create_screen_offers_the_table_in_its_order(world: World) -> None:
    client = await _create_screen(world)
    offered = [label for label in client.labels if label in {row.label for row in FUNDERS.values()}]
    assert offered == [row.label for row in FUNDERS.values()]


@pytest.mark.parametrize("funder", list(FUNDERS), ids=lambda f: f.value)
async def test_each_row_starts_a_form_for_its_funder(world: World, funder: Funder) -> None:
    client = await _create_screen(world)
    await client.press(funder.label)
    assert f"Nouvelle action financée par : {funder.label}" in client.text
    await client.send("Soudeur TIG")
    await client.press(label("save"))
    [draft] = await world.actions()
    assert draft.funder is funder and draft.intitule == "Soudeur TIG"


async def test_the_screen_reads_the_rows_not_a_list_of_its_own(world: World) -> None:
    # A row taken out of the table is no longer offered; a row's label is the button's. The table
    # is changed in place (the screen holds it) and put back whole, in its order (undoing a
    # delitem would put the row back at the end; the table's order is tested elsewhere).
    saved = dict(FUNDERS)
    try:
        del FUNDERS[Funder.AGEFIPH]
        FUNDERS[Funder.REGION] = replace(FUNDERS[Funder.REGION], label="Département (essai)")
        client = await _create_screen(world)
        assert "Agefiph" not in client.labels and "Région" not in client.labels
        await client.press("Département (essai)")
        assert "Nouvelle action financée par : Département (essai)" in client.text
    finally:
        FUNDERS.clear()
        FUNDERS.update(saved)
