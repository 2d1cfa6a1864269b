"""Sessions after publication (RULES.md): « 📅 Mettre à jour des sessions » from the menu, the view
and a reminder; closing recruitment in two taps; the support contact where the guide says
« contactez-nous »."""

from __future__ import annotations

from datetime import date

from dialogs.engine import DialogEngine
from dialogs.testing import DialogClient
from domain.funders import Funder
from domain.models import Status
from tests.dialogs.support import World, current_field, fill, play
from tests.factories import make_session, make_valid_action
from tests.labels import label

SUPPORT = "aide@carif.example"


async def published(world: World, sessions: int = 2, **overrides: object):
    data: dict[str, object] = {"organisation_id": world.org_a, "status": Status.PUBLISHED,
                               "reference_carif": "CO-2027-0001", **overrides}
    if sessions == 1:
        data["sessions"] = [make_session()]
    return await world.add_action(make_valid_action(Funder.REGION, **data))


def client_with_support(world: World, user_id: int) -> DialogClient:
    engine = DialogEngine(world.uow_factory, world.clock, staff_ids=(9001,), support_contact=SUPPORT)
    return DialogClient(engine, user_id)


async def test_closing_recruitment_takes_two_taps_from_the_menu(world: World) -> None:
    action = await published(world, sessions=1)
    client = world.client()
    await client.command("menu")
    taps = 0
    for shown in ("📅 Mettre à jour des sessions", f"🔒 Fermer le recrutement · {action.reference}"):
        await client.press(shown)
        taps += 1
    assert taps == 2
    assert (await world.get_action(action.id)).sessions[0].etat_recrutement == "2"
    assert "État du recrutement : fermé" in client.text and "prochains exports" in client.text
    # A wrong tap is undone in one more.
    await client.press(f"🔓 Rouvrir le recrutement · {action.reference}")
    stored = await world.get_action(action.id)
    assert stored.sessions[0].etat_recrutement == "1" and stored.status is Status.PUBLISHED


async def test_each_session_field_is_updated_with_the_intake_rules(world: World) -> None:
    action = await published(world)
    client = world.client()
    await client.command("dates")
    # Two sessions: no shortcut in the list, the session is chosen.
    assert not any(label.startswith("🔒") for label in client.labels)
    await client.press(f"{action.reference}")
    await client.press("Session n° 2")
    # A button pressed or an answer typed, and what the next screen says: refusals (⚠) as at
    # intake, then the saved value.
    await play(client, (
        ("press", "⏸ Suspendre le recrutement", "État du recrutement : suspendu"),
        ("press", "👥 Nombre de places", "Écrivez le nombre de places"),
        ("send", "0", "⚠"),
        ("send", "25", "Nombre de places : 25"),
    ))
    await play(client, (
        ("press", "🗓 Période d'inscription", "Écrivez la période"),
        ("send", "01/09/2027", "Et le dernier jour"),
        ("send", "31/08/2027", "ne peut pas précéder"),  # before its start
        ("send", "du 01/06/2027 au 10/09/2027", "Période d'inscription : du 01/06/2027 au 10/09/2027"),
    ))
    await play(client, (
        ("press", "📝 Modalités d'inscription", "255 caractères au plus"),
        ("send", "x" * 256, "⚠"),
        ("send", "Information collective le lundi.", "Modalités d'inscription : « Information"),
        ("press", "📝 Modalités d'inscription", "Actuellement : Information collective"),
        ("press", "🧹 Effacer", "Modalités d'inscription : effacées"),
    ))
    stored = (await world.get_action(action.id)).sessions[1]
    assert (stored.etat_recrutement, stored.places) == ("3", 25)
    assert (stored.inscription_debut, stored.inscription_fin) == (date(2027, 6, 1), date(2027, 9, 10))
    assert stored.modalites_inscription is None
    first = (await world.get_action(action.id)).sessions[0]
    assert first == action.sessions[0].model_copy(update={"id": first.id})  # untouched


