"""Outside review of issue 13 through the fake Bot API: a member of two organisations switches
organisation with answers in progress (they were dropped, and « Reprendre » in the other
organisation claimed the action was deleted)."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.funders import Funder
from domain.ports import Role
from tests.e2e.reliability_support import (
    ErrorLogs,
    Person,
    UpdateTracker,
    database,
    incidents,
    store,
    stored_actions,
)
from tests.e2e.support import new_link_code, running_bot, settings_for
from tests.factories import make_organisation, make_valid_action
from tests.fakebotapi import FakeBotApi
from tests.labels import CHANGE_ORGANISATION, label


async def _second_organisation(url: str) -> str:
    async with database(url) as factory, factory() as uow:
        org = await uow.organisations.add(make_organisation(nom_organisme="Concurrent SA", siret="73282932000074"))
        assert org.id is not None
        code = await uow.link_codes.create(Role.MEMBER, organisation_id=org.id)
        await uow.commit()
    return code


async def test_switching_organisation_saves_the_answers_in_their_own_organisation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracker = UpdateTracker().install(monkeypatch)
    async with FakeBotApi() as api, ErrorLogs.captured() as logs:
        settings = settings_for(api, tmp_path / "bot.db")
        org, code = await new_link_code(settings)
        [draft] = await store(settings.database_url, [make_valid_action(Funder.REGION, organisation_id=org)])
        code_b = await _second_organisation(settings.database_url)
        async with running_bot(settings):
            claire = Person(api.user(1001, "Claire"), tracker)
            await claire.command("start", code)
            await claire.command("start", code_b)
            await claire.command("menu")
            await claire.press("Forma Sud")
            await claire.tap("list", "draft")
            await claire.tap("view", draft.id)
            await claire.press(label("op_modify"))
            await claire.press(label("edit_group", group="Présentation générale"))
            await claire.tap("f", "intitule")
            await claire.say("Titre de Forma Sud")
            assert "Récapitulatif" in claire.text, claire.text[-300:]
            await claire.command("menu")
            await claire.press(CHANGE_ORGANISATION)
            await claire.press("Concurrent SA")
            assert "sauvegardée" in claire.text, claire.text[-400:]
            assert not any(label.startswith("▶") for label in claire.labels), claire.labels
            stored = (await stored_actions(settings.database_url))[draft.id or -1]
            assert stored.intitule == "Titre de Forma Sud" and stored.organisation_id == org
        assert tracker.errors == [] and incidents(api.users.values()) == [] and logs.lines() == []
