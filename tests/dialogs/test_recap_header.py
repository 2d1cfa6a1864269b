"""The récapitulatif's header as in the guide (issue 15, item 6): the organisme responsable ou
gestionnaire de l'action, its Carif-Oref reference, its siège and contact, the action's number once
it has one; in the chat and in the printed document (« 🖨 Imprimer »), on both storages."""

from __future__ import annotations

from domain.funders import Funder
from domain.models import Status
from domain.services import backoffice
from domain.services.actors import Actor
from tests.dialogs.support import TODAY, World, open_draft
from tests.factories import make_valid_action
from tests.labels import label
from tests.pdf_support import opened, text_of

HEADER = (
    "Organisme responsable ou gestionnaire de l'action",
    "• Forma Sud",
    "Siège : 12 rue des Lilas, Bâtiment B, 31000 Toulouse",
    "Contact : Claire Martin (05 61 00 00 00 · claire.martin@organisme.fr)",
)


async def test_the_recap_opens_with_the_organisation_and_its_reference(world: World) -> None:
    draft = await world.add_action(make_valid_action(Funder.REGION, organisation_id=world.org_a))
    client = world.client()
    await open_draft(client, draft)
    assert f"Récapitulatif · action {draft.reference}" in client.text
    for line in HEADER:
        assert line in client.text, line
    assert "Référence Carif-Oref de l'organisme : pas encore attribuée" in client.text
    # The header comes before the data.
    assert client.text.index("Organisme responsable") < client.text.index("Données générales sur l'action")

    async with world.uow_factory() as uow:
        await backoffice.set_organisation_reference(uow, Actor.staff(), world.org_a, "7320143")
        await uow.commit()
    await client.command("menu")
    await open_draft(client, draft)
    assert "Référence Carif-Oref de l'organisme : 7320143" in client.text


async def test_a_published_action_shows_its_carif_oref_number_in_the_header(world: World) -> None:
    published = await world.add_action(make_valid_action(
        Funder.REGION, organisation_id=world.org_a, status=Status.PUBLISHED, reference_carif="CO-2026-000077"))
    client = world.client()
    await client.command("menu")
    await client.press("Publiées (1)")
    await client.press(f"{published.reference}")
    await client.press(label("op_view"))
    assert "Référence Carif-Oref de l'action : CO-2026-000077" in client.text
    assert client.text.index("CO-2026-000077") < client.text.index("Organisme responsable")


async def test_the_printed_recap_has_the_header_the_date_and_page_numbers(world: World) -> None:
    draft = await world.add_action(make_valid_action(Funder.REGION, organisation_id=world.org_a,
                                                     intitule=None))
    client = world.client()
    await open_draft(client, draft)
    await client.press(label("print"))
    [doc] = [r.document for r in client.replies if r.document]
    with opened(doc.content) as pdf:
        first, pages = text_of(pdf[0]), len(pdf)
    assert f"Action n° {draft.reference}" in first and "Forma Sud" in first
    assert f"Imprimé le {TODAY:%d/%m/%Y}" in first and f"page 1/{pages}" in first
    assert "À corriger avant de confirmer (1)" in first
    assert "Intitulé de la formation : ce champ est obligatoire." in first
