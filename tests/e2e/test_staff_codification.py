"""The Carif-Oref's own operations end to end through the fake Bot API: quality control and
codification before publication (the organisation is told what changed), and the next purchase
order of a Région action (published, told, in the organisation's published list); the same
operations on the command line beside the running bot."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest

from bot.cli import main as cli
from domain.funders import Funder
from domain.models import Status
from storage.database import create_engine
from storage.uow import SqlUnitOfWorkFactory
from tests.e2e.support import STAFF_ID, Player, new_link_code, running_bot, settings_for
from tests.factories import make_valid_action
from tests.fakebotapi import FakeBotApi


async def test_staff_codify_an_action_then_publish_the_next_purchase_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FakeBotApi() as api:
        settings = settings_for(api, tmp_path / "bot.db")
        org, code = await new_link_code(settings)
        engine = create_engine(settings.database_url)
        factory = SqlUnitOfWorkFactory(engine)
        async with factory() as uow:
            approved = await uow.all_actions().add(make_valid_action(
                Funder.AGEFIPH, organisation_id=org, status=Status.APPROVED, intitule="Cariste"))
            region = await uow.all_actions().add(make_valid_action(
                Funder.REGION, organisation_id=org, status=Status.PUBLISHED, intitule="Soudeur",
                reference_carif="CO-R-1"))
            await uow.commit()
        async with running_bot(settings) as runtime:
            claire = Player(api.user(1001, "Claire"))
            await claire.command("start", code)
            staff = Player(api.user(STAFF_ID, "Carif"))
            await staff.command("start")

            # Item 13: correct and code, see the changes, publish; the organisation is told.
            await staff.say(approved.reference)
            await staff.press("✏ Corriger / coder")
            await staff.press("✏ Présentation générale")
            await staff.press("Code(s) Formacode")
            await staff.say("31795")
            await staff.press("✏ Présentation générale")
            await staff.press("Code(s) ROME")
            await staff.say("H2913")
            assert "Code(s) Formacode : 42752, 42745 → 31795" in staff.text
            assert "Code(s) ROME : G1602 → H2913" in staff.text
            await staff.press("📢 Enregistrer puis publier")
            await staff.press("📢 Oui, publier")
            told = await claire.user.wait_for(lambda m: "Action corrigée par le Carif-Oref" in m.text)
            assert "Code(s) Formacode : 42752, 42745 → 31795" in told.text
            assert "Code(s) ROME : G1602 → H2913" in told.text
            await claire.user.wait_for(lambda m: "Action publiée" in m.text)

            # Item 14: the next purchase order, split into two sessions, published.
            await staff.command("menu")
            await staff.say("CO-R-1")
            await staff.press("📦 Bon de commande suivant")
            await staff.press("✏ Semestre de début prévu au bon de commande")
            await staff.press("S1 2027")  # the semester buttons of the intake's question
            await staff.press("➕ Ajouter la session n° 1")
            await staff.say("01/04/2027")
            await staff.say("31/05/2027")
            await staff.press("➕ Ajouter la session n° 2")
            await staff.say("07/06/2027")
            await staff.say("30/06/2027")
            await staff.press("📢 Publier le bon de commande n° 2")
            assert "du bon de commande n° 2 publiée" in staff.text
            order = await claire.user.wait_for(lambda m: "Bon de commande n° 2 publié" in m.text)
            assert region.reference in order.text and "S1 2027" in order.text
            await claire.command("menu")
            await claire.press("Publiées (3)")
            assert sum(1 for label in claire.labels if "Soudeur" in label) == 2

            # Item 16: the same operations on the command line, beside the running bot.
            monkeypatch.setenv("FORMABOT_DATABASE_URL", settings.database_url)
            monkeypatch.setenv("FORMABOT_TODAY", "2026-12-01")
            argv = ["action", "next-order", "CO-R-1", "--semester", "S2 2027",
                    "--session", "06/09/2027", "29/10/2027"]
            assert await asyncio.to_thread(cli, argv) == 0
            runtime.delivery.wake()
            await claire.user.wait_for(lambda m: "Bon de commande n° 3 publié" in m.text, timeout=30)

        async with factory() as uow:
            orders = [a for a in await uow.all_actions().list(limit=100) if a.copied_from is not None]
        assert sorted(a.numero_bon_commande or 0 for a in orders) == [2, 3]
        assert all(a.status is Status.PUBLISHED for a in orders)
        assert {s.debut for a in orders for s in a.sessions} == {
            date(2027, 4, 1), date(2027, 6, 7), date(2027, 9, 6)}
        await engine.dispose()
