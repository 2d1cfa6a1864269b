"""The business date, the reminders and the update ids through the fake Bot API (issue 13, findings
13, 16 and 17): the real bot, the real daily job, Telegram's behaviour imitated by the fake."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main as cli
from bot.daily import run_daily
from domain.clock import FixedClock
from domain.funders import Funder
from domain.models import Action, Status
from storage.database import create_engine
from storage.tables import outbox, processed_updates
from storage.uow import SqlUnitOfWorkFactory
from tests.e2e.support import TODAY, Player, new_link_code, running_bot, settings_for
from tests.factories import make_session, make_valid_action
from tests.fakebotapi import FakeBotApi


def _published(org: int, starts: date) -> Action:
    """A published action whose archiving date is ``starts`` (its only session starts then)."""
    return make_valid_action(Funder.REGION, organisation_id=org, status=Status.PUBLISHED,
                             intitule="Cariste", reference_carif="CO-E2E-0001",
                             sessions=[make_session(debut=starts, fin=starts + timedelta(days=90))])


async def _add(url: str, action: Action) -> None:
    engine = create_engine(url)
    try:
        async with SqlUnitOfWorkFactory(engine)() as uow:
            await uow.all_actions().add(action)  # seeding a published action
            await uow.commit()
    finally:
        await engine.dispose()


def _reminders(player: Player) -> list[str]:
    return [m.text for m in player.user.bot_messages if "Archivage prochain" in m.text and not m.edited]


async def test_a_bot_started_27_days_before_archiving_tells_dans_27_jours(tmp_path: Path) -> None:
    """Finding 16: the bot was down on the 30th day before archiving; started on the 27th, its
    catch-up tells the organisation « dans 27 jours », once (before: nothing, ever)."""
    archive_on = TODAY + timedelta(days=31)
    async with FakeBotApi() as api:
        settings = settings_for(api, tmp_path / "bot.db")
        org, code = await new_link_code(settings)
        await _add(settings.database_url, _published(org, archive_on))
        claire = Player(api.user(1001, "Claire"))
        async with running_bot(settings):  # 31 days before: no reminder due yet
            await claire.command("start", code)
        assert _reminders(claire) == []
        # Down for four days (the 30-day reminder's day among them); started 27 days before.
        later = settings.model_copy(update={"today": archive_on - timedelta(days=27)})
        async with running_bot(later) as runtime:
            told = await claire.user.wait_for(lambda m: "Archivage prochain" in m.text, timeout=30)
            assert "sera archivée dans 27 jours, le " + archive_on.strftime("%d/%m/%Y") in told.text
            # The next day's job tells nothing more (the 30-day level was told).
            next_day = archive_on - timedelta(days=26)
            report = await run_daily(runtime.services.uow_factory, FixedClock(next_day), settings,
                                     today=next_day, exports=False)
            assert report.ran and report.queued == 0
            runtime.delivery.wake()
            await claire.command("menu")  # anything queued would have been sent before this screen
        assert len(_reminders(claire)) == 1


async def test_daily_with_a_business_date_queues_what_a_real_clock_bot_sends_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding 17: `formabot daily --today 2027-08-07` sets the business date only; its
    notifications are due now, so a bot on the real clock delivers them at once, and the times
    written are real ones (before: due on 07/08/2027, never sent)."""
    day = date(2027, 8, 7)
    async with FakeBotApi() as api:
        settings = settings_for(api, tmp_path / "bot.db", today=None)  # the real clock
        org, code = await new_link_code(settings)
        await _add(settings.database_url, _published(org, day + timedelta(days=7)))
        claire = Player(api.user(1001, "Claire"))
        async with running_bot(settings) as runtime:
            await claire.command("start", code)
            monkeypatch.setenv("FORMABOT_DATABASE_URL", settings.database_url)
            monkeypatch.setenv("FORMABOT_EXPORT_DIR", str(tmp_path / "exports"))
            monkeypatch.delenv("FORMABOT_TODAY", raising=False)
            before = datetime.now(UTC)
            assert await asyncio.to_thread(cli, ["daily", "--today", day.isoformat()]) == 0
            after = datetime.now(UTC)
            runtime.delivery.wake()
            told = await claire.user.wait_for(lambda m: "Archivage prochain" in m.text, timeout=30)
            assert "dans 7 jours, le 14/08/2027" in told.text
            async with runtime.services.uow_factory() as uow:
                rows = (await uow.connection.execute(select(outbox))).all()
        assert len(rows) == 1
        row = rows[0]
        assert before - timedelta(seconds=1) <= row.created_at <= after + timedelta(seconds=1)
        # Real time too (the delivery's lease moves it by minutes, never to 2027).
        assert before - timedelta(seconds=1) <= row.next_attempt_at <= after + timedelta(minutes=10)


async def test_update_ids_restarting_lower_after_a_week_are_processed(tmp_path: Path) -> None:
    """Finding 13: after a week without updates Telegram may restart its update ids, lower than
    the ones stored; the daily job pruned them, so the user's updates are answered (before: each
    dropped as a duplicate, the bot silent)."""
    async with FakeBotApi() as api:
        settings = settings_for(api, tmp_path / "bot.db")
        _org, code = await new_link_code(settings)
        claire = Player(api.user(1001, "Claire"))
        async with running_bot(settings):
            await claire.command("start", code)
            await claire.command("menu")
            await claire.command("aide")
            engine = create_engine(settings.database_url)
            try:
                async with SqlUnitOfWorkFactory(engine)() as uow:
                    seen = sorted((await uow.connection.execute(select(processed_updates.c.update_id))).scalars())
                assert len(seen) >= 3 and seen[0] == 1
                # A week without updates: the daily job runs (a clock eight days ahead).
                week_later = datetime.now(UTC).date() + timedelta(days=8)
                clock = FixedClock(week_later)
                report = await run_daily(SqlUnitOfWorkFactory(engine, clock), clock, settings,
                                         today=week_later, exports=False)
                assert report.ran
            finally:
                await engine.dispose()
            api.restart_update_ids(1)
            text = await claire.command("menu")
            assert "Vos actions de formation" in text
            text = await claire.say("bonjour")  # id 2, then 3: each answered
            assert claire.read
