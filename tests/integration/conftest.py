"""Storage fixtures: a migrated database per test, on SQLite (a temp file) and on PostgreSQL.

PostgreSQL runs only when ``FORMABOT_TEST_POSTGRES_URL`` is set (a database on a server where the
user may ``CREATE DATABASE``): each test gets a fresh database, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from domain.clock import FixedClock
from domain.models import Organisation
from storage.uow import SqlUnitOfWorkFactory
from tests.databases import migrated_engine

POSTGRES_URL = os.environ.get("FORMABOT_TEST_POSTGRES_URL")
TODAY = date(2027, 1, 4)

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


def require_postgres() -> str:
    if not POSTGRES_URL:
        pytest.skip("FORMABOT_TEST_POSTGRES_URL not set")
    return POSTGRES_URL


async def _admin(url: str) -> AsyncEngine:
    return create_async_engine(url, isolation_level="AUTOCOMMIT")


async def _create_postgres_database() -> str:
    base = make_url(require_postgres())
    name = f"formabot_t_{uuid.uuid4().hex[:12]}"
    admin = await _admin(base.render_as_string(hide_password=False))
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@asynccontextmanager
async def _postgres_database() -> AsyncIterator[str]:
    """A fresh PostgreSQL database's URL, dropped afterwards."""
    url = await _create_postgres_database()
    try:
        yield url
    finally:
        await _drop_postgres_database(url)


async def _drop_postgres_database(url: str) -> None:
    target = make_url(url)
    admin = await _admin(make_url(require_postgres()).render_as_string(hide_password=False))
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    finally:
        await admin.dispose()


@pytest.fixture(params=BACKENDS)
async def db_url(request: pytest.FixtureRequest, tmp_path: object) -> AsyncIterator[str]:
    """An empty database's URL (not migrated)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/formabot.db"
        return
    async with _postgres_database() as url:
        yield url


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """A migrated database's engine."""
    async with migrated_engine(db_url) as eng:
        yield eng


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(TODAY)


@pytest.fixture
def uow_factory(engine: AsyncEngine, clock: FixedClock) -> SqlUnitOfWorkFactory:
    return SqlUnitOfWorkFactory(engine, clock)


async def add_organisations(uow_factory: SqlUnitOfWorkFactory) -> tuple[int, int]:
    async with uow_factory() as uow:
        a = await uow.organisations.add(Organisation(raison_sociale="Organisme A", siret="73282932000074"))
        b = await uow.organisations.add(Organisation(raison_sociale="Organisme B", siret="35600000000048"))
        await uow.commit()
    assert a.id is not None and b.id is not None
    return a.id, b.id


@pytest.fixture
async def org_ids(uow_factory: SqlUnitOfWorkFactory) -> tuple[int, int]:
    """Two organisations, A and B."""
    return await add_organisations(uow_factory)


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database (for what only PostgreSQL does: concurrent writers, locks)."""
    async with _postgres_database() as url:
        yield url


@pytest.fixture
async def pg_uow_factory(pg_url: str, clock: FixedClock) -> AsyncIterator[SqlUnitOfWorkFactory]:
    async with migrated_engine(pg_url) as eng:
        yield SqlUnitOfWorkFactory(eng, clock)
