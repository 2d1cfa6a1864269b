"""A person linked to several organisations: until they choose one, every command or input keeps
them on the choice (no screen of an organisation can be shown without one), and nothing crashes."""

from __future__ import annotations

import pytest

from domain.ports import Membership, Role
from tests.dialogs.support import ORG_A_USER, World

CHOOSE = "Pour quel organisme"


async def _link_to_b(world: World) -> None:
    async with world.uow_factory() as uow:
        await uow.members.add(Membership(user_id=ORG_A_USER, role=Role.MEMBER, organisation_id=world.org_b),
                              chat_id=ORG_A_USER)
        await uow.commit()


@pytest.mark.parametrize("command", ["menu", "start", "nouvelle", "dates", "annuler", "aide"])
async def test_a_command_before_choosing_the_organisation_asks_the_choice_again(
    world: World, command: str
) -> None:
    await _link_to_b(world)
    client = world.client(ORG_A_USER)
    await client.command("menu")
    assert CHOOSE in client.text
    await client.command(command)
    assert CHOOSE in client.text, client.text[-300:]
    await client.press("Concurrent SA")
    assert "Concurrent SA" in client.text and "Vos actions de formation" in client.text


async def test_text_and_stale_buttons_before_choosing_keep_the_choice(world: World) -> None:
    await _link_to_b(world)
    client = world.client(ORG_A_USER)
    await client.command("menu")
    await client.send("bonjour")
    assert CHOOSE in client.text
    await client.press_payload("1:list:draft")  # a forged or old button of the menu
    assert CHOOSE in client.text
    await client.press("Forma Sud")
    assert "Forma Sud" in client.text
