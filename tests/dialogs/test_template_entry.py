"""« 📋 Tout saisir en un message »: a whole part in one message, then only what is missing or refused.

Runs on the in-memory fakes and on SQLite (``world`` fixture).
"""

from __future__ import annotations

from datetime import date

from domain.catalogue import ACTION_FIELDS, ORGANISATION_FIELDS, SESSION_FIELDS, action_field
from domain.funders import Funder
from domain.models import Status
from domain.template_entry import TEMPLATE_MAX_CHARS
from tests.dialogs.support import World, current_field, open_draft
from tests.dialogs.test_intake import start_action
from tests.factories import make_valid_action
from tests.samples import VALID_SAMPLES, filled_template

GENERAL = {
    f.key: VALID_SAMPLES[f.key]
    for f in ACTION_FIELDS
    if f.funders is None or Funder.REGION in f.funders
}
SESSION = {f.key: VALID_SAMPLES[f.key] for f in SESSION_FIELDS}


async def test_a_region_action_in_two_messages_then_only_the_missing_and_refused_fields(
    world: World,
) -> None:
    client = await start_action(world)
    await client.press("📋 Tout saisir en un message")
    assert (
        "Intitulé de la formation * :" in client.text
        and "Formation certifiante ? * [oui / non] :" in client.text
    )
    answers = {**GENERAL, "rythme": "", "heures_centre": "120 000"}
    message = (
        "Nom du formateur : Jean\n"
        + filled_template(ACTION_FIELDS, answers)
        + "\nDate de début : 15/03/2027"
    )
    await client.send(message)
    text = client.text
    assert "réponses enregistrées" in text, text
    assert "Nombre d'heures en centre" in text
    assert "Nom du formateur : Jean" in text  # the unknown line is reported
    assert "« Date de début » (Données de session)" in text
    assert "les 2 questions restantes" in text
    assert current_field(client).key == "rythme"  # missing: asked, without an error
    await client.send("35 heures par semaine")
    assert current_field(client).key == "heures_centre"
    assert "⚠️ 120\u202f000 : 99\u202f999 au plus" in client.text  # refused: asked with its error
    await client.send("1200")
    assert "Sessions de formation" in client.text
    await client.press("📋 Saisir les sessions en un message")
    assert "Session n° 1\nDate de début * [JJ/MM/AAAA] :" in client.text
    second = {**SESSION, "debut": "01/04/2027", "fin": "30/09/2027\n"}
    await client.send(
        "Session n° 1\n"
        + filled_template(SESSION_FIELDS, SESSION)
        + "\n\nSession n° 2\n"
        + filled_template(SESSION_FIELDS, second)
    )
    assert "Session n° 2 : 01/04/2027 → 30/09/2027" in client.text, client.text
    await client.press("Terminer votre saisie")
    assert "À compléter" not in client.text
    await client.press("✅ Confirmer (valider la proposition)")
    await client.press("✅ Oui, je confirme")
    [action] = await world.actions()
    assert action.status is Status.SUBMITTED
    assert [s.debut for s in action.sessions] == [date(2027, 3, 15), date(2027, 4, 1)]
    assert action.contenu == action_field("contenu").parse(
        VALID_SAMPLES["contenu"]
    )  # over two lines
    assert action.heures_centre == 1200 and action.rythme == "35 heures par semaine"
    assert action.publics == action_field("publics").parse(VALID_SAMPLES["publics"])


async def test_duplicates_and_fields_that_do_not_apply_are_reported_and_nothing_is_lost(
    world: World,
) -> None:
    client = await start_action(world)
    await client.press("📋 Tout saisir en un message")
    answers = {**GENERAL, "certifiante": "non", "intitule": "Soudeur"}
    await client.send(
        filled_template(ACTION_FIELDS, answers) + "\nIntitulé de la formation : Chaudronnier"
    )
    assert (
        "plusieurs fois" in client.text and "Certification(s) visée(s)" in client.text
    )  # not applicable
    assert current_field(client).key == "intitule"
    assert "figure plusieurs fois" in client.text
    await client.send("Soudeur TIG")
    assert "Sessions de formation" in client.text
    await client.press("💾 Sauvegarder")
    [action] = await world.actions()
    assert (
        action.intitule == "Soudeur TIG"
        and action.certifications is None
        and action.certifiante is False
    )


async def test_a_message_without_any_label_is_refused_and_retour_goes_back(world: World) -> None:
    client = await start_action(world)
    await client.press("📋 Tout saisir en un message")
    await client.send("bonjour")
    assert "aucune ligne du modèle" in client.text and "Intitulé de la formation * :" in client.text
    await client.press("⬅ Retour")
    assert current_field(client).key == "intitule"


