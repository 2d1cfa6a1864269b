"""Linking with a one-time code: /start CODE, wrong codes, the lock after five."""

from __future__ import annotations

from domain.funders import Funder
from domain.ports import Role
from tests.dialogs.support import World
from tests.labels import CHANGE_ORGANISATION


async def new_code(world: World, role: Role = Role.MEMBER, **target: object) -> str:
    async with world.uow_factory() as uow:
        code = await uow.link_codes.create(role, **target)
        await uow.commit()
    return code


async def test_link_with_a_code_then_the_menu(world: World) -> None:
    code = await new_code(world, organisation_id=world.org_a)
    newcomer = world.client(user_id=5555)
    await newcomer.command("start")
    assert "code de rattachement" in newcomer.text
    await newcomer.command("start", code)
    assert "Bienvenue" in newcomer.text and "Forma Sud" in newcomer.text
    assert "Vos actions de formation" in newcomer.text
    # Single use: someone else cannot reuse it.
    other = world.client(user_id=5556)
    await other.command("start", code)
    assert "n'est pas valable" in other.text


async def test_five_wrong_codes_lock_the_user_out_even_with_a_good_code(world: World) -> None:
    good = await new_code(world, organisation_id=world.org_a)
    intruder = world.client(user_id=6666)
    for i in range(5):
        await intruder.command("start", f"WRONG-{i}")
        assert "n'est pas valable" in intruder.text
    await intruder.command("start", good)
    assert "Trop de codes erronés" in intruder.text
    await intruder.command("menu")
    assert "code de rattachement" in intruder.text


async def test_a_person_in_two_organisations_chooses(world: World) -> None:
    code = await new_code(world, organisation_id=world.org_b)
    client = world.client()  # already a member of organisation A
    await client.command("start", code)
    assert "Pour quel organisme travaillez-vous ?" in client.text
    await client.press("Concurrent SA")
    assert "Vos actions de formation" in client.text and "Concurrent SA" in client.text
    await client.press(CHANGE_ORGANISATION)
    await client.press("Forma Sud")
    assert "Forma Sud" in client.text


async def test_validator_code_links_to_the_funder(world: World) -> None:
    code = await new_code(world, Role.VALIDATOR, funder=Funder.POLE_EMPLOI)
    validator = world.client(user_id=4444)
    await validator.command("start", code)
    assert "Pôle emploi" in validator.text
