"""Conversation state (compare-and-swap), processed updates, and durability across a crash."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import pytest
from sqlalchemy import func, select, text

from domain.errors import StaleVersion
from domain.ports import ConversationState
from storage.database import create_engine
from storage.tables import conversations, processed_updates
from storage.uow import SqlUnitOfWorkFactory


async def test_new_chat_starts_empty(uow_factory: SqlUnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        state = await uow.conversations.load(123)
    assert state == ConversationState(chat_id=123, data={}, version=0)


async def test_compare_and_swap(uow_factory: SqlUnitOfWorkFactory) -> None:
    loaded = []
    for _ in range(2):  # two updates of the same chat read version 0
        async with uow_factory() as uow:
            loaded.append(await uow.conversations.load(5))
    first, second = loaded
    first.data = {"screen": "menu"}
    second.data = {"screen": "other"}
    async with uow_factory() as uow:
        assert (await uow.conversations.save(first)).version == 1
        await uow.commit()
    async with uow_factory() as uow:
        with pytest.raises(StaleVersion):  # a concurrent first insert
            await uow.conversations.save(second)
    async with uow_factory() as uow:
        current = await uow.conversations.load(5)
        assert current == ConversationState(chat_id=5, data={"screen": "menu"}, version=1)
        stale = ConversationState(chat_id=5, data={"screen": "late"}, version=1)
        current.data = {"screen": "field", "key": "intitule", "answers": {"intitule": "Cuisine"}}
        await uow.conversations.save(current)
        await uow.commit()
    async with uow_factory() as uow:
        with pytest.raises(StaleVersion):
            await uow.conversations.save(stale)
    async with uow_factory() as uow:
        final = await uow.conversations.load(5)
    assert final.version == 2 and final.data["answers"] == {"intitule": "Cuisine"}


@pytest.mark.postgres
async def test_concurrent_first_inserts_postgres(pg_uow_factory: SqlUnitOfWorkFactory) -> None:
    async with pg_uow_factory() as one, pg_uow_factory() as two:
        s1 = await one.conversations.load(9)
        s2 = await two.conversations.load(9)
        await one.conversations.save(s1)
        pending = asyncio.ensure_future(two.conversations.save(s2))
        await one.commit()
        with pytest.raises(StaleVersion):
            await pending


async def test_update_processed_twice(uow_factory: SqlUnitOfWorkFactory) -> None:
    async def handle(update_id: int, answer: str) -> bool:
        async with uow_factory() as uow:
            if not await uow.mark_update_processed(update_id):
                return False
            state = await uow.conversations.load(77)
            state.data = {"answers": [*state.data.get("answers", []), answer]}
            await uow.conversations.save(state)
            await uow.commit()
            return True

    assert await handle(1001, "première") is True
    assert await handle(1001, "redelivered") is False
    async with uow_factory() as uow:
        assert await uow.is_update_processed(1001) is True
        assert await uow.is_update_processed(1002) is False
        count = (await uow.connection.execute(select(func.count()).select_from(processed_updates))).scalar()
        state = await uow.conversations.load(77)
        assert await uow.mark_update_processed(1003) is True
        assert await uow.mark_update_processed(1003) is False  # same transaction
    assert count == 1
    assert state.data == {"answers": ["première"]} and state.version == 1


CHILD = r'''
import asyncio, sys
from storage.database import create_engine
from storage.uow import SqlUnitOfWorkFactory

async def main(url):
    factory = SqlUnitOfWorkFactory(create_engine(url))
    async with factory() as uow:
        await uow.mark_update_processed(1)
        state = await uow.conversations.load(42)
        state.data = {"answers": {"intitule": "Réponse 1"}}
        await uow.conversations.save(state)
        await uow.commit()
    print("committed", flush=True)
    uow = factory()
    await uow.__aenter__()
    await uow.mark_update_processed(2)
    state = await uow.conversations.load(42)
    # Big enough to spill out of the page cache into the WAL before any commit.
    state.data = {"answers": {"intitule": "Réponse 1", "objectif": "Réponse 2"}, "pad": "x" * 6_000_000}
    await uow.conversations.save(state)
    print("pending", flush=True)
    sys.stdin.read()  # wait to be killed, in the middle of the transaction

asyncio.run(main(sys.argv[1]))
'''


async def test_crash_loses_no_committed_answer(db_url: str, uow_factory: SqlUnitOfWorkFactory) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, db_url,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    )
    assert proc.stdout is not None
    try:
        lines = [(await asyncio.wait_for(proc.stdout.readline(), 120)).decode().strip() for _ in range(2)]
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    assert lines == ["committed", "pending"]
    assert proc.returncode == -signal.SIGKILL

    async with uow_factory() as uow:
        state = await uow.conversations.load(42)
        assert state.data == {"answers": {"intitule": "Réponse 1"}} and state.version == 1
        assert await uow.is_update_processed(1) is True
        assert await uow.is_update_processed(2) is False
        # The database is writable again: the dead transaction's lock is gone.
        state.data = {"answers": {"intitule": "Réponse 1", "objectif": "Réponse 2 bis"}}
        await uow.conversations.save(state)
        await uow.commit()
    if db_url.startswith("sqlite"):
        eng = create_engine(db_url)
        try:
            async with eng.connect() as conn:
                assert (await conn.execute(text("PRAGMA integrity_check"))).scalar() == "ok"
                count = (await conn.execute(select(func.count()).select_from(conversations))).scalar()
        finally:
            await eng.dispose()
        assert count == 1
