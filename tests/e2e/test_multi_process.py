"""Two ``formabot run --webhook-url`` processes behind a round-robin proxy, on one PostgreSQL.

200 users link, open a Région action and send their first two answers without waiting in between
(each update may reach either process); half-way through, one process is killed (SIGKILL) and the
fake Telegram sends again what got no 200 from it. Meanwhile 200 notifications wait in the outbox,
and both processes run their start-up catch-up of the daily job. Then: every answer stored once and
in its own question (a user's two quick answers never swap), every user at the third question,
every notification sent exactly once, the daily job run once.

Runs only with ``FORMABOT_TEST_POSTGRES_URL`` (CI sets it).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import create_engine
from storage.tables import conversations, job_runs
from storage.uow import SqlUnitOfWorkFactory
from tests.e2e.multi_process import RoundRobinProxy, WebhookProcess, member_codes, webhook_processes
from tests.e2e.support import TODAY, Player, settings_for
from tests.fakebotapi import FakeBotApi
from tests.integration.conftest import _postgres_database, require_postgres
from tests.samples import VALID_SAMPLES

pytestmark = pytest.mark.postgres
USERS = 200
FIRST_USER = 20_001
KILL_AFTER = 450  # updates forwarded by the proxy before one process is killed (of about 1 000)


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    require_postgres()
    async with _postgres_database() as url:
        yield url


async def _open_first_question(player: Player, code: str) -> None:
    await player.command("start", code)
    await player.press("➕ Créer une action")
    await player.press("Région")


async def _two_quick_answers(
    api: FakeBotApi, player: Player, code: str, answers: tuple[str, str]
) -> None:
    await _open_first_question(player, code)
    await player.user.send_text(answers[0])
    await player.user.send_text(answers[1])
    await player.user.wait_for(lambda m: "· question 3/" in m.text, 60, what="third question")


async def kill_mid_update(
    engine: AsyncEngine, api: FakeBotApi, proxy: RoundRobinProxy, victim: WebhookProcess
) -> None:
    """SIGKILL ``victim`` while it holds updates in the middle of their transaction.

    Every update's transaction starts by recording its id in ``processed_updates``: with that table
    locked, the transactions under way finish (and their replies go), the next ones wait. Once the
    victim has updates in flight, the database waiting for it, and the fake Bot API has received no
    call for a moment (the replies of what committed before the lock have left), it is killed: its
    waiting updates were never committed, and Telegram must send them again."""
    async with engine.begin() as lock:
        await lock.execute(text("LOCK TABLE processed_updates IN ACCESS EXCLUSIVE MODE"))
        async with engine.connect() as watch:
            calls = -1
            while True:
                waiting = (
                    await watch.execute(
                        text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
                    )
                ).scalar_one()
                quiet = calls == len(api.requests)
                calls = len(api.requests)
                if waiting and proxy.in_flight[victim_index(proxy, victim)] and quiet:
                    break
                await asyncio.sleep(0.05)  # another process's state: polled
        await victim.kill()


def victim_index(proxy: RoundRobinProxy, victim: WebhookProcess) -> int:
    return proxy.backends.index(victim.port)


async def test_two_processes_one_postgres_kill_one(tmp_path: Path, postgres_url: str) -> None:
    async with FakeBotApi() as api:
        settings = settings_for(api, tmp_path / "unused.db", database_url=postgres_url)
        codes = await member_codes(settings, USERS + 1)
        engine = create_engine(postgres_url)
        uow_factory = SqlUnitOfWorkFactory(engine)
        users = [FIRST_USER + i for i in range(USERS)]
        async with uow_factory() as uow:
            for user_id in users:
                api.user(user_id, f"U{user_id}")
                await uow.outbox.enqueue(
                    "approved", user_id, {"reference": f"FB-{user_id}"}, f"k{user_id}"
                )
            await uow.commit()
        try:
            async with webhook_processes(api, postgres_url, 2, tmp_path) as (proxy, processes):
                # A pilot learns the first two questions of a Région action.
                pilot = Player(api.user(20_000, "Pilote"))
                await _open_first_question(pilot, codes[-1])
                first = pilot.current_field()
                assert first is not None
                await pilot.say(VALID_SAMPLES[first.key])
                second = pilot.current_field()
                assert second is not None and second.key != first.key
                answers = (VALID_SAMPLES[first.key], VALID_SAMPLES[second.key])

                async def kill_one() -> None:
                    await api.wait_until(lambda: sum(proxy.forwarded) >= KILL_AFTER, 60)
                    await kill_mid_update(engine, api, proxy, processes[0])

                killer = asyncio.create_task(kill_one())
                players = [Player(api.user(user_id)) for user_id in users]
                await asyncio.gather(
                    *(
                        _two_quick_answers(api, p, c, answers)
                        for p, c in zip(players, codes, strict=False)
                    )
                )
                await killer
                assert (
                    processes[0].process is not None and processes[0].process.returncode is not None
                )
                assert proxy.failed > 0 or api.webhook_failures > 0  # the kill was felt…
                assert proxy.forwarded[1] > 0
                # …and every player reached the third question (no reply lost, none refused).
                assert not any("⚠" in m.text for p in players for m in p.user.messages)
                # Every notification sent exactly once (the survivor took over the killed one's).
                await api.wait_until(
                    lambda: all(
                        any(f"FB-{u}" in m.text for m in api.user(u).messages) for u in users
                    ),
                    60,
                )
            async with uow_factory() as uow:
                rows = await uow.connection.execute(
                    select(conversations.c.chat_id, conversations.c.data).where(
                        conversations.c.chat_id.in_(users)
                    )
                )
                drafts = {chat: data["form"]["draft"] for chat, data in rows.all()}
                runs = (await uow.connection.execute(select(job_runs))).mappings().all()
            # Each user's form holds their two answers, each in its own question.
            assert len(drafts) == USERS
            assert all((d.get(first.key), d.get(second.key)) == answers for d in drafts.values()), (
                drafts[users[0]]
            )
            sent = Counter(u for u in users for m in api.user(u).messages if f"FB-{u}" in m.text)
            assert set(sent.values()) == {1}
            assert len(runs) == 1 and runs[0]["last_run"] == TODAY, runs
        finally:
            await engine.dispose()
