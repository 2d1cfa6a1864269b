"""The LHEO exports with the real bot and the fake Bot API (issue 13, findings 8 and 15).

- Finding 15: one organisation created with ``org add --name --siret`` (no NDA, address, e-mail,
  contact) publishes an action; the daily job still writes a valid file with every other action,
  leaves that one out, and staff are told once that day, by name, with the reason.
- Finding 8: staff publish actions through the bot while the export is between two pages: the
  bot answers (the export holds no write lock) and the file has every action exactly once.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import func, select

from bot.cli import main as cli
from bot.daily import run_daily
from domain.clock import FixedClock
from domain.funders import Funder
from domain.models import Action, Status
from domain.services.lheo import export_actions
from storage.database import create_engine
from storage.lheo.schema import LHEO_NS
from storage.lheo.validate import validate_lheo
from storage.tables import outbox
from storage.uow import SqlUnitOfWorkFactory
from tests.e2e.support import STAFF_ID, Player, new_link_code, running_bot, settings_for
from tests.factories import make_valid_action
from tests.fakebotapi import FakeBotApi
from tests.labels import blabel, label_start

NS = {"l": LHEO_NS}
DAY = date(2027, 1, 4)  # the factory's actions have sessions to come: public on that day
NOTICE = "Action absente de l'export LHEO"


def numeros(path: Path) -> list[str]:
    return [str(n) for n in etree.parse(str(path)).xpath("//l:formation/@numero", namespaces=NS)]


async def add_action(factory: SqlUnitOfWorkFactory, organisation_id: int, status: Status, **values: object) -> Action:
    async with factory() as uow:
        repository = uow.all_actions()  # seeding any status
        action = await repository.add(make_valid_action(Funder.REGION, organisation_id=organisation_id, **values))
        if status is not Status.DRAFT:
            action.status = status
            if status is Status.PUBLISHED:
                action.reference_carif = f"24_AF_{action.id:07d}"
            await repository.save(action)
        await uow.commit()
    return action


async def left_out_rows(factory: SqlUnitOfWorkFactory) -> int:
    async with factory() as uow:
        found = await uow.connection.execute(
            select(func.count()).select_from(outbox).where(outbox.c.kind == "export_left_out")
        )
        return int(found.scalar_one())


async def test_an_incomplete_fiche_leaves_out_its_action_only_and_staff_is_told_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FakeBotApi() as api:
        # The start-up catch-up runs the daily job for this day too: one notice a day, whoever runs.
        settings = settings_for(api, tmp_path / "bot.db", today=DAY)
        complete, _code = await new_link_code(settings)
        # The organisation as `formabot org add --name --siret` creates it: no NDA, address, e-mail
        # nor contact.
        monkeypatch.setenv("FORMABOT_DATABASE_URL", settings.database_url)
        assert await asyncio.to_thread(cli, ["org", "add", "--name", "Forma Nord",
                                             "--siret", "35600000000048"]) == 0
        engine = create_engine(settings.database_url)
        factory = SqlUnitOfWorkFactory(engine, FixedClock(DAY))
        try:
            async with factory() as uow:
                bare = await uow.organisations.by_siret("35600000000048")
            assert bare is not None and bare.id is not None and bare.numero_activite is None
            valid = await add_action(factory, complete, Status.PUBLISHED, intitule="Cariste")
            orphan = await add_action(factory, bare.id, Status.PUBLISHED, intitule="Soudeur TIG")

            async with running_bot(settings) as runtime:
                staff = Player(api.user(STAFF_ID, "Carif"))
                await staff.command("start")

                report = await run_daily(runtime.services.uow_factory, FixedClock(DAY), settings, today=DAY)
                assert report.ok, report
                by_scope = {e.scope: e for e in report.exports}
                for scope in ("public", "ofaa"):
                    path = by_scope[scope].path
                    assert numeros(path) == [valid.reference]  # the other organisation's action is there
                    assert validate_lheo(path).valid
                    assert [item.reference for item in by_scope[scope].left_out] == [orphan.reference]
                    assert "Numéro de déclaration d'activité" in by_scope[scope].left_out[0].missing

                runtime.delivery.wake()
                notice = await staff.user.wait_for(lambda m: NOTICE in m.text, timeout=20)
                assert orphan.reference in notice.text and "Soudeur TIG" in notice.text
                assert "fiche de son organisme est incomplète" in notice.text
                assert "Organisme : Forma Nord" in notice.text
                assert "Numéro de déclaration d'activité" in notice.text and "Courriel" in notice.text
                assert valid.reference not in notice.text

                # The same day again (the job, then the command line): no second notice.
                await run_daily(runtime.services.uow_factory, FixedClock(DAY), settings, today=DAY)
                monkeypatch.setenv("FORMABOT_TODAY", DAY.isoformat())
                monkeypatch.setenv("FORMABOT_ADMIN_IDS", str(STAFF_ID))
                assert await asyncio.to_thread(
                    cli, ["export", "lheo", "--out", str(tmp_path / "cli.xml")]) == 0
                assert numeros(tmp_path / "cli.xml") == [valid.reference]
                assert await left_out_rows(factory) == 1
                runtime.delivery.wake()
                await staff.command("menu")  # a round trip after the wake-up
                assert sum(NOTICE in m.text for m in staff.user.bot_messages) == 1
        finally:
            await engine.dispose()


async def test_staff_publish_through_the_bot_while_the_export_runs_and_nothing_is_twice(
    tmp_path: Path,
) -> None:
    async with FakeBotApi() as api:
        settings = settings_for(api, tmp_path / "bot.db")
        org, _code = await new_link_code(settings)
        engine = create_engine(settings.database_url)
        factory = SqlUnitOfWorkFactory(engine, FixedClock(DAY))
        try:
            published = [await add_action(factory, org, Status.PUBLISHED, intitule=f"Action {n}")
                         for n in range(7)]
            approved = [await add_action(factory, org, Status.APPROVED, intitule=f"Validée {n}")
                        for n in range(3)]
            async with running_bot(settings) as runtime:
                staff = Player(api.user(STAFF_ID, "Carif"))
                await staff.command("start")
                to_publish = list(approved)
                published_meanwhile: list[str] = []

                async def staff_publishes() -> None:
                    if not to_publish:
                        return
                    action = to_publish.pop()
                    await staff.command("menu")
                    await staff.press("Validées, à publier")
                    await staff.press(action.reference)
                    await staff.press(blabel("publish"))
                    await staff.press(label_start("publish_yes", "reference", template="backoffice_buttons.j2"))
                    assert "publiée" in staff.text.lower()
                    published_meanwhile.append(str(action.reference))

                out = tmp_path / "offre.xml"
                report = await asyncio.wait_for(export_actions(
                    runtime.services.lheo_files, out, "public", today=DAY,
                    now=datetime(2027, 1, 4, 6, 0, tzinfo=UTC), page_size=2, between_pages=staff_publishes,
                ), timeout=60)
                assert len(published_meanwhile) == 3  # the bot answered between every two pages
                async with factory() as uow:
                    for reference in published_meanwhile:
                        stored = await uow.all_actions().by_reference(reference)
                        assert stored is not None and stored.status is Status.PUBLISHED
                # The file is the snapshot taken at its first read: each action exactly once.
                assert numeros(out) == [a.reference for a in published]
                assert report.formations == len(published) and not report.left_out
                assert validate_lheo(out).valid
        finally:
            await engine.dispose()
