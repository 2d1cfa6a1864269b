"""Lists, the action view, copy, delete, session date updates, the fiche organisme, the recap."""

from __future__ import annotations

from datetime import date

from dialogs.render import TELEGRAM_LIMIT
from dialogs.testing import DialogClient
from domain.funders import Funder
from domain.models import Action, Status
from tests.dialogs.support import World, current_field, fill, keep_recopied, open_draft, view_action
from tests.factories import make_session, make_valid_action
from tests.labels import label


async def published_region(world: World, **overrides: object):
    action = make_valid_action(Funder.REGION, organisation_id=world.org_a, status=Status.PUBLISHED,
                               reference_carif="CO-2027-0001", **overrides)
    return await world.add_action(action)


async def _new_dates_of_session(world: World, number: int) -> tuple[Action, DialogClient]:
    """/dates on a published Région action, its session ``number``: the question of its dates."""
    source = await published_region(world)
    client = world.client()
    await client.command("dates")
    await client.press(f"{source.reference}")
    await client.press(f"Session n° {number}")
    return source, client


async def test_copy_of_a_published_region_action_gives_a_draft_without_sessions(world: World) -> None:
    """Issue 15 item 4: the copy opens at the first question (« Saisir ou vérifier les données
    recopiées »), not at the sessions; the purchase order's number and semester are asked again."""
    source = await published_region(world, intitule="Soudeur TIG", semestre_debut="S2 2026")
    client = world.client()
    await client.command("nouvelle")
    await client.press(label("op_copy"))
    await client.press(f"{source.reference}")
    assert "Saisissez ou vérifiez les données recopiées" in client.text
    assert "question 1/" in client.text and "Intitulé de la formation" in client.text
    assert "« Numéro du bon de commande » et « Semestre de début prévu au bon de commande »" in client.text
    assert client.labels[0] == label("keep", value="Soudeur TIG")
    assert await keep_recopied(client) == ["numero_bon_commande", "semestre_debut"]
    assert client.labels[0] == label("add_session", number=1)
    await client.press(label("add_session", number=1))
    await fill(client)
    await client.press("Terminer votre saisie")
    await client.press(label("confirm"))
    await client.press(label("confirm_yes"))
    copy = next(a for a in await world.actions() if a.id != source.id)
    assert copy.copied_from == source.id and copy.intitule == "Soudeur TIG"
    assert copy.status is Status.SUBMITTED and len(copy.sessions) == 1
    assert copy.reference_carif is None and copy.semestre_debut == "S1 2027"


async def test_copy_from_the_action_view_opens_the_same_way(world: World) -> None:
    source = await published_region(world, intitule="Soudeur TIG")
    client = world.client()
    await view_action(client, "Publiées (1)", source)
    await client.press(label("op_copy"))
    assert "Saisissez ou vérifiez les données recopiées" in client.text and "question 1/" in client.text
    await client.press(label("save"))
    copy = next(a for a in await world.actions() if a.id != source.id)
    assert copy.status is Status.DRAFT and copy.sessions == []
    assert copy.numero_bon_commande is None and copy.semestre_debut is None
    assert copy.numero_marche == source.numero_marche and copy.intitule == "Soudeur TIG"


async def test_only_region_actions_published_or_archived_offer_a_copy(world: World) -> None:
    """Issue 15 item 4: a refused action (of any funder) or a published action of another funder
    offers no « 📋 Copier » and is not in the list to copy."""
    client = world.client()
    for funder, status, listed in ((Funder.REGION, Status.REFUSED, "Refusées (1)"),
                                   (Funder.POLE_EMPLOI, Status.PUBLISHED, "Publiées (1)")):
        shown = await world.add_action(make_valid_action(funder, organisation_id=world.org_a, status=status))
        await view_action(client, listed, shown)
        assert status.label in client.text and label("op_copy") not in client.labels
    await client.command("nouvelle")
    await client.press(label("op_copy"))
    assert "aucune action Région publiée ou archivée" in client.text
    assert len(await world.actions()) == 2


async def test_date_update_of_a_published_action_refused_then_accepted(world: World) -> None:
    source, client = await _new_dates_of_session(world, 1)
    await client.send("du 12/01/2029 au 30/06/2029")  # outside the semester of the purchase order
    assert "semestre" in client.text
    assert (await world.get_action(source.id)).sessions[0].debut == source.sessions[0].debut
    await client.send("du 05/04/2027 au 30/06/2027")
    assert "Dates enregistrées" in client.text and "05/04/2027" in client.text
    stored = await world.get_action(source.id)
    assert stored.sessions[0].debut == date(2027, 4, 5)
    assert stored.status is Status.PUBLISHED


