"""``formabot db …``: the database. ``formabot db upgrade`` runs the migrations to the newest."""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy.engine import make_url

from bot.config import Settings


def register(sub: Any) -> None:
    p = sub.add_parser("db", help="the database (migrations)")
    commands = p.add_subparsers(dest="db_command", metavar="DB_COMMAND")
    up = commands.add_parser("upgrade", help="migrate FORMABOT_DATABASE_URL to the newest schema")
    up.set_defaults(handler=_upgrade)
    p.set_defaults(handler=lambda args, settings: p.print_help() or 0)


async def _upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from storage.database import create_engine, current_revision, upgrade

    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    engine = create_engine(settings.database_url)
    try:
        before = await current_revision(engine)
        await upgrade(engine)
        after = await current_revision(engine)
    finally:
        await engine.dispose()
    if before == after:
        print(f"{shown}: already at revision {after}")
    else:
        print(f"{shown}: migrated from {before or 'empty'} to revision {after}")
    return 0