async def test_the_action_view_and_a_reminder_open_the_session_update(world: World) -> None:
    action = await published(world)
    client = client_with_support(world, 7001)
    await client.command("menu")
    await client.press("Publiées (1)")
    await client.press(f"{action.reference}")
    # A forgotten session: how to ask the Carif-Oref, where the organisation looks for it.
    assert "Une session oubliée" in client.text and SUPPORT in client.text
    await client.press("📅 Mettre à jour les sessions")
    assert SUPPORT in client.text and action.reference in client.text
    await client.press("Session n° 1")
    await client.press("🔒 Fermer le recrutement")
    assert (await world.get_action(action.id)).sessions[0].etat_recrutement == "2"
    # The reminder's button (a global payload) opens the same screens.
    await client.command("menu")
    await client.press_payload(f"g:dates:{action.id}")
    await client.press("Session n° 1")
    await client.press("🔓 Ouvrir le recrutement")
    assert (await world.get_action(action.id)).sessions[0].etat_recrutement == "1"


async def test_an_action_not_published_is_not_offered(world: World) -> None:
    draft = await world.add_action(make_valid_action(Funder.REGION, organisation_id=world.org_a,
                                                     sessions=[make_session()]))
    client = world.client()
    await client.command("dates")
    assert draft.reference not in " ".join(client.labels)
    assert "aucune action publiée" in client.text


async def test_support_contact_where_the_guide_says_contactez_nous(world: World) -> None:
    stranger = client_with_support(world, 5555)
    await stranger.command("start")
    assert SUPPORT in stranger.text
    await stranger.command("start", "WRONG-CODE")
    assert "n'est pas valable" in stranger.text and SUPPORT in stranger.text
    for i in range(5):
        await stranger.command("start", f"WRONG-{i}")
    assert "Trop de codes erronés" in stranger.text and SUPPORT in stranger.text
    member = client_with_support(world, 7001)
    await member.command("menu")
    await member.command("aide")
    assert SUPPORT in member.text
    staff = client_with_support(world, 9001)
    await staff.command("aide")
    assert SUPPORT in staff.text
    # Splitting a later purchase order: said at « Numéro du bon de commande ».
    await member.command("nouvelle")
    await member.press("Région")
    await fill(member, until="numero_bon_commande")
    assert current_field(member).key == "numero_bon_commande"
    assert "éclater" in member.text and SUPPORT in member.text
    # The default is the guide's address.
    default = world.client(5556)
    await default.command("start")
    assert "support@cariforef-mp.asso.fr" in default.text


async def test_a_forged_quick_close_changes_no_draft(world: World) -> None:
    await published(world, sessions=1)
    draft = await world.add_action(make_valid_action(Funder.REGION, organisation_id=world.org_a,
                                                     sessions=[make_session()]))
    client = world.client()
    await client.command("dates")
    seq = client.keyboard[0][0].payload.split(":")[0]
    await client.press_payload(f"{seq}:close:{draft.id}")  # a number, as the list's buttons carry
    assert "ne peuvent pas être mises à jour" in client.text
    assert (await world.get_action(draft.id)).sessions[0].etat_recrutement == "1"


async def test_back_and_menu_leave_a_half_typed_period(world: World) -> None:
    action = await published(world)
    client = world.client()
    await client.command("dates")
    await play(client, (
        ("press", f"{action.reference}", "Choisissez la session"),
        ("press", "Session n° 1", "Dates actuelles"),
        ("press", "🗓 Période d'inscription", "Écrivez la période"),
        ("send", "01/02/2027", "Et le dernier jour"),
        ("press", label("back"), "Pour déplacer la session"),  # the start typed alone forgotten
    ))
    await play(client, (
        ("send", "20/03/2027", "Et la nouvelle date de fin"),
        ("press", label("back"), "Choisissez la session"),
        ("press", "Session n° 1", "Pour déplacer la session"),
        ("press", "🏠 Menu", "Vos actions de formation"),
    ))
    stored = (await world.get_action(action.id)).sessions[0]
    assert (stored.debut, stored.inscription_debut) == (action.sessions[0].debut, action.sessions[0].inscription_debut)
