"""The fiche organisme edited by two members, by a member unlinked meanwhile, and completed at
« Confirmer » when it lacks required fields (issue 13, findings 7 and 15)."""

from __future__ import annotations

from domain.funders import Funder
from domain.models import Organisation, Status
from domain.ports import Membership, Role
from tests.dialogs.support import ORG_A_USER, ORG_A_USER_2, WARNING, World
from tests.factories import make_valid_action
from tests.labels import label, label_start
from tests.samples import VALID_SAMPLES

CONFIRM = label("confirm")
CONFIRM_YES = label("confirm_yes")


async def _org(world: World, organisation_id: int) -> Organisation:
    async with world.uow_factory() as uow:
        org = await uow.organisations.get(organisation_id)
    assert org is not None
    return org


async def _update_org(world: World, organisation_id: int, **values: object) -> None:
    async with world.uow_factory() as uow:
        org = await uow.organisations.get(organisation_id)
        assert org is not None
        for key, value in values.items():
            setattr(org, key, value)
        await uow.organisations.save(org)
        await uow.commit()


async def _open_field(client, field: str) -> None:  # type: ignore[no-untyped-def]
    await client.command("menu")
    await client.press(label("fiche"))
    await client.press(field)
    assert "Fiche organisme · question" in client.text, client.text


async def test_a_colleagues_change_to_another_field_is_kept(world: World) -> None:
    first, second = world.client(ORG_A_USER), world.client(ORG_A_USER_2)
    await _open_field(first, "Courriel")  # the fiche as it is now is in first's question
    await _open_field(second, "Téléphone")
    await second.send("05 34 00 00 02")
    assert "Fiche organisme enregistrée" in second.text
    await first.send("accueil@formasud.fr")
    assert "Fiche organisme enregistrée" in first.text
    assert "05 34 00 00 02" in first.text  # the fiche shown is the stored one, colleague's change in
    org = await _org(world, world.org_a)
    assert (org.telephone, org.courriel) == ("05 34 00 00 02", "accueil@formasud.fr")
    assert org.version == 2


async def test_the_same_field_changed_meanwhile_is_shown_and_not_overwritten(world: World) -> None:
    first, second = world.client(ORG_A_USER), world.client(ORG_A_USER_2)
    await _open_field(first, "Téléphone")
    await _open_field(second, "Téléphone")
    await second.send("05 34 00 00 02")
    await first.send("05 34 00 00 09")
    # First is told plainly, sees the colleague's value, and nothing of theirs was written.
    assert "Un autre membre de votre organisme a modifié « Téléphone »" in first.text
    assert "05 34 00 00 02" in first.text and "n'a donc pas été enregistrée" in first.text
    assert "Fiche organisme · question" in first.text
    assert (await _org(world, world.org_a)).telephone == "05 34 00 00 02"
    # Having seen it, first answers again: now the later answer wins.
    await first.send("05 34 00 00 09")
    assert "Fiche organisme enregistrée" in first.text
    assert (await _org(world, world.org_a)).telephone == "05 34 00 00 09"


async def test_keeping_the_shown_value_writes_nothing(world: World) -> None:
    first, second = world.client(ORG_A_USER), world.client(ORG_A_USER_2)
    await _open_field(first, "Téléphone")
    await _open_field(second, "Téléphone")
    await second.send("05 34 00 00 02")
    await first.press(label_start("keep", "value"))
    assert (await _org(world, world.org_a)).telephone == "05 34 00 00 02"


async def _unlink(world: World, membership: Membership) -> None:
    async with world.uow_factory() as uow:
        data = getattr(uow, "data", None)
        if data is not None:  # the in-memory fakes
            data.memberships.remove(membership)
        else:
            assert await uow.members.remove(membership)
        await uow.commit()


async def test_an_answer_after_being_unlinked_lands_in_no_organisation(world: World) -> None:
    async with world.uow_factory() as uow:
        await uow.members.add(Membership(user_id=ORG_A_USER, role=Role.MEMBER, organisation_id=world.org_b),
                              chat_id=ORG_A_USER)
        await uow.commit()
    client = world.client(ORG_A_USER)
    await client.command("menu")
    await client.press("Forma Sud")  # linked to two organisations: chooses A
    await client.press(label("fiche"))
    await client.press("Téléphone")
    before_a, before_b = await _org(world, world.org_a), await _org(world, world.org_b)
    await _unlink(world, Membership(user_id=ORG_A_USER, role=Role.MEMBER, organisation_id=world.org_a))
    await client.send("05 34 00 00 07")
    assert "Vous n'êtes plus membre de cet organisme" in client.text
    assert "n'a pas été enregistrée" in client.text
    assert await _org(world, world.org_a) == before_a
    assert await _org(world, world.org_b) == before_b


