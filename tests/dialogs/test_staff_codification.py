"""The Carif-Oref's quality control and codification, and the later purchase orders, in the staff
chat (both storages): the intake's questions and rules, the changes shown, the organisation told."""

from __future__ import annotations

from datetime import date

from dialogs.testing import DialogClient
from domain.funders import Funder
from domain.models import Status
from tests.dialogs.backoffice_support import add, events, outbox_rows, staff
from tests.dialogs.support import ORG_A_USER, World
from tests.labels import blabel, clabel, label


async def _open(world: World, reference: str) -> DialogClient:
    client = await staff(world)
    await client.send(reference)
    return client


async def play(client: DialogClient, *steps: str) -> None:
    """Each step in turn: « [label] » presses that button, anything else is typed."""
    for step in steps:
        await (client.press(step[1:-1]) if step.startswith("[") else client.send(step))


async def test_staff_correct_and_code_fields_see_the_changes_then_publish(world: World) -> None:
    action = await add(world, Funder.AGEFIPH, Status.APPROVED, intitule="Cariste")
    client = await _open(world, action.reference)
    await client.press(clabel("correct"))
    assert "Contrôle et codification" in client.text and "Aucune modification" in client.text
    await client.press(label("edit_group", group="Présentation générale"))
    await client.press("Code(s) Formacode")
    assert "Code(s) Formacode" in client.text  # the intake's question
    assert "Sauvegarder" not in " ".join(client.labels) and "Quitter" not in " ".join(client.labels)
    await client.send("2243")  # the intake's parser refuses it, the question stays
    assert "⚠" in client.text and "Code(s) Formacode" in client.text
    await client.send("31795")
    assert "Code(s) Formacode : 42752, 42745 → 31795" in client.text
    await client.press(label("edit_group", group="Présentation générale"))
    await client.press("Niveau de sortie")
    await client.press("Niveau 4")  # a choice button of the same question
    assert "Niveau de sortie : Niveau 3" in client.text and "→ Niveau 4" in client.text
    await client.press(label("edit_session", number=2, period=""))
    await client.press("Nombre de places")
    await client.send("10")
    assert "Session n° 2 · Nombre de places : 12 → 10" in client.text
    assert (await world.get_action(action.id)).formacodes == ("42752", "42745")  # nothing stored yet

    await client.press(clabel("save_publish"))
    assert "Corrections de l'action" in client.text and "(3 donnée(s))" in client.text
    stored = await world.get_action(action.id)
    assert stored.formacodes == ("31795",) and stored.niveau_sortie == "14"
    assert stored.sessions[1].places == 10 and stored.status is Status.APPROVED
    expected = f"CO-2026-{action.id:06d}"
    await client.press(blabel("publish_yes", reference=expected))
    assert (await world.get_action(action.id)).status is Status.PUBLISHED

    kinds = await events(world, action.id)
    assert kinds[0][0] == "corrected" and kinds[1][0] == "published"
    assert "31795" in kinds[0][1]["changes"] and "Nombre de places" in kinds[0][1]["changes"]
    rows = await outbox_rows(world, action.id)
    if rows is not None:
        assert ("corrected", ORG_A_USER) in rows


async def test_a_correction_may_not_bring_a_new_problem_nor_touch_a_published_action(world: World) -> None:
    region = await add(world, Funder.REGION, Status.SUBMITTED)
    client = await _open(world, region.reference)
    await client.press(clabel("correct"))
    await client.press(label("edit_session", number=1, period=""))
    await client.press("Date de début")
    await client.send("15/09/2027")  # outside the purchase order's semester (S1 2027)
    assert "À régler avant d'enregistrer" in client.text and "semestre de début" in client.text
    await client.press(clabel("save", count=1))
    assert "semestre de début" in client.text
    assert (await world.get_action(region.id)).sessions[0].debut == date(2027, 3, 15)
    await client.press(clabel("drop"))
    assert clabel("correct") in client.labels

    published = await add(world, Funder.AGEFIPH, Status.PUBLISHED, reference_carif="CO-X-1")
    client = await _open(world, published.reference)
    assert clabel("correct") not in client.labels
    member = world.client()
    await member.command("menu")
    assert "Corriger" not in " ".join(member.labels)


