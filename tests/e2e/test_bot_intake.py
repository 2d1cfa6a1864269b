"""The real bot process logic on python-telegram-bot, against the fake Bot API, played by users."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.database import create_engine
from storage.uow import SqlUnitOfWorkFactory
from tests.e2e.support import (
    FAST_PATHS,
    Player,
    new_link_code,
    running_bot,
    settings_for,
    uses_fast_paths,
)
from tests.fakebotapi import FakeBotApi
from tests.labels import label


@pytest.mark.parametrize("fast_paths", FAST_PATHS)
async def test_link_then_create_and_confirm_a_region_action_with_two_sessions(
    tmp_path: Path, fast_paths: bool
) -> None:
    async with FakeBotApi() as api:
        settings = settings_for(api, tmp_path / "bot.db", fast_paths=fast_paths)
        _, code = await new_link_code(settings)
        async with running_bot(settings) as runtime:
            assert await uses_fast_paths(runtime) is fast_paths
            claire = Player(api.user(1001, "Claire"))
            await claire.command("start", screen=False)
            assert "code de rattachement" in claire.text
            await claire.command("start", code)
            assert "Bienvenue" in claire.text and "Vos actions de formation" in claire.text
            await claire.press(label("create"))
            await claire.press("Région")
            await claire.fill()
            await claire.press(label("add_session", number=1))
            await claire.fill()
            await claire.press(label("add_session", number=2))
            await claire.fill({"debut": "01/04/2027", "fin": "30/09/2027"})
            await claire.press("Terminer votre saisie")
            assert "Récapitulatif" in claire.text
            await claire.press(label("confirm"))
            await claire.press(label("confirm_yes"))
            assert "confirmée" in claire.text
            assert not api.unanswered_callbacks()
            assert all(len(r.params.get("text", "")) <= 4096 for r in api.requests_for("sendMessage"))
        engine = create_engine(settings.database_url)
        async with SqlUnitOfWorkFactory(engine)() as uow:
            [action] = await uow.all_actions().list()
        await engine.dispose()
        assert action.status.value == "submitted" and len(action.sessions) == 2
