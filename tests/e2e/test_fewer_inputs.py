"""Fewer inputs through Telegram (issue 16), on the real bot and the fake Bot API: both dates in one
answer, a session like the previous one, and an LHEO catalogue sent as a document."""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings
from storage.database import create_engine
from storage.uow import SqlUnitOfWorkFactory
from tests.e2e.support import Player, new_link_code, running_bot, settings_for
from tests.fakebotapi import FakeBotApi
from tests.labels import label


async def linked(api: FakeBotApi, settings: Settings) -> Player:
    """Claire of Forma Sud, linked by her code (the bot running)."""
    claire = Player(api.user(1001, "Claire"))
    await claire.command("start", (await new_link_code(settings))[1])
    return claire


async def test_a_second_session_like_the_first_costs_two_inputs_and_a_tap(tmp_path: Path) -> None:
    async with FakeBotApi() as api:
        settings = settings_for(api, tmp_path / "bot.db")
        async with running_bot(settings):
            claire = await linked(api, settings)
            for step in (label("create"), "Région"):
                await claire.press(step)
            await claire.fill()
            await claire.press(label("add_session", number=1))
            await claire.say("du 15/03/2027 au 30/06/2027")
            assert claire.current_field().key == "adresse_inscription"
            await claire.fill({"places": "12"})
            await claire.press("➕ Comme la session n° 1, sauf les dates")
            shown = await claire.say("du 01/09/2027 au 15/12/2027")
            assert "Nombre de places : 12 (repris)" in shown
            assert "Session n° 2 : 01/09/2027 → 15/12/2027" in await claire.press(
                "✅ Valider la session n° 2"
            )
            for step in (
                "Terminer votre saisie",
                "✅ Confirmer (valider la proposition)",
                "✅ Oui, je confirme",
            ):
                await claire.press(step)
            assert "confirmée" in claire.text
            assert not api.unanswered_callbacks()
        engine = create_engine(settings.database_url)
        async with SqlUnitOfWorkFactory(engine)() as uow:
            [action] = await uow.all_actions().list()
        await engine.dispose()
        first, second = action.sessions
        assert action.status.value == "submitted"
        assert (first.debut.isoformat(), first.fin.isoformat()) == ("2027-03-15", "2027-06-30")
        assert (second.debut.isoformat(), second.fin.isoformat()) == ("2027-09-01", "2027-12-15")
        assert second.places == first.places == 12
        assert second.adresse_inscription == first.adresse_inscription


LHEO = Path(__file__).resolve().parents[1] / "data" / "lheo"
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lheo [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>
<lheo xmlns="http://lheo.gouv.fr/2.3"><offres>&c;</offres></lheo>"""


async def test_a_catalogue_sent_as_a_document_becomes_drafts_to_complete(tmp_path: Path) -> None:
    async with FakeBotApi() as api:
        settings = settings_for(api, tmp_path / "bot.db")
        async with running_bot(settings):
            claire = await linked(api, settings)
            catalogue = (LHEO / "intercarif-centre-afpa-2.2-pseudonymised.xml").read_bytes()
            shown = await claire.send_document(catalogue, "catalogue.xml", "text/xml")
            assert "Votre catalogue est importé : 2 action(s) enregistrée(s) en brouillon" in shown
            assert (
                "1. Titre professionnel plaquiste" in shown
                and "À compléter avant de confirmer" in shown
            )
            assert [t for t in claire.labels if t.startswith("✏ Compléter n° ")] == [
                "✏ Compléter n° 1 : Titre professionnel plaquiste",
                "✏ Compléter n° 2 : Titre professionnel plaquiste",
            ]
            # Each draft opens at its first question to complete, with what is wrong.
            await claire.press("✏ Compléter n° 2")
            spec = claire.current_field()
            assert spec is not None and "⚠️" in claire.text, claire.text
            # Hostile, broken, oversized files: a clear refusal, nothing stored.
            await claire.command("menu")
            refused = await claire.send_document(BILLION_LAUGHS, "laughs.xml", "application/xml")
            assert "Catalogue non importé" in refused and "Fichier refusé par sécurité" in refused
            broken = await claire.send_document(b"<lheo><offres>", "cassé.xml", "text/xml")
            assert "ce n'est pas du XML bien formé" in broken
            downloads = len(api.requests_for("getFile"))
            heavy = await claire.send_document(
                b"<lheo/>" + b" " * (6 * 1024 * 1024), "gros.xml", "text/xml"
            )
            assert "Fichier trop lourd : 6,0 Mo, 5 Mo au plus" in heavy
            assert len(api.requests_for("getFile")) == downloads  # refused before any download
            assert "Vos actions de formation" in claire.text  # the member stays where they were
        engine = create_engine(settings.database_url)
        async with SqlUnitOfWorkFactory(engine)() as uow:
            stored = await uow.all_actions().list()
        await engine.dispose()
    assert len(stored) == 2 and {a.status.value for a in stored} == {"draft"}
    assert {a.intitule for a in stored} == {"Titre professionnel plaquiste"}