async def test_staff_publish_the_next_purchase_order_split_into_two_sessions(world: World) -> None:
    first = await add(world, Funder.REGION, Status.PUBLISHED, intitule="Soudeur", reference_carif="CO-R-1")
    client = await _open(world, first.reference)
    await client.press(clabel("next_order"))
    assert "Bon de commande n° 2" in client.text and "Semestre de début prévu au bon de commande : à indiquer" in client.text
    assert not any(label.startswith("📢") for label in client.labels)
    await play(client, "[✏ Semestre de début prévu au bon de commande]", "S1 2028", "[➕ Ajouter la session n° 1]")
    assert "Date de début" in client.text
    await client.send("06/03/2028")
    assert "Date de fin" in client.text
    # The second session more than 18 months after the first day: the Région rule.
    await play(client, "30/04/2028", "[➕ Ajouter la session n° 2]", "15/09/2029", "30/10/2029",
               "[📢 Publier le bon de commande n° 2]")
    assert "18 mois" in client.text
    await play(client, "[✏ Session n° 2]", "04/05/2028", "30/06/2028", "[📢 Publier le bon de commande n° 2]")
    assert "du bon de commande n° 2 publiée" in client.text

    actions = await world.actions()
    order = next(a for a in actions if a.copied_from == first.id)
    assert order.status is Status.PUBLISHED and order.numero_bon_commande == 2
    assert order.semestre_debut == "S1 2028" and order.intitule == "Soudeur"
    assert [(s.debut, s.fin) for s in order.sessions] == [
        (date(2028, 3, 6), date(2028, 4, 30)), (date(2028, 5, 4), date(2028, 6, 30))]
    assert order.sessions[0].adresse_inscription == first.sessions[0].adresse_inscription
    assert order.reference_carif == f"CO-2026-{order.id:06d}"
    kinds = await events(world, order.id)
    assert [k for k, _ in kinds] == ["next_order"] and kinds[0][1]["number"] == "2"

    member = world.client()
    await member.command("menu")
    await member.press("Publiées (2)")
    assert any(label.startswith(order.reference) for label in member.labels)

    # From order 2 (or again from order 1), the next one is n° 3.
    client = await _open(world, order.reference)
    await client.press(clabel("next_order"))
    assert "Bon de commande n° 3" in client.text


async def test_no_later_order_from_a_submitted_or_non_region_action(world: World) -> None:
    submitted = await add(world, Funder.REGION, Status.SUBMITTED)
    agefiph = await add(world, Funder.AGEFIPH, Status.PUBLISHED, reference_carif="CO-A-1")
    for action in (submitted, agefiph):
        client = await _open(world, action.reference)
        assert clabel("next_order") not in client.labels


async def test_a_correction_over_a_newer_version_is_not_stored(world: World) -> None:
    action = await add(world, Funder.POLE_EMPLOI, Status.SUBMITTED)
    client = await _open(world, action.reference)
    await play(client, "[✏ Corriger / coder]", "[✏ Présentation générale]", "[Code(s) ROME]", "H2913")
    async with world.uow_factory() as uow:  # a colleague corrects another field meanwhile
        other = await uow.all_actions().get(action.id)
        other.places_financees = 8
        await uow.all_actions().save(other)
        await uow.commit()
    await client.press(clabel("save", count=1))
    assert "modifiée entre-temps" in client.text and clabel("correct") in client.labels
    stored = await world.get_action(action.id)
    assert stored.codes_rome == ("G1602",) and stored.places_financees == 8
    assert [kind for kind, _ in await events(world, action.id)] == []
