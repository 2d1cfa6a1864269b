"""Outside review of issue 13 through the fake Bot API: a member of two organisations switches
organisation with answers in progress (they were dropped, and « Reprendre » in the other
organisation claimed the action was deleted)."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.ports import Role
from tests.e2e.reliability_support import (
    database,
    scene,
)
from tests.e2e.support import running_bot
from tests.factories import make_organisation
from tests.labels import CHANGE_ORGANISATION, RESUME, label


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
    async with scene(tmp_path, monkeypatch) as s:
        [draft] = await s.store(s.action())
        code_b = await _second_organisation(s.url)
        async with running_bot(s.settings):
            claire = await s.member(1001, "Claire")
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
            assert not any(label.startswith(RESUME) for label in claire.labels), claire.labels
            stored = await s.stored(draft)
            assert stored.intitule == "Titre de Forma Sud" and stored.organisation_id == s.org
        s.check_clean()
