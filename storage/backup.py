"""Backing up and restoring the database.

SQLite (``backup_sqlite``, ``restore_sqlite``): SQLite's online backup API, in a thread.

- A backup may run while the bot is running: in WAL mode the copy reads one consistent snapshot
  (one backup step, one read transaction) without blocking the writers. The copy is written next
  to the target under a temporary name, switched to the rollback journal (a single self-contained
  file, no ``-wal`` needed), checked with ``PRAGMA integrity_check``, then renamed over the target.
- A restore first checks the backup (``integrity_check``, an ``alembic_version`` this formabot
  knows), refuses while another process has the database open (the bot must be stopped: the
  switch out of WAL needs to be the only connection), keeps a copy of the database it replaces
  (``<db>.avant-restauration-<UTC time>``), copies the backup over the database with the backup
  API, and migrates it to the newest schema (an older backup is upgraded).

PostgreSQL: ``pg_dump -Fc`` / ``pg_restore`` do this better than we could; ``postgres_commands``
gives the exact command lines for a URL (never with its password).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from storage.database import create_engine, current_revision, is_sqlite, upgrade

BUSY_TIMEOUT_MS = 5000


class BackupError(Exception):
    """The backup or restore could not be done; the message (French) says why, for the user."""


@dataclass(frozen=True, slots=True)
class BackupResult:
    database: Path
    file: Path
    size: int
    revision: str | None


@dataclass(frozen=True, slots=True)
class RestoreResult:
    database: Path
    file: Path
    previous_copy: Path | None  # the database as it was before the restore, if there was one
    backup_revision: str | None
    revision: str | None  # after the migrations


@dataclass(frozen=True, slots=True)
class PostgresCommands:
    backup: str
    restore: str


def sqlite_path(url: str) -> Path:
    """The database file of a SQLite URL (an in-memory database has none)."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(f"« {database or ':memory:'} » n'est pas un fichier de base SQLite.")
    return Path(database)


# Backup -------------------------------------------------------------------------------------------


async def backup_sqlite(url: str, file: Path) -> BackupResult:
    """Write a consistent, checked copy of the SQLite database of ``url`` to ``file``."""
    return await asyncio.to_thread(_backup_sync, sqlite_path(url), Path(file))


def _copyable(source: Path, target: Path, missing: str, same: str, no_folder: str) -> None:
    """Refuse (``BackupError`` with these messages) a copy of ``source`` over ``target``: a source
    that is not a file, the same file on both sides, a target whose folder does not exist."""
    if not source.is_file():
        raise BackupError(missing)
    if target.exists() and target.resolve() == source.resolve():
        raise BackupError(same)
    if not target.parent.is_dir():
        raise BackupError(no_folder)


