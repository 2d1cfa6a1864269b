"""Engines and migrations: ``create_engine(url)`` and ``upgrade(url)`` (Alembic to head).

SQLite (aiosqlite): every connection gets WAL, ``foreign_keys=ON``, ``busy_timeout=5000`` and
``synchronous=NORMAL``; every transaction starts with ``BEGIN IMMEDIATE``, so a unit of work takes
the database's single write lock at its first statement instead of failing later with
``SQLITE_BUSY`` when it upgrades from reading to writing (writers queue on ``busy_timeout``).

PostgreSQL (asyncpg): a connection pool; transactions at READ COMMITTED (optimistic versions and
compare-and-swap guard every write).
"""

from __future__ import annotations

import asyncio
from importlib.resources import as_file, files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import pydantic_core
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
    "PRAGMA synchronous=NORMAL",
)


def _json_text(value: Any) -> str:
    return pydantic_core.to_json(value).decode()


# The JSON columns (a conversation's state, an action's fields) are read and written on every
# update: pydantic-core's JSON (already here for pydantic) does it faster than ``json``
# (figures: ``bench/README.md``).
JSON_CODEC: dict[str, Any] = {"json_serializer": _json_text, "json_deserializer": pydantic_core.from_json}


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, *, fast_paths: bool = True, **kwargs: Any) -> AsyncEngine:
    """An async engine for ``url`` (``sqlite+aiosqlite://…`` or ``postgresql+asyncpg://…``).

    ``fast_paths`` (``FORMABOT_FAST_PATHS``): on SQLite, connections of ``storage.sqlite_driver``
    (one thread trip per statement, the hot statements inline); off, aiosqlite as SQLAlchemy opens
    it, and the hot statements go through SQLAlchemy (``storage.hot_statements`` finds no inline
    driver). Extra keyword arguments go to ``create_async_engine`` (e.g. ``pool_size``, ``echo``).
    """
    for name, codec in JSON_CODEC.items():
        kwargs.setdefault(name, codec)
    if is_sqlite(url):
        connect_args = {"timeout": 5.0, **kwargs.pop("connect_args", {})}
        if fast_paths:
            kwargs.setdefault("async_creator", _one_trip_creator(url, connect_args))
        else:
            kwargs["connect_args"] = connect_args
        # A connection comes back to the pool with its transaction already ended: SQLAlchemy's
        # Connection rolls back an open one when it closes, and the driver is in autocommit
        # mode between our explicit BEGINs. The pool's own reset would be one more ROLLBACK.
        kwargs.setdefault("pool_reset_on_return", None)
        engine = create_async_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def _one_trip_creator(url: str, connect_args: dict[str, Any]) -> Any:
    """aiosqlite connections making one thread trip per statement (``storage.sqlite_driver``),
    opened with the file, URI flag and options the URL gives."""
    from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite

    from storage import sqlite_driver

    args, options = SQLiteDialect_aiosqlite().create_connect_args(make_url(url))
    options.update(connect_args)

    async def creator() -> sqlite_driver.OneTripConnection:
        return await sqlite_driver.connect(*args, **options)

    return creator


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (below) instead of the driver's deferred one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in SQLITE_PRAGMAS:
                cursor.execute(pragma)
        finally:
            cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # On the driver's cursor: the statement needs none of SQLAlchemy's execution machinery,
        # which would cost more than SQLite's work (this runs for every unit of work).
        # A read-only snapshot (``storage.lheo.snapshot``, the exports) begins DEFERRED: it takes
        # no write lock, and in WAL mode sees the database as of its first read.
        statement = (
            "BEGIN" if connection.get_execution_options().get("formabot_read_only")
            else "BEGIN IMMEDIATE"
        )
        dbapi_error = connection.dialect.loaded_dbapi.Error
        cursor = connection.connection.cursor()
        try:
            cursor.execute(statement)
        except dbapi_error as error:  # raised as SQLAlchemy would (e.g. OperationalError: locked)
            raise DBAPIError.instance(statement, None, error, dbapi_error) from error
        finally:
            cursor.close()


def _package_root() -> Traversable:
    """Where ``alembic.ini`` and ``migrations/`` are, in a checkout or an installed package."""
    try:
        return files("storage")
    except (NotADirectoryError, TypeError):
        # ``storage`` seen as a namespace package (an editable install made before it had an
        # ``__init__.py``): its files are next to this module.
        return Path(__file__).resolve().parent


def alembic_config(url: str | None = None) -> Any:
    """The Alembic configuration shipped inside the package (``storage/alembic.ini``)."""
    from alembic.config import Config

    root = _package_root()
    with as_file(root.joinpath("alembic.ini")) as ini_path:
        config = Config(str(ini_path))
    config.set_main_option("script_location", str(root.joinpath("migrations")))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _upgrade_on(connection: Connection, revision: str) -> None:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def upgrade(target: str | AsyncEngine, revision: str = "head") -> None:
    """Run the migrations up to ``revision`` on a URL or an engine, in one transaction."""
    engine = create_engine(target) if isinstance(target, str) else target
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_on, revision)
    finally:
        if isinstance(target, str):
            await engine.dispose()


def upgrade_sync(target: str, revision: str = "head") -> None:
    """``upgrade`` for code without an event loop."""
    asyncio.run(upgrade(target, revision))


def _current_on(connection: Connection) -> str | None:
    from alembic.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at (None before the first migration)."""
    async with engine.connect() as connection:
        return await connection.run_sync(_current_on)


def head_revision() -> str | None:
    """The newest revision of the shipped migrations."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