async def test_date_update_in_two_messages(world: World) -> None:
    _, client = await _new_dates_of_session(world, 2)
    await client.send("20/09/2027")
    assert "Et la nouvelle date de fin" in client.text
    await client.send("31/13/2027")
    assert "Date invalide" in client.text
    await client.send("20/12/2027")
    assert "Dates enregistrées" in client.text


async def test_another_organisations_action_is_invisible(world: World) -> None:
    other = await world.add_action(make_valid_action(Funder.REGION, organisation_id=world.org_b, status=Status.PUBLISHED))
    # One action of its own, so that the list offers « view » buttons (a verb a screen does not
    # offer is refused before the screen sees it): the other organisation's id is then looked up
    # in the user's own scope, and not found.
    await world.add_action(make_valid_action(Funder.REGION, organisation_id=world.org_a, status=Status.PUBLISHED))
    client = world.client()
    await client.command("menu")
    assert "Publiées (1)" in client.labels
    seq = client.keyboard[0][0].payload.split(":")[0]
    await client.press("Publiées (1)")
    seq = client.keyboard[0][0].payload.split(":")[0]
    await client.press_payload(f"{seq}:view:{other.id}")
    assert "introuvable" in client.text
    # A global button naming it (as in a reminder) does not open it either.
    await client.press_payload(f"g:dates:{other.id}")
    assert other.reference not in client.text


async def test_lists_show_allowed_operations_and_delete_asks_first(world: World) -> None:
    draft = await world.add_action(make_valid_action(Funder.POLE_EMPLOI, organisation_id=world.org_a))
    submitted = await world.add_action(make_valid_action(Funder.AGEFIPH, organisation_id=world.org_a, status=Status.SUBMITTED))
    client = world.client()
    await client.command("menu")
    await client.press("En cours d'instruction (1)")
    await client.press(f"{submitted.reference}")
    assert label("op_modify") not in client.labels and label("op_delete") not in client.labels
    assert label("op_view") in client.labels
    await client.command("menu")
    await client.press("En cours de création (1)")
    await client.press(f"{draft.reference}")
    assert {label("op_modify"), label("op_confirm"), label("op_delete")} <= set(client.labels)
    await client.press(label("op_delete"))
    assert "définitive" in client.text
    await client.press("Annuler")
    assert await world.get_action(draft.id) is not None
    await client.press(label("op_delete"))
    await client.press(label("delete_yes"))
    assert await world.get_action(draft.id) is None


async def test_recap_over_4096_characters_is_split(world: World) -> None:
    long = "Texte long. " * 249  # 2 988 characters
    draft = await world.add_action(make_valid_action(
        Funder.REGION, organisation_id=world.org_a, objectif=long, contenu=long, resultats_attendus=long,
        rythme=long, sessions=[make_session(), make_session(debut=date(2027, 4, 1), fin=date(2027, 5, 1))],
    ))
    client = world.client()
    await open_draft(client, draft, drafts=1)
    parts = [r.text for r in client.replies]
    assert len(parts) >= 3
    assert all(len(p) <= TELEGRAM_LIMIT for p in parts)
    assert "Récapitulatif" in parts[0] and "Session n° 2" in "".join(parts)
    assert client.replies[-1].buttons  # the buttons come with the last part


async def test_recap_correction_goes_straight_back_to_the_recap(world: World) -> None:
    draft = await world.add_action(make_valid_action(Funder.REGION, organisation_id=world.org_a))
    client = world.client()
    await open_draft(client, draft, drafts=1)
    await client.press(label("edit_session", number=2, period=""))
    await client.press("Date de fin *")
    assert current_field(client).key == "fin"
    await client.send("20/12/2027")
    assert "Récapitulatif" in client.text and "20/12/2027" in client.text
    await client.press(label("save"))
    assert (await world.get_action(draft.id)).sessions[1].fin == date(2027, 12, 20)


async def test_print_sends_the_recap_as_a_pdf(world: World) -> None:
    draft = await world.add_action(make_valid_action(Funder.REGION, organisation_id=world.org_a))
    client = world.client()
    await open_draft(client, draft, drafts=1)
    await client.press(label("print"))
    [doc] = [r.document for r in client.replies if r.document]
    assert doc.mime_type == "application/pdf" and doc.content.startswith(b"%PDF")


