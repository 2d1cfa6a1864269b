"""Fewer inputs, same rules (issue 16): both dates of a session in one answer at « Date de début »,
and a session started from the previous one (« Comme la session n° 1, sauf les dates »)."""

from __future__ import annotations

import pytest

from dialogs.testing import DialogClient
from tests.dialogs.support import World, current_field, fill
from tests.dialogs.test_intake import start_action
from tests.labels import label


async def first_session(world: World) -> DialogClient:
    client = await start_action(world)
    await fill(client)
    await client.press(label("add_session", number=1))
    assert current_field(client).key == "debut"
    assert "du 15/03/2027 au 30/10/2027" in client.text  # the question says it can be done
    return client


@pytest.mark.parametrize(
    "typed",
    [
        "du 15/03/2027 au 30/10/2027",
        "15/03/2027 - 30/10/2027",
        "15/03/2027 au 30/10/2027",
        "Du 15 mars 2027 au 30 octobre 2027",
        "15-03-2027 - 30-10-2027",
        "entre le 15/03/2027 et le 30/10/27",
        "15/03/2027 → 30/10/2027",
    ],
)
async def test_both_dates_in_one_answer_fill_both(world: World, typed: str) -> None:
    client = await first_session(world)
    await client.send(typed)
    assert "⚠️" not in client.text, client.text
    assert current_field(client).key == "adresse_inscription"  # « Date de fin » is not asked
    await fill(client)
    assert "Session n° 1 : 15/03/2027 → 30/10/2027" in client.text


@pytest.mark.parametrize(
    ("typed", "fragment"),
    [
        ("du 15/03/2027 au 14/03/2027", "ne peut pas précéder la date de début (15/03/2027)"),
        ("du 15/03/2027 au 16/09/2028", "au plus tard le 15/09/2028"),  # Région: 18 months
        ("du 15/03/2027 au 31/02/2027", "Date invalide"),
        ("15/03/2027 - n'importe quoi", "Date non reconnue"),
    ],
)
async def test_a_refused_end_keeps_the_start_and_asks_the_end(
    world: World, typed: str, fragment: str
) -> None:
    client = await first_session(world)
    await client.send(typed)
    assert current_field(client).key == "fin"
    assert fragment in client.text, client.text
    assert "Réponse actuelle" not in client.text  # the refused end is not stored
    await client.send("30/10/2027")
    assert current_field(client).key == "adresse_inscription"
    await client.press(label("back"))
    await client.press(label("back"))
    assert current_field(client).key == "debut"
    assert "Réponse actuelle : 15/03/2027" in client.text  # the start was kept


@pytest.mark.parametrize(
    ("typed", "fragment"),
    [
        ("du 15/09/2027 au 15/10/2027", "semestre de début prévu au bon de commande (S1 2027"),
        ("du 31/02/2027 au 30/10/2027", "Date invalide"),
        ("du 15/03/1850 au 30/10/2027", "Année hors limites"),
    ],
)
async def test_a_refused_start_stores_nothing(world: World, typed: str, fragment: str) -> None:
    client = await first_session(world)
    await client.send(typed)
    assert current_field(client).key == "debut"
    assert fragment in client.text, client.text
    assert "Réponse actuelle" not in client.text
    await client.send("du 15/03/2027 au 30/10/2027")
    assert current_field(client).key == "adresse_inscription"


async def test_a_single_date_is_still_a_start(world: World) -> None:
    client = await first_session(world)
    await client.send("15-03-2027")
    assert current_field(client).key == "fin"
    assert "⚠️" not in client.text


async def two_sessions_like_the_first(world: World) -> DialogClient:
    client = await first_session(world)
    await client.send("du 15/03/2027 au 30/06/2027")
    await fill(client, {"places": "12", "modalites_inscription": "Information collective le lundi"})
    assert "Comme la session n° 1, sauf les dates" in " ".join(client.labels)
    await client.press("➕ Comme la session n° 1, sauf les dates")
    assert current_field(client).key == "debut"
    assert "Session n° 2 · question 1/" in client.text
    return client


async def test_a_session_like_the_previous_one_asks_only_the_dates(world: World) -> None:
    client = await two_sessions_like_the_first(world)
    await client.send("du 01/09/2027 au 15/12/2027")
    assert "Session n° 2" in client.text and "comme la session n° 1, sauf les dates" in client.text
    assert "Nombre de places : 12 (repris)" in client.text
    assert "Modalités d'inscription : Information collective le lundi (repris)" in client.text
    assert (
        "Date de début * : 01/09/2027" in client.text
        and "Date de fin * : 15/12/2027" in client.text
    )
    # Each value taken over is correctable by its own question, then back here.
    await client.press("✏ Nombre de places : 12")
    assert current_field(client).key == "places"
    await client.send("0")
    assert "⚠️" in client.text and current_field(client).key == "places"  # the same rules
    await client.send("8")
    assert "Nombre de places : 8 (repris)" in client.text
    await client.press("✅ Valider la session n° 2")
    assert "Session n° 2 enregistrée" in client.text
    assert "Session n° 1 : 15/03/2027 → 30/06/2027" in client.text
    assert "Session n° 2 : 01/09/2027 → 15/12/2027" in client.text
    await client.press("Terminer votre saisie")
    await client.press(label("save"))
    [action] = await world.actions()
    first, second = action.sessions
    assert (second.debut.isoformat(), second.fin.isoformat()) == ("2027-09-01", "2027-12-15")
    assert second.places == 8 and first.places == 12
    assert second.adresse_inscription == first.adresse_inscription
    assert second.modalites_inscription == first.modalites_inscription
    assert second.etat_recrutement == first.etat_recrutement


async def test_a_session_like_the_previous_one_dates_one_by_one(world: World) -> None:
    client = await two_sessions_like_the_first(world)
    await client.send("01/09/2027")
    assert current_field(client).key == "fin"  # the end is asked before going back
    await client.send("15/12/2027")
    assert "Valider la session n° 2" in " ".join(client.labels)


async def test_a_session_like_the_previous_one_is_checked_by_the_session_rules(
    world: World,
) -> None:
    client = await two_sessions_like_the_first(world)
    for typed in ("01/09/2027", "15/12/2028"):  # the end more than 18 months after the first start
        await client.send(typed)
    await client.press("✅ Valider la session n° 2")
    assert "18 mois" in client.text and current_field(client).key == "fin"
    await client.send("15/12/2027")
    await client.press("✅ Valider la session n° 2")
    assert "Session n° 2 enregistrée" in client.text
