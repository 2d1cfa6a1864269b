"""The organisation's Carif-Oref reference end to end through the fake Bot API (issue 15, item 7):
staff give it from an action's « 🏢 Organisme » in the chat, the organisation's member is told by
the outbox delivery and finds it on « Votre fiche organisme »."""

from __future__ import annotations

from pathlib import Path

from domain.funders import Funder
from domain.models import Status
from tests.e2e.reliability_support import database
from tests.e2e.support import STAFF_ID, Player, new_link_code, running_bot, settings_for
from tests.factories import make_valid_action
from tests.fakebotapi import FakeBotApi
from tests.labels import blabel, label


async def test_staff_give_the_reference_in_the_chat_and_the_member_sees_it(tmp_path: Path) -> None:
    async with FakeBotApi() as api:
        settings = settings_for(api, tmp_path / "bot.db")
        org, code = await new_link_code(settings)
        async with database(settings.database_url) as factory, factory() as uow:
            action = await uow.all_actions().add(
                make_valid_action(Funder.REGION, organisation_id=org, status=Status.SUBMITTED))
            await uow.commit()
        async with running_bot(settings):
            claire = Player(api.user(1001, "Claire"))
            await claire.command("start", code)
            staff = Player(api.user(STAFF_ID, "Carif"))
            await staff.command("start")

            await staff.say(action.reference or "")
            await staff.press(blabel("organisation"))
            assert "Référence Carif-Oref de l'organisme : pas encore attribuée" in staff.text
            await staff.say("7320143")
            assert "Référence Carif-Oref 7320143 attribuée" in staff.text

            told = await claire.user.wait_for(lambda m: "Votre référence Carif-Oref" in m.text)
            assert "7320143" in told.text and "fiche organisme" in told.text
            await claire.command("menu")
            await claire.press(label("fiche"))
            assert "Votre référence Carif-Oref : 7320143" in claire.text
            assert not any("Carif-Oref" in label for label in claire.labels)

        async with database(settings.database_url) as factory, factory() as uow:
            stored = await uow.organisations.get(org)
        assert stored is not None and stored.reference_carif == "7320143"
