"""Real conditions through the fake Bot API: wrong codes, forged buttons, duplicates, double taps,
a restart in the middle of a form, a 429 storm."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

from domain.funders import Funder
from domain.models import Action, Status
from tests.databases import add_action, database
from tests.e2e.support import Player, new_link_code, running_bot, settings_for
from tests.factories import make_session, make_valid_action
from tests.fakebotapi import FakeBotApi
from tests.labels import label


async def _actions(url: str) -> list[Action]:
    async with database(url) as factory, factory() as uow:
        return await uow.all_actions().list(limit=100)


async def _linked(api: FakeBotApi, code: str, user_id: int = 1001) -> Player:
    player = Player(api.user(user_id, "Claire"))
    await player.command("start", code)
    assert "Bienvenue" in player.text
    return player


@asynccontextmanager
async def _claire_linked(tmp_path: Path) -> AsyncIterator[tuple[FakeBotApi, Player]]:
    """The bot running on a fresh database; Claire linked to Forma Sud, at the menu."""
    async with FakeBotApi() as api:
        settings = settings_for(api, tmp_path / "bot.db")
        _, code = await new_link_code(settings)
        async with running_bot(settings):
            yield api, await _linked(api, code)


async def test_five_wrong_codes_then_refused_for_an_hour(tmp_path: Path) -> None:
    async with FakeBotApi() as api:
        settings = settings_for(api, tmp_path / "bot.db")
        _, code = await new_link_code(settings)
        async with running_bot(settings):
            intruder = Player(api.user(666, "Mallory"))
            for i in range(5):
                await intruder.command("start", f"AAAA-BBBB-{i}", screen=False)
                assert "n'est pas valable" in intruder.text
            await intruder.command("start", code, screen=False)
            assert "Trop de codes erronés" in intruder.text
            await intruder.say("/menu", screen=False)
            assert "code de rattachement" in intruder.text


async def test_forged_callback_naming_another_organisations_action_changes_nothing(tmp_path: Path) -> None:
    async with FakeBotApi() as api:
        settings = settings_for(api, tmp_path / "bot.db")
        _, code_a = await new_link_code(settings, "Forma Sud")
        org_b, _ = await new_link_code(settings, "Concurrent SA")
        async with database(settings.database_url) as factory:
            other = await add_action(factory, make_valid_action(Funder.REGION, organisation_id=org_b))
        async with running_bot(settings):
            claire = await _linked(api, code_a)
            seq = claire.screen.buttons[0][0][1].split(":")[0]
            for forged in (f"{seq}:view:{other.id}", f"g:dates:{other.id}", "not-a-payload", "x" * 64):
                claire.user.skip_replies()
                await claire.user.send_callback(forged, claire.screen)
                await claire._settle(len(claire.user.messages) - 0)
                assert other.reference not in claire.text
            await api.wait_until(lambda: not api.unanswered_callbacks())
        [stored] = [a for a in await _actions(settings.database_url) if a.id == other.id]
        assert stored.version == other.version and stored.status is Status.DRAFT


async def test_the_same_update_delivered_twice_is_processed_once(tmp_path: Path) -> None:
    async with _claire_linked(tmp_path) as (_, claire):
        await claire.press(label("create"))
        await claire.press("Région")
        update = {
            "update_id": 900_001,
            "message": {
                "message_id": 424242, "date": 1_800_000_000, "text": "Soudeur TIG",
                "from": claire.user.user_json(), "chat": claire.user.chat_json(),
            },
        }
        for _ in range(3):
            await claire.user.raw_update(dict(update))
        await claire.user.wait_for(lambda m: "Objectif de la formation" in m.text)
        await claire.command("aide")  # shows the help, then the current question again
        assert "Aide · formulaire" in claire.text
        assert claire.current_field().key == "objectif", claire.text  # not two questions further
        asked = [m for m in claire.user.bot_messages if "Objectif de la formation *" in m.text]
        assert len(asked) == 2  # once after the answer, once after /aide: not three times


async def test_double_tap_on_confirm_confirms_once(tmp_path: Path) -> None:
    async with FakeBotApi() as api:
        settings = settings_for(api, tmp_path / "bot.db")
        org, code = await new_link_code(settings)
        async with database(settings.database_url) as factory:
            draft = await add_action(factory, make_valid_action(
                Funder.REGION, organisation_id=org,
                sessions=[make_session(debut=date(2027, 3, 15), fin=date(2027, 6, 30))]))
        async with running_bot(settings):
            claire = await _linked(api, code)
            await claire.press("En cours de création (1)")
            await claire.press(draft.reference)
            await claire.press(label("op_confirm"))
            await claire.press(label("confirm"))
            confirm = next(d for row in claire.screen.buttons for t, d in row if t == label("confirm_yes"))
            claire.user.skip_replies()
            await asyncio.gather(claire.user.send_callback(confirm, claire.screen),
                                 claire.user.send_callback(confirm, claire.screen))
            await api.wait_until(lambda: not api.unanswered_callbacks() and len(api.callbacks) >= 2)
            await claire.user.wait_for(lambda m: "confirmée" in m.text)
            await api.wait_until(lambda: any("plus valable" in (m.text or "") for m in claire.user.bot_messages))
            confirmations = [m for m in claire.user.bot_messages if "confirmée :" in m.text]
            assert len(confirmations) == 1
        [stored] = await _actions(settings.database_url)
        assert stored.status is Status.SUBMITTED


async def test_restart_in_the_middle_of_a_form_same_question_nothing_lost(tmp_path: Path) -> None:
    async with FakeBotApi() as api:
        settings = settings_for(api, tmp_path / "bot.db")
        _, code = await new_link_code(settings)
        async with running_bot(settings):
            claire = await _linked(api, code)
            await claire.press(label("create"))
            await claire.press("Région")
            await claire.say("Soudeur TIG")
            await claire.say("Souder à l'arc des aciers.")
            assert claire.current_field().key == "resultats_attendus"
        async with running_bot(settings):  # a new process on the same database
            await claire.say("Titre professionnel de niveau 3.")
            assert claire.current_field().key == "contenu"
            for _ in range(3):
                await claire.press(label("back"))
            assert "Réponse actuelle : Soudeur TIG" in claire.text


async def test_429_storm_every_message_delivered_once(tmp_path: Path) -> None:
    async with _claire_linked(tmp_path) as (api, claire):
        api.inject_429(6, retry_after=1)
        await claire.press(label("create"))
        await claire.press("Région")
        await claire.say("Soudeur TIG")
        assert claire.current_field().key == "objectif"
        assert not api.stats.duplicates
        assert api.stats.too_many_requests == 6
        texts = [m.text for m in claire.user.bot_messages if not m.edited]
        assert len(texts) == len(set(texts))