def _backup_sync(database: Path, file: Path) -> BackupResult:
    _copyable(
        database, file, f"La base {database} n'existe pas : rien à sauvegarder.",
        "Le fichier de sauvegarde ne peut pas être la base elle-même.", f"Le dossier {file.parent} n'existe pas.",
    )
    fd, tmp_name = tempfile.mkstemp(prefix=f".{file.name}.", suffix=".tmp", dir=file.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        source = _connect(database)
        try:
            target = sqlite3.connect(tmp, isolation_level=None)
            try:
                source.backup(target)  # one step: one consistent snapshot of the source
                target.execute("PRAGMA journal_mode=DELETE")  # a single file, no -wal to carry
                revision = _check(target, file)
            finally:
                target.close()
        finally:
            source.close()
        _fsync(tmp)
        os.replace(tmp, file)
        _fsync_dir(file.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return BackupResult(database=database, file=file, size=file.stat().st_size, revision=revision)


# Restore ------------------------------------------------------------------------------------------


async def restore_sqlite(url: str, file: Path) -> RestoreResult:
    """Replace the SQLite database of ``url`` by the backup ``file``, then migrate it."""
    database = sqlite_path(url)
    restored = await asyncio.to_thread(_restore_sync, database, Path(file))
    engine = create_engine(url)
    try:
        await upgrade(engine)
        revision = await current_revision(engine)
    finally:
        await engine.dispose()
    return RestoreResult(
        database=database, file=Path(file), previous_copy=restored[0],
        backup_revision=restored[1], revision=revision,
    )


def _restore_sync(database: Path, file: Path) -> tuple[Path | None, str | None]:
    _copyable(
        file, database, f"La sauvegarde {file} n'existe pas.",
        "La sauvegarde est la base elle-même : rien à restaurer.",
        f"Le dossier de la base, {database.parent}, n'existe pas.",
    )
    source = _connect(file, read_only=True)
    try:
        backup_revision = _check(source, file)
        previous_copy: Path | None = None
        target = _connect(database)
        try:
            if database.stat().st_size > 0:
                _take_alone(target, database)
                previous_copy = database.with_name(
                    f"{database.name}.avant-restauration-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
                )
                copy = sqlite3.connect(previous_copy, isolation_level=None)
                try:
                    target.backup(copy)
                finally:
                    copy.close()
            source.backup(target)
            _check(target, database)
        finally:
            target.close()
    finally:
        source.close()
    return previous_copy, backup_revision


def _take_alone(connection: sqlite3.Connection, database: Path) -> None:
    """Leave WAL mode, which SQLite allows only to the sole connection: the bot must be stopped."""
    try:
        mode = connection.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
    except sqlite3.OperationalError as exc:
        raise BackupError(
            f"La base {database} est ouverte par un autre processus (le bot tourne-t-il ?). "
            "Arrêtez le bot avant de restaurer une sauvegarde."
        ) from exc
    if str(mode).lower() == "wal":
        raise BackupError(f"La base {database} est encore en mode WAL : arrêtez le bot et réessayez.")


# Checks and helpers -------------------------------------------------------------------------------


def _connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    if read_only:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    else:
        connection = sqlite3.connect(path, isolation_level=None)
    connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return connection


def _check(connection: sqlite3.Connection, shown: Path) -> str | None:
    """``integrity_check`` passes and the schema is one formabot knows; returns its revision."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from storage.database import alembic_config

    try:
        result = [row[0] for row in connection.execute("PRAGMA integrity_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{shown} n'est pas une base SQLite lisible ({exc}).") from exc
    if result != ["ok"]:
        details = "; ".join(str(r) for r in result[:5])
        raise BackupError(f"{shown} est endommagée (PRAGMA integrity_check : {details}).")
    try:
        revisions = [row[0] for row in connection.execute("SELECT version_num FROM alembic_version")]
    except sqlite3.OperationalError as exc:
        raise BackupError(f"{shown} n'est pas une base formabot (pas de table alembic_version).") from exc
    if len(revisions) != 1:
        raise BackupError(f"{shown} n'a pas de révision de schéma unique ({revisions}).")
    try:
        if ScriptDirectory.from_config(alembic_config()).get_revision(revisions[0]) is None:
            raise CommandError(revisions[0])
    except CommandError as exc:
        raise BackupError(
            f"{shown} est au schéma « {revisions[0]} », inconnu de cette version de formabot "
            "(sauvegarde faite par une version plus récente ?)."
        ) from exc
    return str(revisions[0])


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every system lets a directory be opened (or synced)
        _fsync(path)


# PostgreSQL ---------------------------------------------------------------------------------------


def postgres_commands(url: str, file: str | Path) -> PostgresCommands:
    """``pg_dump -Fc`` and ``pg_restore`` command lines for ``url``, without its password."""
    if is_sqlite(url):
        raise ValueError("not a PostgreSQL URL")
    parsed = make_url(url)
    options: list[str] = []
    host = parsed.host or parsed.query.get("host")
    if isinstance(host, tuple):
        host = host[0]
    port = parsed.port or parsed.query.get("port")
    if isinstance(port, tuple):
        port = port[0]
    if host:
        options += ["-h", str(host)]
    if port:
        options += ["-p", str(port)]
    if parsed.username:
        options += ["-U", parsed.username]
    options += ["-d", parsed.database or "postgres"]
    target = str(file)
    backup = ["pg_dump", "-Fc", *options, "-f", target]
    restore = ["pg_restore", "--clean", "--if-exists", "--single-transaction", *options, target]
    return PostgresCommands(backup=shlex.join(backup), restore=shlex.join(restore))
