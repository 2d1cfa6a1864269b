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
from domain.models import Action, Status
from storage.database import create_engine
from storage.uow import SqlUnitOfWorkFactory
from tests.e2e.support import STAFF_ID, Player, new_link_code, running_bot, settings_for
from tests.factories import make_valid_action
from tests.fakebotapi import FakeBotApi
from tests.labels import clabel, label_start


async def play(player: Player, *steps: str) -> None:
    """Each step in turn: « [label] » presses that button, anything else is typed."""
    for step in steps:
        await (player.press(step[1:-1]) if step.startswith("[") else player.say(step))


async def _actions(factory: SqlUnitOfWorkFactory, org: int) -> tuple[Action, Action]:
    """An approved Agefiph action to codify, a published Région action (purchase order n° 1)."""
    async with factory() as uow:
        approved = await uow.all_actions().add(make_valid_action(
            Funder.AGEFIPH, organisation_id=org, status=Status.APPROVED, intitule="Cariste"))
        region = await uow.all_actions().add(make_valid_action(
            Funder.REGION, organisation_id=org, status=Status.PUBLISHED, intitule="Soudeur",
            reference_carif="CO-R-1"))
        await uow.commit()
    return approved, region


async def test_staff_codify_an_action_then_publish_the_next_purchase_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORMABOT_TODAY", "2026-12-01")  # the command line's business date, the bot's
    async with FakeBotApi() as api:
        settings = settings_for(api, tmp_path / "bot.db")
        org, code = await new_link_code(settings)
        factory = SqlUnitOfWorkFactory(create_engine(settings.database_url))
        approved, region = await _actions(factory, org)
        async with running_bot(settings) as runtime:
            claire = Player(api.user(1001, "Claire"))
            await claire.command("start", code)
            staff = Player(api.user(STAFF_ID, "Carif"))
            await staff.command("start")

            # Item 13: correct and code, see the changes, publish; the organisation is told.
            await play(staff, approved.reference, "[✏ Corriger / coder]", "[✏ Présentation générale]",
                       "[Code(s) Formacode]", "31795", "[✏ Présentation générale]", "[Code(s) ROME]", "H2913")
            assert "Code(s) Formacode : 42752, 42745 → 31795" in staff.text
            assert "Code(s) ROME : G1602 → H2913" in staff.text
            await staff.press(clabel("save_publish"))
            await staff.press(label_start("publish_yes", "reference", template="backoffice_buttons.j2"))
            told = await claire.user.wait_for(lambda m: "Action corrigée par le Carif-Oref" in m.text)
            assert "Code(s) Formacode : 42752, 42745 → 31795" in told.text
            assert "Code(s) ROME : G1602 → H2913" in told.text
            await claire.user.wait_for(lambda m: "Action publiée" in m.text)

            # Item 14: the next purchase order, split into two sessions, published.
            await staff.command("menu")
            # « S1 2027 »: the semester buttons of the intake's question.
            await play(staff, "CO-R-1", "[📦 Bon de commande suivant]", "[✏ Semestre de début prévu au bon de commande]",
                       "[S1 2027]", "[➕ Ajouter la session n° 1]", "01/04/2027", "31/05/2027",
                       "[➕ Ajouter la session n° 2]", "07/06/2027", "30/06/2027", "[📢 Publier le bon de commande n° 2]")
            assert "du bon de commande n° 2 publiée" in staff.text
            order = await claire.user.wait_for(lambda m: "Bon de commande n° 2 publié" in m.text)
            assert region.reference in order.text and "S1 2027" in order.text
            await claire.command("menu")
            await claire.press("Publiées (3)")
            assert sum(1 for label in claire.labels if "Soudeur" in label) == 2

            # Item 16: the same operations on the command line, beside the running bot.
            monkeypatch.setenv("FORMABOT_DATABASE_URL", settings.database_url)
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
        await factory.engine.dispose()
