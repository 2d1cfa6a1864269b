"""Retour, Passer, Sauvegarder, Quitter, resume after a restart, stale buttons, /aide."""

from __future__ import annotations

from domain.models import Status
from tests.dialogs.support import World, current_field, fill
from tests.dialogs.test_intake import start_action
from tests.labels import RESUME, label


async def test_back_keeps_the_answer_and_skip_only_for_optional_fields(world: World) -> None:
    client = await start_action(world)
    assert "Passer" not in client.labels  # intitulé is required
    await client.send("Soudeur TIG")
    await client.press(label("back"))
    assert current_field(client).key == "intitule"
    assert "Réponse actuelle : Soudeur TIG" in client.text
    assert "11/255 caractères" in client.text
    await client.press(label("keep", value="Soudeur TIG"))
    assert current_field(client).key == "objectif"
    # An optional field can be skipped.
    await fill(client, until="codes_rome")
    await client.press("Passer")
    assert current_field(client).key == "objectif_general"


async def test_required_field_cannot_be_skipped_even_by_forged_payload(world: World) -> None:
    client = await start_action(world)
    seq = client.button(label("save")).payload.split(":")[0]
    assert "Passer" not in client.labels
    await client.press_payload(f"{seq}:skip")  # a button the question does not show: refused
    assert "Ce bouton ne s'applique pas ici" in client.text
    assert current_field(client).key == "intitule"


async def test_save_keeps_the_draft_and_quit_restores_the_last_save(world: World) -> None:
    client = await start_action(world)
    await client.send("Version sauvegardée")
    await client.press(label("save"))
    # Saved, and the same question again with a short confirmation (issue 15 item 5).
    assert "sauvegardée" in client.text and current_field(client).key == "objectif"
    [saved] = await world.actions()
    assert saved.status is Status.DRAFT and saved.intitule == "Version sauvegardée"
    await client.command("menu")
    # Modify (it reopens where it was saved), then quit: the change is dropped, the saved draft stays.
    await client.press("En cours de création (1)")
    await client.press(f"{saved.reference}")
    await client.press(label("op_modify"))
    assert current_field(client).key == "objectif"
    await client.press(label("back"))
    await client.send("Version non sauvegardée")
    assert current_field(client).key == "objectif"
    await client.press(label("quit"))
    assert "modifications faites depuis la dernière sauvegarde" in client.text
    await client.press("Oui, quitter sans sauvegarder")
    [after] = await world.actions()
    assert after.intitule == "Version sauvegardée"
    assert not any(label.startswith(RESUME) for label in client.labels)


async def test_quit_a_new_action_drops_it_entirely(world: World) -> None:
    client = await start_action(world)
    await client.send("Jamais sauvegardée")
    await client.press(label("quit"))
    assert "toute la saisie sera effacée" in client.text
    await client.press("Non, continuer la saisie")
    assert current_field(client).key == "objectif"
    await client.press(label("quit"))
    await client.press("Oui, quitter sans sauvegarder")
    assert await world.actions() == []
    assert "En cours de création (0)" in client.labels


async def test_resume_after_restart_same_question_every_answer_kept(world: World) -> None:
    client = await start_action(world)
    await fill(client, until="certifications")
    key_before = current_field(client).key
    # A new engine (the process restarted): the state comes from storage only.
    restarted = world.client()
    await restarted.command("menu")
    resume = [label for label in restarted.labels if label.startswith(RESUME)]
    assert resume, restarted.labels
    await restarted.press(resume[0])
    assert current_field(restarted).key == key_before
    for _ in range(5):
        await restarted.press(label("back"))
    assert current_field(restarted).key == "intitule"
    assert "Réponse actuelle : Titre professionnel Secrétaire assistant" in restarted.text


async def test_text_mid_form_from_a_new_process_is_taken_as_the_answer(world: World) -> None:
    client = await start_action(world)
    await client.send("Soudeur TIG")
    restarted = world.client()
    await restarted.send("Souder à l'arc TIG des aciers.")
    assert current_field(restarted).key == "resultats_attendus"


