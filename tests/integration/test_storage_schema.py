"""The migrations build exactly the models' schema; SQLite connections carry the right pragmas."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.funders import Funder
from storage.database import create_engine, current_revision, head_revision, upgrade
from storage.tables import metadata
from storage.uow import SqlUnitOfWorkFactory
from tests.factories import make_valid_action


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, metadata))


async def test_migrated_schema_equals_models(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        diff = await conn.run_sync(_diff)
    assert diff == []


async def test_empty_database_differs_from_models(db_url: str) -> None:
    # The comparison above can fail: on an empty database every table is missing.
    eng = create_engine(db_url)
    try:
        async with eng.connect() as conn:
            diff = await conn.run_sync(_diff)
    finally:
        await eng.dispose()
    added = {d[1].name for d in diff if d[0] == "add_table"}
    assert added == set(metadata.tables)


async def test_upgrade_is_idempotent_and_at_head(db_url: str) -> None:
    await upgrade(db_url)
    await upgrade(db_url)
    eng = create_engine(db_url)
    try:
        assert await current_revision(eng) == head_revision() is not None
    finally:
        await eng.dispose()


async def test_sqlite_pragmas(tmp_path: object) -> None:
    eng = create_engine(f"sqlite+aiosqlite:///{tmp_path}/p.db")
    try:
        async with eng.connect() as conn:
            values = {
                name: (await conn.execute(text(f"PRAGMA {name}"))).scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
            }
    finally:
        await eng.dispose()
    assert values == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 5000, "synchronous": 1}


async def test_audit_is_append_only(uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int]) -> None:
    async with uow_factory(actor_user_id=11) as uow:
        action = await uow.all_actions().add(
            make_valid_action(Funder.REGION, organisation_id=org_ids[0])
        )
        # The storage writes its « created » audit row at commit.
        await uow.commit()
    for statement in ("UPDATE audit SET kind = 'x'", "DELETE FROM audit"):
        async with uow_factory() as uow:
            with pytest.raises(DBAPIError, match="append-only"):
                await uow.connection.execute(text(statement))
    async with uow_factory() as uow:
        assert action.id is not None
        history = await uow.audit.history(action.id)
    assert [h.kind for h in history] == ["created"]
