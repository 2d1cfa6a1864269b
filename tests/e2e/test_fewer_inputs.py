"""Fewer inputs through Telegram (issue 16), on the real bot and the fake Bot API: both dates in one
answer, a session like the previous one, and an LHEO catalogue sent as a document."""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings
from storage.database import create_engine
from storage.uow import SqlUnitOfWorkFactory
from tests.e2e.support import Player, new_link_code, running_bot, settings_for
from tests.fakebotapi import FakeBotApi


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
            for step in ("➕ Créer une action", "Région"):
                await claire.press(step)
            await claire.fill()
            await claire.press("➕ Ajouter la session n° 1")
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
