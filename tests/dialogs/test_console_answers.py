"""Issue 15, item 18: in the console, a number typed at a question that takes a text or a number is
the answer, never the button of that number; buttons stay reachable as « /N » and by their label,
and by their bare number where nothing is typed (menus, choices). Both storages."""

from __future__ import annotations

import io

from bot.console import Console
from dialogs.testing import DialogClient
from tests.dialogs.support import ORG_A_USER, World, fill
from tests.labels import label

STAFF = 9001  # staff by configuration (World.engine)


def console_of(client: DialogClient) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(client.engine, client.user_id, out=out), out


async def said(console: Console, out: io.StringIO, line: str) -> str:
    """What the console prints for one typed line."""
    out.seek(0)
    out.truncate()
    await console.handle(line)
    return out.getvalue()


async def console_at(world: World, key: str) -> tuple[Console, io.StringIO, str]:
    """A console on a new Région action's question ``key`` (reached by the test client), and what
    it shows there (« /aide » shows the screen where the conversation stands)."""
    client = world.client(ORG_A_USER)
    await client.command("menu")
    await client.press(label("create"))
    await client.press("Région")
    await fill(client, until=key)
    console, out = console_of(client)
    return console, out, await said(console, out, "/aide")


def slash(console: Console, label: str) -> str:
    """The « /N » that presses the button whose label starts with ``label``."""
    numbers = [i for i, b in enumerate(console.buttons, 1) if b.label.startswith(label)]
    assert len(numbers) == 1, [b.label for b in console.buttons]
    return f"/{numbers[0]}"


async def test_a_number_at_a_text_question_is_the_answer(world: World) -> None:
    console, out = console_of(world.client())
    await said(console, out, "/menu")
    assert f"1. {label('create')}" in out.getvalue()
    await said(console, out, "1")  # no text on the menu: a bare number is its button
    shown = await said(console, out, "Région")  # a button by its label
    assert "Intitulé de la formation *" in shown
    # The buttons of a question taking text are shown as « /N »: « 2 » was « 💾 Sauvegarder ».
    assert f"/2  {label('save')}" in shown and f"/3  {label('quit')}" in shown
    assert f" 2. {label('save')}" not in shown
    assert "Un nombre tapé ici est votre réponse" in shown

    shown = await said(console, out, "2")
    assert "Objectif de la formation *" in shown  # « 2 » is the intitulé: on to the next question
    assert await world.actions() == []  # nothing was saved
    await said(console, out, "/1")  # « ⬅ Retour », by its /N
    shown = await said(console, out, "/aide")
    assert (
        "Intitulé de la formation *" in shown
        and "2" in shown.split("Intitulé de la formation *")[1]
    )

    shown = await said(console, out, label("save"))  # a button by its label
    [saved] = await world.actions()
    assert saved.intitule == "2"


async def test_a_number_at_a_number_question_is_the_answer_and_slash_presses(world: World) -> None:
    console, out, shown = await console_at(world, "numero_bon_commande")
    assert "Numéro du bon de commande *" in shown and label("save") in shown
    assert console.typed

    assert len(console.buttons) >= 2  # « 2 » would be a button's number
    shown = await said(console, out, "2")
    assert "Semestre de début prévu au bon de commande" in shown  # « 2 » answered the question
    assert await world.actions() == []  # and pressed no « 💾 Sauvegarder »

    await said(console, out, slash(console, label("save")))
    [saved] = await world.actions()
    assert saved.numero_bon_commande == 2


async def test_a_bare_number_still_picks_a_choice(world: World) -> None:
    """At a question answered by buttons (yes/no, a list), the number is the button's."""
    console, out, shown = await console_at(world, "certifiante")
    assert "Formation certifiante ?" in shown and "1. Oui" in shown and not console.typed
    shown = await said(console, out, "2")  # « Non »
    assert "Certification(s) visée(s)" not in shown and "Formation certifiante ?" not in shown


async def test_staff_menu_numbers_are_buttons_though_it_reads_typed_references(
    world: World,
) -> None:
    """The staff's menu takes a typed action reference as a shortcut, not as the answer to a
    question: a bare number there is still a button's."""
    console, out = console_of(world.client(STAFF))
    shown = await said(console, out, "/menu")
    assert not console.typed and " 1. " in shown
    shown = await said(console, out, "1")
    assert "Confirmées" in shown and "Je n'attends pas de texte ici" not in shown