async def test_old_button_is_no_longer_valid_and_shows_the_current_screen(world: World) -> None:
    client = await start_action(world)
    old_save = client.button(label("save")).payload
    await client.send("Soudeur TIG")
    await client.press_payload(old_save)
    assert "Ce bouton n'est plus valable" in client.text
    assert current_field(client).key == "objectif"
    assert await world.actions() == []


async def test_same_update_twice_is_processed_once(world: World) -> None:
    from dialogs.io import Incoming

    engine = world.engine()
    first = await engine.handle(Incoming(chat_id=7001, user_id=7001, command="start", update_id=424242))
    second = await engine.handle(Incoming(chat_id=7001, user_id=7001, command="start", update_id=424242))
    assert first and second == []


async def test_an_update_delivered_again_on_a_webhook_shows_the_screen_and_takes_nothing(world: World) -> None:
    """A webhook's redelivery (``show_again``): Telegram got no 200, the replies may be lost. The
    current screen comes again with buttons of its own; the answer is not taken twice."""
    import dataclasses

    from dialogs.io import Incoming

    client = await start_action(world)
    engine = world.engine()
    answer = Incoming(chat_id=client.chat_id, user_id=client.user_id, text="Soudeur TIG", update_id=515151)
    first = await engine.handle(answer)
    again = await engine.handle(dataclasses.replace(answer, show_again=True))
    assert [r.text for r in again] == [r.text for r in first]  # « Objectif de la formation »…
    assert "Objectif" in again[-1].text and again[-1].screen
    old = {b.payload for row in first[-1].buttons for b in row}
    new = {b.payload for row in again[-1].buttons for b in row}
    assert old.isdisjoint(new)  # a new screen number: the buttons shown last are the live ones
    client.keyboard = again[-1].buttons
    await client.press(label("save"))  # a button of the screen shown again works
    [draft] = await world.actions()
    assert draft.intitule == "Soudeur TIG"
    assert await engine.handle(dataclasses.replace(answer, show_again=False)) == []


async def test_help_and_unexpected_messages_never_lose_the_place(world: World) -> None:
    client = await start_action(world)
    await client.send("Soudeur TIG")
    await client.command("aide")
    assert "Aide · formulaire" in client.text
    assert current_field(client).key == "objectif"
    await client.command("menu")
    await client.send("bonjour ?")
    assert "Je n'attends pas de texte ici" in client.text
    assert "Vos actions de formation" in client.text


async def test_unknown_user_gets_how_to_obtain_a_code_and_nothing_else(world: World) -> None:
    stranger = world.client(user_id=123456)
    await stranger.command("start")
    assert "code de rattachement" in stranger.text
    assert stranger.labels == []


async def test_a_state_that_no_longer_holds_together_leads_back_home(world: World) -> None:
    client = await start_action(world)
    async with world.uow_factory() as uow:
        state = await uow.conversations.load(client.chat_id)
        state.data = {**state.data, "form": None}  # e.g. written by an older version
        await uow.conversations.save(state)
        await uow.commit()
    await client.send("Soudeur TIG")
    assert "Cette opération n'est pas possible" in client.text
    assert "Vos actions de formation" in client.text
    await client.press(label("create"))
    assert "Créer une action de formation" in client.text


async def test_garbled_payloads_on_every_screen_change_nothing(world: World) -> None:
    client = world.client()
    await client.command("menu")
    for screen_button in ("En cours de création (0)", label("create")):
        await client.command("menu")
        await client.press(screen_button)
        seq = client.keyboard[0][0].payload.split(":")[0]
        for forged in ("pg:abc", "view:x", "pick:-1", "c:999", "funder:nope", "f:unknown_key"):
            await client.press_payload(f"{seq}:{forged}")
            seq = client.keyboard[0][0].payload.split(":")[0]
            assert "Un incident" not in client.text
    assert await world.actions() == []