async def test_the_fiche_in_one_message(world: World) -> None:
    client = world.client()
    await client.command("menu")
    await client.press("🏢 Votre fiche organisme")
    await client.press("📋 Tout saisir en un message")
    answers = {f.key: VALID_SAMPLES[f.key] for f in ORGANISATION_FIELDS} | {
        "courriel": "pas-un-courriel"
    }
    await client.send(filled_template(ORGANISATION_FIELDS, answers))
    assert current_field(client).key == "courriel" and "⚠" in client.text
    await client.send("accueil@formasud.fr")
    assert "Votre fiche organisme" in client.text
    async with world.uow_factory() as uow:
        org = await uow.organisations.get(world.org_a)
    assert (
        org.courriel == "accueil@formasud.fr"
        and org.raison_sociale == VALID_SAMPLES["raison_sociale"]
    )
    assert org.numero_activite == "76310123456"


async def test_hostile_templates_huge_injected_or_from_another_part(world: World) -> None:
    client = await start_action(world)
    await client.press("📋 Tout saisir en un message")
    await client.send("Intitulé de la formation : " + "x" * (TEMPLATE_MAX_CHARS + 1))
    assert (
        "trop long pour un modèle" in client.text and "Intitulé de la formation * :" in client.text
    )
    # Another part's labels only (the sessions', the fiche's): nothing taken, each named.
    await client.send("Date de début : 15/03/2027\nSIRET : 732 829 320 00074")
    assert "« Date de début » (Données de session), « SIRET » (Fiche organisme)" in client.text
    assert (
        "Rien n'a été enregistré" in client.text and "Intitulé de la formation * :" in client.text
    )
    injected = "<b>Intitulé</b> : <a href='https://evil.example'>x</a>"
    await client.send(f"{injected}\nIntitulé de la formation * : <script>alert(1)</script>")
    html = "\n".join(reply.text for reply in client.replies)
    assert "<script>" not in html  # the value is stored as text, never sent as HTML
    assert (
        "&lt;b&gt;Intitulé&lt;/b&gt;" in html and "<a href" not in html
    )  # the unknown line, escaped
    await client.press("💾 Sauvegarder")
    [action] = await world.actions()
    assert action.intitule == "<script>alert(1)</script>"


async def test_a_part_of_the_recap_in_one_message_then_back_to_the_recap(world: World) -> None:
    draft = await world.add_action(make_valid_action(Funder.REGION, organisation_id=world.org_a))
    client = world.client()
    await open_draft(client, draft)
    await client.press("✏ Financement")
    await client.press("📋 Tout saisir en un message")
    assert (
        "Prix total TTC (€) [4 500,50] :" in client.text
        and "Intitulé de la formation" not in client.text
    )
    await client.send("Prix total TTC (€) : 5 000\nNombre de places financées * : 0")
    assert current_field(client).key == "places_financees" and "⚠" in client.text
    await client.send("10")
    assert "Récapitulatif" in client.text
    await client.press("✏ Session n° 1")
    await client.press("📋 Tout saisir en un message")
    await client.send("Nombre de places : 14")
    assert "Récapitulatif" in client.text
    await client.press("💾 Sauvegarder")
    stored = await world.get_action(draft.id)
    assert (
        stored.prix_total == 5000
        and stored.places_financees == 10
        and stored.sessions[0].places == 14
    )
    assert stored.intitule == draft.intitule  # the other parts untouched


async def test_a_template_telegram_cut_in_two_messages_is_read_whole(world: World) -> None:
    client = await start_action(world)
    await client.press("📋 Tout saisir en un message")
    lines = filled_template(ACTION_FIELDS, {**GENERAL, "prix_total": "x"}).splitlines()
    half = next(i for i, line in enumerate(lines) if line.startswith("Public(s) visé(s)"))
    await client.send("\n".join(lines[:half]))
    assert current_field(client).key == "publics"  # the first field missing: asked
    await client.send("Gestion administrative.\n" + "\n".join(lines[half:]))  # cut inside a line
    assert "Gestion administrative." in client.text  # the line without its label: reported
    assert current_field(client).key == "prix_total" and "⚠" in client.text  # refused: asked again
    await client.press("Passer")
    assert "Sessions de formation" in client.text
    await client.press("💾 Sauvegarder")
    [action] = await world.actions()
    assert action.publics == action_field("publics").parse(VALID_SAMPLES["publics"])
    assert action.semestre_debut == "S1 2027" and action.prix_total is None