async def test_fiche_organisme_view_and_modify(world: World) -> None:
    client = world.client()
    await client.command("menu")
    await client.press(label("fiche"))
    assert "Votre fiche organisme" in client.text and "Forma Sud" in client.text
    await client.press("Téléphone")
    await client.send("12")
    assert "⚠" in client.text
    await client.send("05 34 00 00 01")
    assert "Fiche organisme enregistrée" in client.text and "05 34 00 00 01" in client.text


async def test_two_members_editing_the_same_draft_second_is_told_to_reload(world: World) -> None:
    draft = await world.add_action(make_valid_action(Funder.REGION, organisation_id=world.org_a))
    first, second = world.client(), world.client(7002)
    for c in (first, second):
        await open_draft(c, draft, drafts=1)
        await c.press(label("edit_group", group="Présentation générale"))
        await c.press("Intitulé de la formation *")
    await first.send("Par le premier")
    await first.press(label("save"))
    await second.send("Par le second")
    await second.press(label("save"))
    assert "modifiée entre-temps" in second.text
    assert (await world.get_action(draft.id)).intitule == "Par le premier"


async def test_no_session_beyond_the_cap_from_the_recap_nor_the_sessions_screen(world: World) -> None:
    from domain.rules import MAX_SESSIONS

    action = make_valid_action(Funder.REGION, organisation_id=world.org_a)
    action.sessions = [action.sessions[0]] * (MAX_SESSIONS - 1)
    draft = await world.add_action(action)
    client = world.client()
    await open_draft(client, draft, drafts=1)
    await client.press(label("add_session", number=MAX_SESSIONS))  # the last one allowed
    assert f"Session n° {MAX_SESSIONS}" in client.text and "Date de début" in client.text
    await client.press(label("back"))  # its first question: back to the sessions screen
    await client.press(label("add_session", number=MAX_SESSIONS + 1))
    assert f"au plus {MAX_SESSIONS} sessions" in client.text and "Date de début" not in client.text
    await client.press("Terminer votre saisie")
    await client.press(label("add_session", number=MAX_SESSIONS + 1))
    assert f"au plus {MAX_SESSIONS} sessions" in client.text and "Récapitulatif" in client.text
    await client.press(label("save"))
    assert len((await world.get_action(draft.id)).sessions) == MAX_SESSIONS


async def test_a_second_print_while_one_is_being_made_is_told_to_wait(world: World) -> None:
    """The engine admits a document after the commit: the channel has not made the first one yet."""
    from dialogs.io import Incoming

    draft = await world.add_action(make_valid_action(Funder.REGION, organisation_id=world.org_a))
    client = world.client()
    await open_draft(client, draft, drafts=1)
    payload = client.button(label("print")).payload
    first = await client.engine.handle(Incoming(chat_id=client.chat_id, user_id=client.user_id, payload=payload))
    [pending] = [r.pending for r in first if r.pending is not None]
    assert pending.file_name == f"recapitulatif-{draft.reference}.pdf" and "<html" in pending.html.lower()
    client.keyboard = next(r.buttons for r in first if r.screen)  # the recap, shown again
    await client.press(label("print"))
    assert "encore en préparation" in client.text
    assert not [r for r in client.replies if r.document or r.pending]
    client.engine.printer.release(client.user_id)  # the first one made (as a channel would)
    await client.press(label("print"))
    [doc] = [r.document for r in client.replies if r.document]
    assert doc.content.startswith(b"%PDF")


async def test_a_date_update_meeting_a_concurrent_write_is_replayed_not_lost(
    world: World, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """A write committed between the screen's read and its save (possible on PostgreSQL): the
    engine replays the input on fresh data; the user is not told to start again."""
    from domain.errors import StaleVersion

    source, client = await _new_dates_of_session(world, 1)
    async with world.uow_factory() as uow:
        repo_type = type(uow.actions_for_organisation(world.org_a))
    original = repo_type.save
    raised: list[bool] = []

    async def save_once_stale(self, action):  # type: ignore[no-untyped-def]
        if not raised:
            raised.append(True)
            raise StaleVersion()
        return await original(self, action)

    monkeypatch.setattr(repo_type, "save", save_once_stale)
    await client.send("du 05/04/2027 au 30/06/2027")
    assert raised == [True]
    assert "Dates enregistrées" in client.text and "modifiée entre-temps" not in client.text
    assert (await world.get_action(source.id)).sessions[0].debut == date(2027, 4, 5)
