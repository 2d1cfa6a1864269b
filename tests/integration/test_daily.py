"""The daily job: archive sweep, reminders (each once), exports, run recorded, catch-up, schedule."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.cli import main as cli_main
from bot.config import Settings
from bot.daily import EXPORT_FILES, catch_up, job_time, next_daily_run, run_daily
from dialogs.notifications import render_notification
from domain.clock import FixedClock
from domain.funders import Funder
from domain.models import Status
from domain.ports import Membership, Role
from storage.tables import outbox
from storage.uow import SqlUnitOfWorkFactory
from tests.databases import prepared_sqlite
from tests.factories import make_organisation, make_session, make_valid_action
from tests.integration.conftest import TODAY

ARCHIVE_ON = TODAY + timedelta(days=30)
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(export_dir=tmp_path / "exports", reminder_days=[30, 7, 1],
                    database_url=f"sqlite+aiosqlite:///{tmp_path}/unused.db")


async def _setup(factory: SqlUnitOfWorkFactory, org: int | None = None) -> int:
    """Two members and one published action whose archiving date is ``ARCHIVE_ON``, of ``org`` or
    of a new organisation with a complete fiche (the LHEO export needs it)."""
    async with factory() as uow:
        if org is None:
            organisation = await uow.organisations.add(make_organisation(id=None))
            assert organisation.id is not None
            org = organisation.id
        for user in (101, 102):
            await uow.members.add(Membership(user_id=user, role=Role.MEMBER, organisation_id=org))
        action = await uow.all_actions().add(
            make_valid_action(
                Funder.REGION, organisation_id=org, status=Status.PUBLISHED,
                reference_carif="24_P_000777",
                sessions=[make_session(TODAY + timedelta(days=10), TODAY + timedelta(days=20)),
                          make_session(ARCHIVE_ON, ARCHIVE_ON + timedelta(days=40))],
            )
        )
        await uow.commit()
    assert action.id is not None
    return action.id


async def _outbox(factory: SqlUnitOfWorkFactory) -> list[Any]:
    async with factory() as uow:
        result = await uow.connection.execute(select(outbox).order_by(outbox.c.id))
        return list(result)


async def test_twice_the_same_day_queues_nothing_more(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int], clock: FixedClock,
    settings: Settings,
) -> None:
    action_id = await _setup(uow_factory, org_ids[0])
    first = await run_daily(uow_factory, clock, settings, exports=False)
    assert first.ran and first.recorded and first.day == TODAY
    assert first.archived == [] and dict(first.reminders) == {30: 1} and first.queued == 2
    rows = await _outbox(uow_factory)
    assert [(r.kind, r.chat_id) for r in rows] == [("reminder", 101), ("reminder", 102)]
    assert rows[0].payload["event"] == {"days": "30", "level": "30",
                                        "archive_on": ARCHIVE_ON.isoformat()}
    reply = render_notification(rows[0].kind, rows[0].payload)
    assert "dans 30 jours, le 03/02/2027" in reply.text
    assert reply.buttons[0][0].payload == f"g:dates:{action_id}"

    again = await run_daily(uow_factory, clock, settings, exports=False)  # forced (the command line)
    assert again.ran and again.queued == 0 and dict(again.reminders) == {}  # told already
    assert len(await _outbox(uow_factory)) == 2
    scheduled = await run_daily(uow_factory, clock, settings, force=False)
    assert not scheduled.ran and scheduled.skipped == "done"
    async with uow_factory() as uow:
        assert await uow.job_runs.last_run("daily") == TODAY


async def test_time_moving_forward_reminds_each_once_then_archives(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int], clock: FixedClock,
    settings: Settings,
) -> None:
    action_id = await _setup(uow_factory, org_ids[0])
    seen: dict[date, list[str]] = {}
    day = TODAY - timedelta(days=1)
    while day <= ARCHIVE_ON + timedelta(days=2):
        clock.set(day)
        before = len(await _outbox(uow_factory))
        report = await run_daily(uow_factory, clock, settings, exports=False)
        rows = (await _outbox(uow_factory))[before:]
        assert report.queued == len(rows)
        if rows:
            seen[day] = [f"{r.kind}:{r.payload['event'].get('days', '')}" for r in rows
                         if r.chat_id == 101]
            assert sorted(r.chat_id for r in rows) == [101, 102] * (len(rows) // 2)
        if day == ARCHIVE_ON:
            assert report.archived == [action_id]
        else:
            assert report.archived == []
        day += timedelta(days=1)
    assert seen == {
        ARCHIVE_ON - timedelta(days=30): ["reminder:30"],
        ARCHIVE_ON - timedelta(days=7): ["reminder:7"],
        ARCHIVE_ON - timedelta(days=1): ["reminder:1"],
        ARCHIVE_ON: ["archived:"],
    }
    archived = [r for r in await _outbox(uow_factory) if r.kind == "archived"]
    assert len(archived) == 2  # once per member: the sweep's own event, not a second one
    text = render_notification("archived", archived[0].payload).text
    assert "archivée depuis le 03/02/2027" in text
    async with uow_factory() as uow:
        action = await uow.all_actions().get(action_id)
    assert action is not None and action.status is Status.ARCHIVED
    assert action.archived_on == ARCHIVE_ON


async def test_new_dates_make_the_reminders_due_again(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int], clock: FixedClock,
    settings: Settings,
) -> None:
    """The key holds the archiving date: after a date update, the 30-day reminder is told for the
    new date, once."""
    org = org_ids[0]
    action_id = await _setup(uow_factory, org)
    await run_daily(uow_factory, clock, settings, exports=False)
    async with uow_factory() as uow:
        repo = uow.actions_for_organisation(org)
        action = await repo.get(action_id)
        assert action is not None
        action.sessions[1].debut = ARCHIVE_ON + timedelta(days=30)
        action.sessions[1].fin = ARCHIVE_ON + timedelta(days=60)
        await repo.save(action)
        await uow.commit()
    clock.set(TODAY + timedelta(days=30))
    report = await run_daily(uow_factory, clock, settings, exports=False)
    assert report.archived == [] and dict(report.reminders) == {30: 1} and report.queued == 2
    assert (await run_daily(uow_factory, clock, settings, exports=False)).queued == 0


async def test_exports_are_written_atomically_in_the_export_dir(
    uow_factory: SqlUnitOfWorkFactory, clock: FixedClock,
    settings: Settings,
) -> None:
    await _setup(uow_factory)
    report = await run_daily(uow_factory, clock, settings)
    assert report.exports_available and report.ok
    assert [(e.scope, e.formations, e.error) for e in report.exports] == [
        ("public", 1, None), ("ofaa", 1, None)
    ]
    files = sorted(p.name for p in settings.export_dir.iterdir())
    assert files == sorted(EXPORT_FILES.values())  # no temporary file left
    public = (settings.export_dir / EXPORT_FILES["public"]).read_text(encoding="utf-8")
    assert "24_P_000777" in public and "<lheo" in public
    # The day of archiving: out of the public file, still in the France Travail one.
    clock.set(ARCHIVE_ON)
    after = await run_daily(uow_factory, clock, settings)
    by_scope = {e.scope: e for e in after.exports}
    assert by_scope["ofaa"].formations == 1 and by_scope["ofaa"].error is None
    assert by_scope["public"].empty
    assert not (settings.export_dir / EXPORT_FILES["public"]).exists()  # no stale public file


async def test_another_process_holding_the_lock_skips_the_run(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int], clock: FixedClock,
    settings: Settings,
) -> None:
    await _setup(uow_factory, org_ids[0])

    class Locked(SqlUnitOfWorkFactory):
        def __call__(self, actor_user_id: int | None = None) -> Any:
            uow = super().__call__(actor_user_id)

            async def refuse() -> bool:
                return False

            uow.try_lock_daily_job = refuse  # type: ignore[method-assign]
            return uow

    report = await run_daily(Locked(uow_factory.engine, clock), clock, settings)
    assert not report.ran and report.skipped == "locked" and not report.recorded
    assert await _outbox(uow_factory) == []
    async with uow_factory() as uow:
        assert await uow.job_runs.last_run("daily") is None


async def test_catch_up_runs_when_the_last_run_is_before_today(
    uow_factory: SqlUnitOfWorkFactory, clock: FixedClock, settings: Settings
) -> None:
    await _setup(uow_factory)
    first = await catch_up(uow_factory, clock, settings)  # never ran
    assert first is not None and first.ran and first.day == TODAY
    assert await catch_up(uow_factory, clock, settings) is None  # done today
    clock.set(ARCHIVE_ON + timedelta(days=3))  # the bot was down for a month
    late = await catch_up(uow_factory, clock, settings)
    assert late is not None and late.ran and len(late.archived) == 1
    async with uow_factory() as uow:
        assert await uow.job_runs.last_run("daily") == ARCHIVE_ON + timedelta(days=3)


async def test_a_reminder_missed_on_its_day_is_told_later_with_the_real_days(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int], clock: FixedClock,
    settings: Settings,
) -> None:
    """Issue 13, finding 16: the bot was down 30 days before archiving; started 27 days before, the
    catch-up tells « dans 27 jours », once; the next level still comes on its day."""
    await _setup(uow_factory, org_ids[0])
    clock.set(ARCHIVE_ON - timedelta(days=27))
    report = await catch_up(uow_factory, clock, settings)
    assert report is not None and dict(report.reminders) == {27: 1} and report.queued == 2
    rows = await _outbox(uow_factory)
    assert rows[0].payload["event"]["level"] == "30"
    assert "sera archivée dans 27 jours, le 03/02/2027" in render_notification("reminder", rows[0].payload).text
    seen: list[str] = []
    day = ARCHIVE_ON - timedelta(days=26)
    while day < ARCHIVE_ON:
        clock.set(day)
        before = len(await _outbox(uow_factory))
        await run_daily(uow_factory, clock, settings, exports=False)
        seen += [r.payload["event"]["days"] for r in (await _outbox(uow_factory))[before:]
                 if r.chat_id == 101]
        day += timedelta(days=1)
    assert seen == ["7", "1"]


async def test_after_a_long_outage_only_the_closest_reminder_is_told(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int], clock: FixedClock,
    settings: Settings,
) -> None:
    await _setup(uow_factory, org_ids[0])
    clock.set(ARCHIVE_ON - timedelta(days=5))  # down from 30 days before to 5 days before
    report = await catch_up(uow_factory, clock, settings)
    assert report is not None and dict(report.reminders) == {5: 1} and report.queued == 2
    rows = await _outbox(uow_factory)
    assert [(r.payload["event"]["days"], r.payload["event"]["level"]) for r in rows] == [("5", "7")] * 2


async def test_the_daily_job_prunes_processed_update_ids_older_than_a_week(
    uow_factory: SqlUnitOfWorkFactory, clock: FixedClock, settings: Settings
) -> None:
    """Issue 13, finding 13: ids are kept 7 days; an older id is a new update even before the
    prune (Telegram may restart its ids at random after a week without updates)."""
    async with uow_factory() as uow:
        assert await uow.mark_update_processed(10)
        await uow.commit()
    clock.advance(days=3)
    async with uow_factory() as uow:
        assert await uow.mark_update_processed(11)
        assert not await uow.mark_update_processed(10)  # a redelivery: dropped
        await uow.commit()
    clock.advance(days=5)  # id 10: 8 days old; id 11: 5 days
    async with uow_factory() as uow:
        assert not await uow.mark_update_processed(11)
        assert await uow.is_update_processed(10)
    report = await run_daily(uow_factory, clock, settings, exports=False)
    assert report.pruned_updates == 1
    async with uow_factory() as uow:
        assert not await uow.is_update_processed(10) and await uow.is_update_processed(11)
        assert await uow.mark_update_processed(10)  # the same id, chosen again: processed
        await uow.commit()
    clock.advance(days=8)
    async with uow_factory() as uow:  # not pruned yet (no daily job): still a new update
        assert await uow.mark_update_processed(11)
        assert not await uow.mark_update_processed(11)
        await uow.commit()


def test_next_run_from_daily_time_in_the_time_zone() -> None:
    settings = Settings(daily_time=time(6, 0), timezone="Europe/Paris")
    assert job_time(settings) == time(6, 0, tzinfo=PARIS)
    before = datetime(2027, 1, 4, 5, 59, tzinfo=PARIS)
    assert next_daily_run(settings, before) == datetime(2027, 1, 4, 6, 0, tzinfo=PARIS)
    at = datetime(2027, 1, 4, 6, 0, tzinfo=PARIS)
    assert next_daily_run(settings, at) == datetime(2027, 1, 5, 6, 0, tzinfo=PARIS)
    # Given in UTC: 05:30 UTC is 06:30 in Paris in winter → tomorrow.
    utc = datetime(2027, 1, 4, 5, 30, tzinfo=ZoneInfo("UTC"))
    assert next_daily_run(settings, utc) == datetime(2027, 1, 5, 6, 0, tzinfo=PARIS)
    # Across the change to summer time (28/03/2027): still 06:00 on the wall clock.
    spring = next_daily_run(settings, datetime(2027, 3, 27, 7, 0, tzinfo=PARIS))
    assert spring == datetime(2027, 3, 28, 6, 0, tzinfo=PARIS)
    assert spring.utcoffset() == timedelta(hours=2)


def test_command_line_runs_the_job_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = prepared_sqlite(tmp_path / "cli.db", _setup, FixedClock(TODAY))
    monkeypatch.setenv("FORMABOT_DATABASE_URL", url)
    monkeypatch.setenv("FORMABOT_EXPORT_DIR", str(tmp_path / "out"))
    monkeypatch.delenv("FORMABOT_TODAY", raising=False)
    assert cli_main(["daily", "--today", (ARCHIVE_ON - timedelta(days=7)).isoformat()]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Archivage du 27/01/2027 : 0 action(s) archivée(s)."
    assert out[1] == "Rappels : 1 action(s) (7 j : 1)."
    assert out[2] == "Notifications mises en file : 2."
    assert out[3].startswith("Export LHEO public : 1 formation(s)")
    assert out[-1] == "Exécution enregistrée."
    monkeypatch.setenv("FORMABOT_TODAY", ARCHIVE_ON.isoformat())
    assert cli_main(["daily"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Archivage du 03/02/2027 : 1 action(s) archivée(s)."
    assert (tmp_path / "out" / EXPORT_FILES["ofaa"]).exists()


async def test_the_sweep_and_the_reminders_go_in_chunks_each_once(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int], clock: FixedClock,
    settings: Settings, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``DAILY_CHUNK`` actions per transaction (people chatting get their turn between two):
    every action due is archived once, every reminder told once, the notifications counted."""
    from domain.services import daily

    monkeypatch.setattr(daily, "DAILY_CHUNK", 2)
    archived = [await _setup(uow_factory, org_ids[0]) for _ in range(5)]
    reminded = [await _setup(uow_factory, org_ids[1]) for _ in range(3)]
    clock.set(ARCHIVE_ON)  # the first five are archived on that day…
    async with uow_factory() as uow:  # …the other three get their 30-day reminder
        for action_id in reminded:
            action = await uow.all_actions().get(action_id)
            assert action is not None
            action.sessions[-1] = make_session(ARCHIVE_ON + timedelta(days=30), ARCHIVE_ON + timedelta(days=60))
            action.sessions[0] = make_session(ARCHIVE_ON + timedelta(days=10), ARCHIVE_ON + timedelta(days=20))
            await uow.all_actions().save(action)
        await uow.commit()
    transactions = 0
    factory = uow_factory

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal transactions
        transactions += 1
        return factory(*args, **kwargs)

    report = await run_daily(counting, clock, settings, exports=False)  # type: ignore[arg-type]
    assert report.ran and sorted(report.archived) == sorted(archived)
    assert dict(report.reminders) == {30: 3}
    # 5 archived in 2 + 2 + 1, 3 reminders in 2 + 1, beside the first and the last transactions
    assert transactions == 1 + 3 + 2 + 1
    rows = await _outbox(uow_factory)
    assert report.queued == len(rows) == 2 * 5 + 2 * 3  # two members each
    assert sorted(r.kind for r in rows) == ["archived"] * 10 + ["reminder"] * 6
    again = await run_daily(uow_factory, clock, settings, exports=False)
    assert again.archived == [] and dict(again.reminders) == {} and again.queued == 0
