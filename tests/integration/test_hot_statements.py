"""The statements every update runs: straight on SQLite's driver, or through SQLAlchemy, the same.

``storage.hot_statements`` runs them on the driver inside a unit of work's transaction; these tests
run each through both paths on the same SQLite file and compare what is stored and read back.
With ``FORMABOT_FAST_PATHS`` off (``stock``: aiosqlite as SQLAlchemy opens it) there is no driver
to run them on: both go through SQLAlchemy, with the same results.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import bindparam, event, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.clock import FixedClock
from domain.errors import StaleVersion
from domain.ports import ConversationState, Membership, Role
from storage import sqlite_driver
from storage.database import create_engine, upgrade
from storage.hot_statements import HotStatement
from storage.tables import processed_updates
from storage.uow import SqlUnitOfWork
from tests.factories import make_organisation

NOW = datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture(params=[pytest.param(True, id="fast"), pytest.param(False, id="stock")])
def fast_paths(request: pytest.FixtureRequest) -> bool:
    """``FORMABOT_FAST_PATHS`` of the engine under test."""
    return bool(request.param)


@pytest.fixture
async def engine(tmp_path: Path, fast_paths: bool) -> AsyncIterator[AsyncEngine]:
    url = f"sqlite+aiosqlite:///{tmp_path}/hot.db"
    await upgrade(url)
    eng = create_engine(url, fast_paths=fast_paths)
    try:
        yield eng
    finally:
        await eng.dispose()


def _uow(engine: AsyncEngine, *, direct: bool) -> SqlUnitOfWork:
    uow = SqlUnitOfWork(engine, FixedClock(NOW.date(), NOW))
    uow.direct_statements = direct
    return uow


async def _one_update(engine: AsyncEngine, *, direct: bool, chat_id: int, update_id: int) -> dict[str, Any]:
    """What an update does: mark it, read the links and the conversation, write it back."""
    seen: dict[str, Any] = {}
    async with _uow(engine, direct=direct) as uow:
        seen["first_mark"] = await uow.mark_update_processed(update_id)
        seen["links"] = await uow.memberships(chat_id)
        state = await uow.conversations.load(chat_id)
        state.data = {"screen": "form", "answers": {"intitule": "Soudeur TIG — niveau 2", "heures": 35.5}}
        await uow.conversations.save(state)
        await uow.commit()
    async with _uow(engine, direct=direct) as uow:
        seen["second_mark"] = await uow.mark_update_processed(update_id)  # the same update again
        loaded = await uow.conversations.load(chat_id)
        loaded.data = {**loaded.data, "screen": "recap"}
        seen["saved"] = await uow.conversations.save(loaded)
        await uow.commit()
    async with _uow(engine, direct=direct) as uow:
        seen["loaded"] = await uow.conversations.load(chat_id)
        stale = ConversationState(chat_id=chat_id, data={"screen": "late"}, version=1)
        with pytest.raises(StaleVersion):
            await uow.conversations.save(stale)
    return seen


async def test_both_paths_store_and_read_back_the_same(engine: AsyncEngine, tmp_path: Path) -> None:
    async with _uow(engine, direct=False) as uow:
        org = await uow.organisations.add(make_organisation(nom_organisme="Org"))
        for chat_id in (1, 2):
            await uow.members.add(Membership(user_id=chat_id, role=Role.MEMBER, organisation_id=org.id),
                                  chat_id=chat_id)
        # A conversation that already exists (version 1), as after a first screen.
        for chat_id in (1, 2):
            await uow.conversations.save(ConversationState(chat_id=chat_id, data={"screen": "menu"}))
        await uow.commit()

    direct = await _one_update(engine, direct=True, chat_id=1, update_id=101)
    through_sqlalchemy = await _one_update(engine, direct=False, chat_id=2, update_id=102)

    assert direct["first_mark"] is True and direct["second_mark"] is False
    assert direct["links"] == [Membership(user_id=1, role=Role.MEMBER, organisation_id=org.id)]
    assert direct["loaded"].data["answers"]["intitule"] == "Soudeur TIG — niveau 2"
    assert direct["loaded"].version == 3
    for key in ("first_mark", "second_mark"):
        assert direct[key] == through_sqlalchemy[key]
    assert dataclasses.replace(direct["links"][0], user_id=2) == through_sqlalchemy["links"][0]
    assert dataclasses.replace(direct["loaded"], chat_id=2) == through_sqlalchemy["loaded"]

    # The rows themselves, as SQLite holds them: same JSON text, same timestamp text.
    with sqlite3.connect(tmp_path / "hot.db") as raw:
        rows = dict((r[0], r[1:]) for r in raw.execute(
            "SELECT chat_id, data, version, user_id, updated_at FROM conversations ORDER BY chat_id"))
        marks = dict(raw.execute("SELECT update_id, processed_at FROM processed_updates"))
    assert rows[1][:2] == rows[2][:2] and rows[1][3] == rows[2][3] == "2026-12-01 09:30:15.123456"
    assert rows[1][2] == 1 and rows[2][2] == 2
    assert marks[101] == marks[102] == "2026-12-01 09:30:15.123456"


async def test_direct_statements_bypass_sqlalchemys_execution(engine: AsyncEngine, fast_paths: bool) -> None:
    executed: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        executed.append(statement.split()[0])

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    for direct in (True, False):
        executed.clear()
        async with _uow(engine, direct=direct) as uow:
            await uow.mark_update_processed(7 if direct else 8)
            await uow.memberships(7)
            state = await uow.conversations.load(7)
            assert uow.connection.in_transaction()  # begun (BEGIN IMMEDIATE) by the first statement
            state.version = 1  # no row: the swap writes nothing and says so
            with pytest.raises(StaleVersion):
                await uow.conversations.save(state)
        inline = direct and fast_paths
        assert executed == ([] if inline else ["INSERT", "SELECT", "SELECT", "UPDATE"])


async def test_a_driver_error_is_raised_as_sqlalchemy_raises_it(engine: AsyncEngine) -> None:
    add = HotStatement(lambda _d: insert(processed_updates).values(
        update_id=bindparam("p_id"), processed_at=bindparam("p_at")))
    for direct in (True, False):
        async with _uow(engine, direct=direct) as uow:
            await uow.hot(add, {"p_id": 500, "p_at": NOW})
            with pytest.raises(IntegrityError):
                await uow.hot(add, {"p_id": 500, "p_at": NOW})


async def test_the_driver_runs_inline_only_inside_a_transaction(tmp_path: Path) -> None:
    connection = await sqlite_driver.connect(str(tmp_path / "x.db"), isolation_level=None, check_same_thread=False)
    try:
        with pytest.raises(RuntimeError):
            connection.run_inline("SELECT 1", ())
        async with connection.cursor() as cursor:
            await cursor.execute("BEGIN IMMEDIATE")
        assert connection.run_inline("SELECT ?", (1,)) == ([(1,)], -1)
        async with connection.cursor() as cursor:
            await cursor.execute("COMMIT")
    finally:
        await connection.close()
