"""``formabot db …``: the database.

- ``formabot db upgrade`` runs the migrations to the newest.
- ``formabot db backup FILE`` writes a consistent, checked copy of the SQLite database (the bot may
  be running); ``formabot db restore FILE`` puts a backup back (the bot stopped), keeping a copy
  of the replaced database, and migrates it. On PostgreSQL both print the ``pg_dump`` /
  ``pg_restore`` command lines to use instead, and exit with status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bot.commands import say
from bot.config import Settings


def register(sub: Any) -> None:
    p = sub.add_parser("db", help="the database (migrations, backup, restore)")
    commands = p.add_subparsers(dest="db_command", metavar="DB_COMMAND")
    up = commands.add_parser("upgrade", help="migrate FORMABOT_DATABASE_URL to the newest schema")
    up.set_defaults(handler=_upgrade)
    backup = commands.add_parser(
        "backup", help="write a consistent copy of the SQLite database to FILE (bot may be running)"
    )
    backup.add_argument("file", type=Path, metavar="FILE")
    backup.set_defaults(handler=_backup)
    restore = commands.add_parser(
        "restore", help="replace the SQLite database by the backup FILE (bot stopped), then migrate"
    )
    restore.add_argument("file", type=Path, metavar="FILE")
    restore.set_defaults(handler=_restore)
    p.set_defaults(handler=lambda args, settings: p.print_help() or 0)


async def _upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from bot.wiring import open_services
    from storage.database import current_revision, upgrade

    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    async with open_services(settings, migrate=False) as services:
        before = await current_revision(services.engine)
        await upgrade(services.engine)
        after = await current_revision(services.engine)
    if before == after:
        print(f"{shown}: already at revision {after}")
    else:
        print(f"{shown}: migrated from {before or 'empty'} to revision {after}")
    return 0


def _postgres(settings: Settings, file: Path, operation: str) -> int:
    from storage.backup import postgres_commands

    commands = postgres_commands(settings.database_url, file)
    print(say("postgres_tools", operation=operation, backup=commands.backup, restore=commands.restore),
          file=sys.stderr)
    return 2


def _size(size: int) -> str:
    return f"{size / 1024:.0f} Ko" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} Mo"


async def _on_sqlite(
    settings: Settings, file: Path, operation: str, run: Callable[[str, Path], Awaitable[Any]], failed: str
) -> Any:
    """``run(url, file)`` on a SQLite database: its result; else the exit code, PostgreSQL's own
    tools named for ``operation`` (2), or the failure said by the message ``failed`` (1)."""
    from storage.backup import BackupError
    from storage.database import is_sqlite

    if not is_sqlite(settings.database_url):
        return _postgres(settings, file, operation)
    try:
        return await run(settings.database_url, file)
    except BackupError as exc:
        print(say(failed, error=exc), file=sys.stderr)
        return 1


async def _backup(args: argparse.Namespace, settings: Settings) -> int:
    from storage.backup import backup_sqlite

    result = await _on_sqlite(settings, args.file, "sauvegarde", backup_sqlite, "backup_failed")
    if isinstance(result, int):
        return result
    print(say("backup_written", result=result, size=_size(result.size)))
    return 0


async def _restore(args: argparse.Namespace, settings: Settings) -> int:
    from storage.backup import restore_sqlite

    result = await _on_sqlite(settings, args.file, "restauration", restore_sqlite, "restore_failed")
    if isinstance(result, int):
        return result
    print(say("restored", result=result))
    return 0
