"""The organisation's Carif-Oref reference (issue 15, item 7): given by the staff in the chat (from
an action's « 🏢 Organisme ») through ``backoffice.set_organisation_reference``, audited, told to the
organisation, shown on its fiche organisme; never set by the organisation itself."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from dialogs.operations import describe
from domain.errors import DomainError
from domain.funders import Funder
from domain.models import Organisation
from domain.services import backoffice
from domain.services.actors import Actor
from storage.tables import audit, outbox
from tests.dialogs.backoffice_support import add, staff
from tests.dialogs.support import ORG_A_USER, ORG_A_USER_2, World
from tests.fakes import FakeUnitOfWork
from tests.labels import blabel, label


async def _org(world: World, organisation_id: int) -> Organisation:
    async with world.uow_factory() as uow:
        org = await uow.organisations.get(organisation_id)
    assert org is not None
    return org


async def _organisation_events(world: World, organisation_id: int) -> list[dict[str, Any]]:
    """The organisation's reference changes as published: the fakes' events, SQLite's audit rows
    (about no action, the organisation named)."""
    uow = world.uow_factory()
    if isinstance(uow, FakeUnitOfWork):
        return [dict(e.payload) for e in uow.store.events
                if e.kind.value == "organisation_reference" and e.organisation_id == organisation_id]
    async with uow:
        rows = (await uow.connection.execute(  # type: ignore[attr-defined]
            select(audit.c.details, audit.c.action_id, audit.c.actor_user_id)
            .where(audit.c.organisation_id == organisation_id, audit.c.kind == "organisation_reference")
            .order_by(audit.c.id)
        )).all()
    assert all(action_id is None and actor == 9001 for _, action_id, actor in rows)
    return [dict(details) for details, _, _ in rows]


async def _told(world: World, kind: str) -> list[int] | None:
    uow = world.uow_factory()
    if isinstance(uow, FakeUnitOfWork):
        return None
    async with uow:
        rows = (await uow.connection.execute(  # type: ignore[attr-defined]
            select(outbox.c.chat_id).where(outbox.c.kind == kind)
        )).all()
    return sorted(chat for (chat,) in rows)


async def _open_organisation(world: World, reference: str) -> Any:
    client = await staff(world)
    await client.send(reference)  # a reference typed at the staff menu opens the action
    await client.press(blabel("organisation"))
    return client


async def test_staff_give_the_reference_the_fiche_shows_it_and_the_organisation_is_told(world: World) -> None:
    action = await add(world, Funder.REGION)
    client = await _open_organisation(world, action.reference or "")
    assert "Organisme n°" in client.text and "Forma Sud" in client.text
    assert "Référence Carif-Oref de l'organisme : pas encore attribuée" in client.text
    await client.send(" 7320143 ")
    assert "Référence Carif-Oref 7320143 attribuée à l'organisme Forma Sud" in client.text
    assert "Référence Carif-Oref de l'organisme : 7320143" in client.text

    org = await _org(world, world.org_a)
    assert org.reference_carif == "7320143" and org.version == 1
    assert await _organisation_events(world, world.org_a) == [
        {"reference_carif": "7320143", "discriminator": f"o{world.org_a}v1"}
    ]
    told = await _told(world, "organisation_reference")
    assert told in (None, sorted([ORG_A_USER, ORG_A_USER_2]))  # both members of Forma Sud

    member = world.client(ORG_A_USER)
    await member.command("menu")
    await member.press(label("fiche"))
    assert "Votre référence Carif-Oref : 7320143" in member.text

    # Changed later: audited with the previous one; the same again changes nothing.
    await client.send("CO-ORG-12")
    await client.send("CO-ORG-12")
    assert (await _org(world, world.org_a)).reference_carif == "CO-ORG-12"
    assert [e.get("previous") for e in await _organisation_events(world, world.org_a)] == [None, "7320143"]
    await client.press("⬅ Retour à l'action")
    assert action.reference in client.text and blabel("organisation") in client.labels


async def test_a_reference_of_another_organisation_or_malformed_is_refused(world: World) -> None:
    mine = await add(world, Funder.REGION)
    theirs = await add(world, Funder.REGION, organisation_id=world.org_b)
    other = await _open_organisation(world, theirs.reference or "")
    await other.send("7320143")
    client = await _open_organisation(world, mine.reference or "")
    await client.send("7320143")
    assert "déjà celle de l'organisme" in client.text and "Concurrent SA" in client.text
    await client.send("7320 143 ; x")
    assert "Référence Carif-Oref invalide" in client.text
    assert (await _org(world, world.org_a)).reference_carif is None
    assert await _organisation_events(world, world.org_a) == []


async def test_the_organisation_cannot_set_its_reference(world: World) -> None:
    member = world.client(ORG_A_USER)
    await member.command("menu")
    await member.press(label("fiche"))
    assert "Votre référence Carif-Oref : pas encore attribuée" in member.text
    assert not any("Carif-Oref" in label for label in member.labels)
    # A forged button asking the fiche's question for the reference is refused.
    some = member.button("Téléphone").payload
    await member.press_payload(some.rsplit(":", 1)[0] + ":reference_carif")
    assert "Ce bouton ne s'applique pas ici" in member.text
    # The use case refuses anyone but the staff.
    async with world.uow_factory() as uow:
        with pytest.raises(DomainError) as refused:
            await backoffice.set_organisation_reference(
                uow, Actor.validator(Funder.POLE_EMPLOI), world.org_a, "7320143")
    assert "Seul le Carif-Oref peut attribuer la référence Carif-Oref" in describe(refused.value)
    assert (await _org(world, world.org_a)).reference_carif is None


async def test_a_fiche_answer_keeps_the_reference_given_meanwhile(world: World) -> None:
    member = world.client(ORG_A_USER)
    await member.command("menu")
    await member.press(label("fiche"))
    await member.press("Téléphone")  # the fiche as it was is in the member's question
    async with world.uow_factory(actor_user_id=9001) as uow:
        await backoffice.set_organisation_reference(uow, Actor.staff(9001), world.org_a, "7320143")
        await uow.commit()
    await member.send("05 34 00 00 02")
    org = await _org(world, world.org_a)
    assert (org.telephone, org.reference_carif) == ("05 34 00 00 02", "7320143")
    assert "Votre référence Carif-Oref : 7320143" in member.text
