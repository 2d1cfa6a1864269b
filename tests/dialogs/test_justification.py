"""The État justification sent as a file at any time: the member picks the action it belongs to."""

from __future__ import annotations

from domain.funders import Funder
from domain.models import Document, Status
from tests.dialogs.backoffice_support import STAFF_USER, add, events, outbox_rows, staff
from tests.dialogs.support import World

CONVENTION = Document(file_id="BQACAgQAAxkBAAIC", file_name="convention-signee.pdf",
                      mime_type="application/pdf", size=120_000)


async def test_a_document_sent_from_the_menu_is_attached_to_the_chosen_etat_action(world: World) -> None:
    staff_client = await staff(world)  # the staff is linked, so it can be told
    etat = await add(world, Funder.ETAT_EMPLOI, justificatif=None, intitule="Agent de sécurité")
    draft = await add(world, Funder.ETAT_AUTRES, Status.DRAFT, justificatif=None, intitule="Brouillon État")
    archived = await add(world, Funder.ETAT_EMPLOI, Status.ARCHIVED, intitule="Archivée")
    region = await add(world, Funder.REGION, intitule="Région")
    other_org = await add(world, Funder.ETAT_EMPLOI, organisation_id=world.org_b, justificatif=None)

    member = world.client()
    await member.command("menu")
    await member.document(CONVENTION)
    assert "Justificatif de financement : convention-signee.pdf" in member.text
    assert "À quelle action financée par l'État" in member.text
    shown = " ".join(member.labels)
    assert etat.reference in shown and draft.reference in shown
    for hidden in (archived, region, other_org):
        assert hidden.reference not in shown

    await member.press(f"{etat.reference} · Agent de sécurité")
    assert f"enregistré avec l'action {etat.reference}" in member.text
    assert "Agent de sécurité" in member.text  # the action's view
    stored = await world.get_action(etat.id)
    assert stored is not None and stored.justificatif == CONVENTION
    assert stored.status is Status.SUBMITTED and not stored.justificatif_recu
    assert await events(world, etat.id) == [
        ("justification_received", {"file_name": "convention-signee.pdf", "file_id": CONVENTION.file_id})
    ]
    rows = await outbox_rows(world, etat.id)
    if rows is not None:  # the staff is told (and the organisation's members)
        assert ("justification_received", STAFF_USER) in rows

    await staff_client.command("menu")
    assert "Justificatifs reçus (1)" in staff_client.labels
    await staff_client.press("Justificatifs reçus (1)")
    await staff_client.press(f"{etat.reference}")
    assert "convention-signee.pdf (pas encore marqué reçu)" in staff_client.text


async def test_a_document_sent_in_the_middle_of_a_list_or_recap_is_kept_until_picked(world: World) -> None:
    etat = await add(world, Funder.ETAT_AUTRES, justificatif=None)
    member = world.client()
    await member.command("menu")
    await member.press("En cours d'instruction (1)")
    await member.document(CONVENTION)
    newer = CONVENTION.model_copy(update={"file_id": "BQACAgQAAxkBAAID", "file_name": "avenant.pdf"})
    await member.document(newer)  # a second file while picking replaces the first
    await member.press(f"{etat.reference}")
    stored = await world.get_action(etat.id)
    assert stored is not None and stored.justificatif == newer


async def test_cancelling_attaches_nothing(world: World) -> None:
    etat = await add(world, Funder.ETAT_EMPLOI, justificatif=None)
    member = world.client()
    await member.command("menu")
    await member.document(CONVENTION)
    await member.press("Annuler")
    assert "Fichier ignoré" in member.text
    assert "Vos actions de formation" in member.text
    assert (await world.get_action(etat.id)).justificatif is None
    assert await events(world, etat.id) == []


async def test_without_an_etat_action_the_file_is_ignored(world: World) -> None:
    await add(world, Funder.REGION)
    member = world.client()
    await member.command("menu")
    await member.document(CONVENTION)
    assert "aucune action financée par l'État" in member.text
    assert member.labels == ["Annuler"]


async def test_a_forged_button_cannot_attach_to_another_organisations_action(world: World) -> None:
    other = await add(world, Funder.ETAT_EMPLOI, organisation_id=world.org_b, justificatif=None)
    mine = await add(world, Funder.ETAT_EMPLOI, justificatif=None)
    member = world.client()
    await member.command("menu")
    await member.document(CONVENTION)
    seq = member.keyboard[0][0].payload.split(":")[0]
    await member.press_payload(f"{seq}:pick:{other.id}")
    assert "introuvable" in member.text
    assert (await world.get_action(other.id)).justificatif is None
    # The file still waits: the member can pick their own action.
    await member.press(f"{mine.reference}")
    assert (await world.get_action(mine.id)).justificatif == CONVENTION


async def test_staff_and_validators_are_not_asked_for_an_action(world: World) -> None:
    client = await staff(world)
    await client.document(CONVENTION)
    assert "Je n'attends pas de fichier ici" in client.text
    assert "Carif-Oref · actions de formation" in client.text


async def test_a_received_justification_is_not_replaced_and_files_are_checked_on_every_path(world: World) -> None:
    received = await add(world, Funder.ETAT_EMPLOI, justificatif=CONVENTION, justificatif_recu=True)
    member = world.client()
    await member.command("menu")
    await member.document(Document(file_id="X1", file_name="outil.exe", mime_type="application/x-msdownload", size=10))
    assert "Format non accepté" in member.text and "À quelle action" not in member.text
    await member.document(CONVENTION.model_copy(update={"file_id": "X2", "size": 21 * 1024 * 1024}))
    assert "Fichier trop lourd" in member.text and "À quelle action" not in member.text
    newer = CONVENTION.model_copy(update={"file_id": "X3", "file_name": "avenant.pdf"})
    await member.document(newer)
    await member.press(f"{received.reference}")
    assert "a déjà reçu et vérifié le justificatif" in member.text
    assert "À quelle action" in member.text  # still waiting: another action, or « Annuler »
    stored = await world.get_action(received.id)
    assert stored is not None and stored.justificatif == CONVENTION
    assert await events(world, received.id) == []