async def _recap_of(client, reference: str | None) -> None:  # type: ignore[no-untyped-def]
    await client.command("menu")
    await client.press("En cours de création (1)")
    await client.press(f"{reference}")
    await client.press(label("op_modify"))
    assert "Récapitulatif" in client.text


async def test_confirm_asks_the_missing_fiche_fields_then_comes_back(world: World) -> None:
    await _update_org(world, world.org_a, numero_activite=None, adresse=None, courriel=None, contact=None)
    draft = await world.add_action(make_valid_action(Funder.REGION, organisation_id=world.org_a))
    client = world.client()
    await _recap_of(client, draft.reference)
    await client.press(CONFIRM)
    assert "la fiche de votre organisme doit être complète" in client.text
    for name in ("Numéro de déclaration d'activité", "Adresse du siège", "Courriel", "Contact de l'organisme"):
        assert f"« {name} »" in client.text
    asked = []
    for key in ("numero_activite", "adresse", "courriel", "contact"):
        assert "Fiche organisme · question" in client.text, client.text
        asked.append(key)
        await client.send(VALID_SAMPLES[key])
        assert WARNING not in client.text, client.text
        assert (await world.get_action(draft.id or 0)).status is Status.DRAFT  # type: ignore[union-attr]
    assert "Fiche organisme complète" in client.text and "Confirmer l'action" in client.text
    await client.press(CONFIRM_YES)
    assert (await world.get_action(draft.id or 0)).status is Status.SUBMITTED  # type: ignore[union-attr]
    org = await _org(world, world.org_a)
    assert org.numero_activite == VALID_SAMPLES["numero_activite"] and org.contact is not None


async def test_back_while_completing_the_fiche_returns_to_the_recap_unconfirmed(world: World) -> None:
    await _update_org(world, world.org_a, numero_activite=None)
    draft = await world.add_action(make_valid_action(Funder.REGION, organisation_id=world.org_a))
    client = world.client()
    await _recap_of(client, draft.reference)
    await client.press(CONFIRM)
    assert "Numéro de déclaration d'activité" in client.text
    await client.press(label("back"))
    assert "Récapitulatif" in client.text
    assert (await world.get_action(draft.id or 0)).status is Status.DRAFT  # type: ignore[union-attr]
    await client.press(CONFIRM)  # still incomplete: asked again
    assert "la fiche de votre organisme doit être complète" in client.text


async def test_a_fiche_emptied_after_confirmer_is_completed_before_oui_confirms(world: World) -> None:
    draft = await world.add_action(make_valid_action(Funder.REGION, organisation_id=world.org_a))
    client = world.client()
    await _recap_of(client, draft.reference)
    await client.press(CONFIRM)
    assert "Confirmer l'action" in client.text
    await _update_org(world, world.org_a, courriel=None)
    await client.press(CONFIRM_YES)
    assert "« Courriel »" in client.text and "Fiche organisme · question" in client.text
    assert (await world.get_action(draft.id or 0)).status is Status.DRAFT  # type: ignore[union-attr]
    await client.send(VALID_SAMPLES["courriel"])
    await client.press(CONFIRM_YES)
    assert (await world.get_action(draft.id or 0)).status is Status.SUBMITTED  # type: ignore[union-attr]


async def test_typing_back_the_old_value_over_a_colleagues_change_is_not_silently_dropped(world: World) -> None:
    first, second = world.client(ORG_A_USER), world.client(ORG_A_USER_2)
    old = (await _org(world, world.org_a)).telephone
    assert old is not None
    await _open_field(first, "Téléphone")
    await _open_field(second, "Téléphone")
    await second.send("05 34 00 00 02")
    await first.send(old)  # the value first saw: it is not what is stored any more
    assert "a modifié « Téléphone »" in first.text and "n'a donc pas été enregistrée" in first.text
    assert (await _org(world, world.org_a)).telephone == "05 34 00 00 02"
    await first.send(old)
    assert "Fiche organisme enregistrée" in first.text
    assert (await _org(world, world.org_a)).telephone == old
