"""The Carif-Oref adds a forgotten session to a published action in the chat: the intake's
questions and rules (the Région's date rules included), then the organisation is told."""

from __future__ import annotations

from datetime import date

from domain.funders import Funder
from domain.models import Status
from tests.dialogs.backoffice_support import add, events, staff
from tests.dialogs.support import World, play


async def test_staff_add_a_session_with_the_intake_rules(world: World) -> None:
    action = await add(world, Funder.REGION, Status.PUBLISHED, reference_carif="CO-2027-0001")
    client = await staff(world)
    await client.send(action.reference)
    await client.press("➕ Ajouter une session")
    assert "Session n° 3 · question 1/8" in client.text and "Date de début *" in client.text
    await client.send("31/02/2027")
    assert "⚠" in client.text and "Date de début" in client.text
    await client.send("10/01/2028")
    await client.send("30/09/2029")  # beyond 18 months after the first session: Région rule
    assert "18 mois" in client.text and "question 2/8" in client.text
    await client.send("31/03/2028")
    assert "Adresse d'inscription *" in client.text
    # The other questions: a button pressed or an answer typed, and what the next screen shows.
    await play(client, (
        ("press", "Adresse de l'organisme", "Période d'inscription : début"),
        ("press", "Passer", "Période d'inscription : fin"), ("press", "Passer", "État du recrutement"),
        ("press", "fermé", "Nombre de places"), ("send", "12", "Modalités d'inscription"),
        ("send", "Sur dossier.", "vérification"),
    ))
    assert "10/01/2028" in client.text
    await client.press("✅ Ajouter la session n° 3")
    assert "Session n° 3 ajoutée" in client.text
    stored = await world.get_action(action.id)
    assert stored.status is Status.PUBLISHED and len(stored.sessions) == 3
    added = stored.sessions[2]
    assert (added.debut, added.fin, added.etat_recrutement, added.places) == (
        date(2028, 1, 10), date(2028, 3, 31), "2", 12)
    assert added.adresse_inscription is not None and added.inscription_debut is None
    told = [p for kind, p in await events(world, action.id) if kind == "session_added"]
    assert told == [{"session": "3", "debut": "10/01/2028", "fin": "31/03/2028"}]


async def test_only_a_published_action_is_offered_and_cancel_changes_nothing(world: World) -> None:
    submitted = await add(world, Funder.AGEFIPH)
    published = await add(world, Funder.AGEFIPH, Status.PUBLISHED, reference_carif="CO-2027-0002")
    client = await staff(world)
    await client.send(submitted.reference)
    assert "➕ Ajouter une session" not in client.labels
    await client.command("menu")
    await client.send(published.reference)
    await client.press("➕ Ajouter une session")
    await client.send("10/01/2028")
    await client.press("Annuler")
    assert "➕ Ajouter une session" in client.labels
    assert len((await world.get_action(published.id)).sessions) == 2
    # The organisation's member has no such button: the view says whom to ask.
    member = world.client()
    await member.command("menu")
    await member.press("Publiées (1)")
    await member.press(f"{published.reference}")
    assert "Une session oubliée" in member.text and "➕ Ajouter une session" not in member.labels
