"""After confirmation, end to end: validation, publication, reminders, archiving, corrections, the
Région vote — every notification delivered once through the fake Bot API, with a 429 storm."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.cli import main as cli
from bot.daily import run_daily
from domain.clock import FixedClock
from domain.funders import Funder
from domain.models import Status
from domain.ports import Role
from tests.e2e.support import (
    FAST_PATHS,
    STAFF_ID,
    Db,
    Player,
    new_link_code,
    running_bot,
    settings_for,
    uses_fast_paths,
)
from tests.factories import make_session, make_valid_action
from tests.fakebotapi import FakeBotApi
from tests.labels import NOTIFICATION_DATES, blabel, label, label_start


def received(player: Player, fragment: str) -> int:
    return sum(1 for m in player.user.bot_messages if fragment in m.text and not m.edited)


@pytest.mark.parametrize("fast_paths", FAST_PATHS)
async def test_life_of_an_action_after_confirmation(tmp_path: Path, monkeypatch, fast_paths: bool) -> None:
    async with FakeBotApi() as api:
        settings = settings_for(api, tmp_path / "bot.db", fast_paths=fast_paths)
        org, code = await new_link_code(settings)
        db = Db(settings.database_url)
        # Fixed entry dates: public until its only session starts on 15/01/2027.
        pe = await db.add(make_valid_action(Funder.POLE_EMPLOI, organisation_id=org, intitule="Cariste",
                                            sessions=[make_session(debut=date(2027, 1, 15), fin=date(2027, 3, 31))]))
        region = [await db.add(make_valid_action(Funder.REGION, organisation_id=org, status=Status.SUBMITTED,
                                                 intitule=f"Région {i}")) for i in range(3)]
        to_return = await db.add(make_valid_action(Funder.AGEFIPH, organisation_id=org, status=Status.SUBMITTED,
                                                   intitule="Agent d'accueil"))
        pe_code = await db.code(Role.VALIDATOR, funder=Funder.POLE_EMPLOI)
        async with running_bot(settings) as runtime:
            assert await uses_fast_paths(runtime) is fast_paths
            claire = Player(api.user(1001, "Claire"))
            await claire.command("start", code)
            staff = Player(api.user(STAFF_ID, "Carif"))
            await staff.command("start")
            validator = Player(api.user(2001, "Valérie"))
            await validator.command("start", pe_code)

            # The organisation confirms; staff and the funder's validator are told.
            await claire.press("En cours de création (1)")
            await claire.press(pe.reference)
            await claire.press(label("op_confirm"))
            await claire.press(label("confirm"))
            await claire.press(label("confirm_yes"))
            await staff.user.wait_for(lambda m: "Nouvelle action confirmée" in m.text)

            # The Pôle emploi validator validates; the organisation is told once.
            await validator.command("menu")
            await validator.press(blabel("funder_queue", funder="Pôle emploi", count=1))
            await validator.press(pe.reference)
            await validator.press(blabel("approve"))
            await claire.user.wait_for(lambda m: "Action validée" in m.text)

            # Staff publishes; the organisation gets the reference.
            await staff.command("menu")
            await staff.press("Validées, à publier (1)")
            await staff.press(pe.reference)
            await staff.press(blabel("publish"))
            await staff.press(label_start("publish_yes", "reference", template="backoffice_buttons.j2"))
            published = await claire.user.wait_for(lambda m: "Action publiée" in m.text)
            reference_carif = (await db.get(pe.id)).reference_carif
            assert reference_carif and reference_carif in published.text

            # Staff returns another action; the organisation corrects it and confirms again.
            await staff.command("menu")
            await staff.press("Confirmées")
            await staff.press(to_return.reference)
            await staff.press(blabel("send_back"))
            await staff.say("Précisez le rythme hebdomadaire.")
            await claire.user.wait_for(lambda m: "Action à corriger" in m.text and "rythme" in m.text)
            await claire.command("menu")
            await claire.press("À corriger (1)")
            await claire.press(to_return.reference)
            await claire.press(label("op_modify"))
            assert "Précisez le rythme hebdomadaire." in claire.text
            await claire.press(label("edit_group", group="Organisation de la formation"))
            await claire.press("Rythme de la formation *")
            await claire.say("35 heures par semaine, du lundi au vendredi")
            await claire.press(label("confirm"))
            await claire.press(label("confirm_yes"))
            assert (await db.get(to_return.id)).status is Status.SUBMITTED

            # The Région's vote, as a file, approves three actions; with a 429 storm on delivery.
            vote = tmp_path / "vote.txt"
            vote.write_text("\n".join(a.reference for a in region) + "\n", encoding="utf-8")
            monkeypatch.setenv("FORMABOT_DATABASE_URL", settings.database_url)
            monkeypatch.setenv("FORMABOT_TODAY", "2026-12-01")
            monkeypatch.setenv("FORMABOT_FAST_PATHS", "1" if fast_paths else "0")
            api.inject_429(5, retry_after=1)
            assert await _cli_async(["region-vote", str(vote)]) == 0
            runtime.delivery.wake()
            await api.wait_until(lambda: received(claire, "par la Région") == 3, timeout=30)

            # Time moves on: reminders 30, 7 and 1 days before 15/01/2027, each once.
            days = [date(2026, 12, 16), date(2026, 12, 16), date(2027, 1, 8), date(2027, 1, 14)]
            for day in days:
                await run_daily(runtime.services.uow_factory, FixedClock(day), settings, today=day, exports=False)
                runtime.delivery.wake()
            await api.wait_until(lambda: received(claire, "Archivage prochain") == 3, timeout=30)
            reminder = [m for m in claire.user.bot_messages if "sera archivée demain" in m.text][-1]

            # The reminder's button opens the date update; a new date keeps the action public.
            claire.user.skip_replies()
            await claire.user.press(NOTIFICATION_DATES, reminder)
            await claire._settle(len(claire.user.messages) - 1)
            await claire.press("Session n° 1")
            await claire.say("du 15/02/2027 au 30/04/2027")
            assert "Dates enregistrées" in claire.text
            await run_daily(runtime.services.uow_factory, FixedClock(date(2027, 1, 15)), settings,
                            today=date(2027, 1, 15), exports=False)
            assert (await db.get(pe.id)).status is Status.PUBLISHED
            # …until that new start comes: archived, and told once.
            for _ in range(2):
                await run_daily(runtime.services.uow_factory, FixedClock(date(2027, 2, 15)), settings,
                                today=date(2027, 2, 15), exports=False)
            runtime.delivery.wake()
            await claire.user.wait_for(lambda m: "Action archivée" in m.text, timeout=30)
            assert (await db.get(pe.id)).status is Status.ARCHIVED

            # Each notification once (screens may legitimately be shown twice, notifications not).
            assert received(claire, "Action publiée") == 1 and received(claire, "Action archivée") == 1
            assert received(claire, "Action à corriger") == 1 and received(claire, "Action validée") == 4
            notifications = ("Action validée", "Action publiée", "Archivage prochain", "Action archivée",
                             "Action à corriger", "Nouvelle action confirmée")
            twice = {k for k, n in api.stats.duplicates.items() if any(f in k[1] for f in notifications)}
            assert not twice
        await db.engine.dispose()


async def _cli_async(argv: list[str]) -> int:
    import asyncio

    return await asyncio.to_thread(cli, argv)
