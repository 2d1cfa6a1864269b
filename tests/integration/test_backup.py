"""``formabot db backup|restore``: a consistent copy while the bot writes, a checked restore, the
real bot resuming where the backup left it; on PostgreSQL, the printed pg_dump/pg_restore lines."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot.cli import main
from domain.clock import FixedClock
from domain.funders import Funder
from domain.models import Status
from domain.ports import ConversationState
from storage.backup import BackupError, backup_sqlite, postgres_commands, restore_sqlite
from storage.database import create_engine, current_revision, head_revision, upgrade
from storage.tables import conversations
from storage.uow import SqlUnitOfWorkFactory
from tests.e2e.support import Player, new_link_code, running_bot, settings_for
from tests.factories import FACTORY_TODAY, make_organisation, make_valid_action
from tests.fakebotapi import FakeBotApi
from tests.labels import label

COUNTER_CHAT = 1  # the writer's counter: its data["n"] is how many rows it committed besides it


def _url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def _seed(url: str, chat_id: int = 4242) -> tuple[int, int]:
    """A migrated database with an organisation, a draft and a conversation state in progress."""
    await upgrade(url)
    engine = create_engine(url)
    try:
        async with SqlUnitOfWorkFactory(engine, FixedClock(FACTORY_TODAY))() as uow:
            org = await uow.organisations.add(make_organisation(id=None))
            assert org.id is not None
            draft = await uow.all_actions().add(
                make_valid_action(Funder.REGION, organisation_id=org.id, intitule="Soudeur TIG")
            )
            await uow.conversations.save(
                ConversationState(chat_id=chat_id, data={"screen": "question", "answers": {"intitule": "Soudeur TIG"}})
            )
            await uow.commit()
    finally:
        await engine.dispose()
    assert draft.id is not None
    return org.id, draft.id


async def _state(url: str, chat_id: int = 4242) -> ConversationState:
    engine = create_engine(url)
    try:
        async with SqlUnitOfWorkFactory(engine)() as uow:
            return await uow.conversations.load(chat_id)
    finally:
        await engine.dispose()


async def _draft_titles(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        async with SqlUnitOfWorkFactory(engine)() as uow:
            return [a.intitule or "" for a in await uow.all_actions().list(Status.DRAFT, limit=100)]
    finally:
        await engine.dispose()


def _sqlite_rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


# Backup while writing ------------------------------------------------------------------------------


async def test_backup_while_a_writer_commits_is_consistent_and_holds_the_committed_data(tmp_path: Path) -> None:
    url = _url(tmp_path / "bot.db")
    await _seed(url)
    engine = create_engine(url)
    factory = SqlUnitOfWorkFactory(engine)
    committed = 0
    progress = asyncio.Event()
    stop = asyncio.Event()

    async def writer() -> None:
        # Each transaction adds one conversation and moves the counter: a torn copy would disagree.
        nonlocal committed
        async with factory() as uow:
            await uow.conversations.save(ConversationState(chat_id=COUNTER_CHAT, data={"n": 0}))
            await uow.commit()
        while not stop.is_set():
            async with factory() as uow:
                counter = await uow.conversations.load(COUNTER_CHAT)
                n = counter.data["n"] + 1
                await uow.conversations.save(ConversationState(chat_id=100_000 + n, data={"n": n}))
                counter.data = {"n": n}
                await uow.conversations.save(counter)
                await uow.commit()
            committed = n
            progress.set()
            await asyncio.sleep(0)  # let the test's side run between two transactions

    async def after(n: int) -> None:
        while committed < n:
            progress.clear()
            await progress.wait()

    task = asyncio.create_task(writer())
    try:
        await after(20)
        before = committed
        backup = tmp_path / "copie.db"
        result = await backup_sqlite(url, backup)
        during = committed
        await after(during + 20)  # the writer was never blocked for good by the backup
    finally:
        stop.set()
        await task
        await engine.dispose()

    assert result.file == backup and result.revision == head_revision() and result.size > 0
    assert not Path(f"{backup}-wal").exists() and not Path(f"{backup}-journal").exists()
    assert _sqlite_rows(backup, "PRAGMA integrity_check") == [("ok",)]
    assert _sqlite_rows(backup, "PRAGMA journal_mode") == [("delete",)]  # one self-contained file
    [(counter_data,)] = _sqlite_rows(backup, f"SELECT data FROM conversations WHERE chat_id = {COUNTER_CHAT}")
    n = json.loads(str(counter_data))["n"]
    written = _sqlite_rows(backup, "SELECT chat_id FROM conversations WHERE chat_id > 100000 ORDER BY chat_id")
    assert [c for (c,) in written] == [100_000 + i for i in range(1, n + 1)]  # one snapshot, no tear
    # Everything committed before the backup began is in it (and at most the one transaction
    # whose commit the writer had not yet noted when the backup returned).
    assert before <= n <= during + 1
    assert _sqlite_rows(backup, "SELECT json_extract(data, '$.intitule') FROM actions") == [("Soudeur TIG",)]
    assert _sqlite_rows(backup, "SELECT version_num FROM alembic_version") == [(head_revision(),)]


# Restore -------------------------------------------------------------------------------------------


async def test_restore_brings_back_the_draft_and_the_conversation_and_keeps_the_replaced_base(
    tmp_path: Path,
) -> None:
    url = _url(tmp_path / "bot.db")
    org_id, draft_id = await _seed(url)
    saved = await _state(url)
    backup = tmp_path / "copie.db"
    await backup_sqlite(url, backup)

    engine = create_engine(url)
    async with SqlUnitOfWorkFactory(engine)() as uow:  # life goes on, then something goes wrong
        await uow.actions_for_organisation(org_id).delete(draft_id)
        state = await uow.conversations.load(4242)
        state.data = {"screen": "menu"}
        await uow.conversations.save(state)
        await uow.commit()
    await engine.dispose()
    assert await _draft_titles(url) == []

    result = await restore_sqlite(url, backup)

    assert await _draft_titles(url) == ["Soudeur TIG"]
    assert await _state(url) == saved
    assert result.previous_copy is not None and result.previous_copy.parent == tmp_path
    assert _sqlite_rows(result.previous_copy, "SELECT count(*) FROM actions") == [(0,)]
    assert result.revision == result.backup_revision == head_revision()
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:  # the bot's connections get WAL back
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA integrity_check"))).scalar() == "ok"
    finally:
        await engine.dispose()


async def test_restore_refuses_while_the_database_is_open_and_changes_nothing(tmp_path: Path) -> None:
    url = _url(tmp_path / "bot.db")
    await _seed(url)
    backup = tmp_path / "copie.db"
    await backup_sqlite(url, backup)
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:  # what a running bot holds
            await conn.execute(select(func.count()).select_from(conversations))
            await conn.execute(text("DELETE FROM conversations"))
            await conn.commit()
            with pytest.raises(BackupError, match="Arrêtez le bot"):
                await restore_sqlite(url, backup)
            assert (await conn.execute(select(func.count()).select_from(conversations))).scalar() == 0
    finally:
        await engine.dispose()
    assert list(tmp_path.glob("bot.db.avant-restauration-*")) == []


async def test_restore_refuses_what_is_not_a_sound_formabot_backup(tmp_path: Path) -> None:
    url = _url(tmp_path / "bot.db")
    await _seed(url)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"SQLite format 3\x00" + os.urandom(8192))
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    future = tmp_path / "future.db"
    await backup_sqlite(url, future)
    with sqlite3.connect(future) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.close()
    damaged = tmp_path / "damaged.db"
    await backup_sqlite(url, damaged)
    with sqlite3.connect(damaged) as conn:  # an index that no longer matches its table
        conn.execute("PRAGMA writable_schema = ON")
        conn.execute(
            "UPDATE sqlite_master SET sql = replace(sql, '(siret)', '(reference_carif)')"
            " WHERE name = 'ix_organisations_siret'"
        )
    conn.close()

    for path, reason in (
        (tmp_path / "absent.db", "n'existe pas"),
        (garbage, "n'est pas une base SQLite lisible|endommagée"),
        (foreign, "pas de table alembic_version"),
        (future, "inconnu de cette version"),
        (damaged, "endommagée"),
    ):
        with pytest.raises(BackupError, match=reason):
            await restore_sqlite(url, path)
    assert await _draft_titles(url) == ["Soudeur TIG"]
    assert list(tmp_path.glob("bot.db.avant-restauration-*")) == []


async def test_an_older_backup_is_migrated_on_restore(tmp_path: Path) -> None:
    old_url = _url(tmp_path / "old.db")
    await upgrade(old_url, "0001")
    old_backup = tmp_path / "old-copie.db"
    await backup_sqlite(old_url, old_backup)
    url = _url(tmp_path / "bot.db")
    await _seed(url)

    result = await restore_sqlite(url, old_backup)

    assert (result.backup_revision, result.revision) == ("0001", head_revision())
    assert head_revision() != "0001"
    engine = create_engine(url)
    try:
        assert await current_revision(engine) == head_revision()
    finally:
        await engine.dispose()
    assert await _draft_titles(url) == []  # the old backup's content, not the replaced one


async def test_restore_into_a_missing_database_file(tmp_path: Path) -> None:
    source = _url(tmp_path / "bot.db")
    await _seed(source)
    backup = tmp_path / "copie.db"
    await backup_sqlite(source, backup)
    fresh = _url(tmp_path / "ailleurs.db")
    result = await restore_sqlite(fresh, backup)
    assert result.previous_copy is None
    assert await _draft_titles(fresh) == ["Soudeur TIG"]


async def test_backup_refuses_a_missing_base_and_its_own_file(tmp_path: Path) -> None:
    url = _url(tmp_path / "bot.db")
    with pytest.raises(BackupError, match="n'existe pas"):
        await backup_sqlite(url, tmp_path / "copie.db")
    await _seed(url)
    with pytest.raises(BackupError, match="la base elle-même"):
        await backup_sqlite(url, tmp_path / "bot.db")
    with pytest.raises(BackupError, match="n'existe pas"):
        await backup_sqlite(url, tmp_path / "absent" / "copie.db")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temp left


# The real bot resumes where the backup was taken ---------------------------------------------------


async def test_the_bot_resumes_at_the_question_after_the_backup(tmp_path: Path) -> None:
    async with FakeBotApi() as api:
        settings = settings_for(api, tmp_path / "bot.db")
        _, code = await new_link_code(settings)
        backup = tmp_path / "sauvegarde.db"
        async with running_bot(settings):
            claire = Player(api.user(1001, "Claire"))
            await claire.command("start", code)
            assert "Bienvenue" in claire.text
            await claire.press(label("create"))
            await claire.press("Région")
            await claire.say("Soudeur TIG")
            await claire.say("Souder à l'arc des aciers.")
            assert claire.current_field().key == "resultats_attendus"
            await backup_sqlite(settings.database_url, backup)  # while the bot runs
            await claire.say("Titre professionnel de niveau 3.")
            assert claire.current_field().key == "contenu"
            with pytest.raises(BackupError, match="Arrêtez le bot"):
                await restore_sqlite(settings.database_url, backup)

        await restore_sqlite(settings.database_url, backup)

        async with running_bot(settings):  # a new process on the restored database
            await claire.command("aide")  # the help, then the current question again
            assert claire.current_field().key == "resultats_attendus", claire.text
            await claire.press(label("back"))
            assert claire.current_field().key == "objectif"
            assert "Réponse actuelle : Souder à l'arc des aciers." in claire.text
            await claire.press(label("back"))
            assert "Réponse actuelle : Soudeur TIG" in claire.text
            await claire.say("Soudeur TIG")
            await claire.say("Souder à l'arc des aciers.")
            await claire.say("Titre professionnel de niveau 3.")  # the lost answer, given again
            assert claire.current_field().key == "contenu"


# The command line ----------------------------------------------------------------------------------


def test_backup_and_restore_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = _url(tmp_path / "bot.db")
    asyncio.run(_seed(url))
    monkeypatch.setenv("FORMABOT_DATABASE_URL", url)
    backup = tmp_path / "copie.db"

    assert main(["db", "backup", str(backup)]) == 0
    out = capsys.readouterr().out
    assert f"Sauvegarde de {tmp_path / 'bot.db'} écrite dans {backup}" in out
    assert "intégrité vérifiée" in out

    assert main(["db", "restore", str(backup)]) == 0
    out = capsys.readouterr().out
    assert f"Sauvegarde {backup} restaurée dans {tmp_path / 'bot.db'}." in out
    assert "La base remplacée est conservée dans" in out
    assert asyncio.run(_draft_titles(url)) == ["Soudeur TIG"]

    assert main(["db", "restore", str(tmp_path / "absent.db")]) == 1
    assert "Restauration impossible" in capsys.readouterr().err


def test_on_postgres_the_commands_print_pg_dump_and_pg_restore_without_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FORMABOT_DATABASE_URL", "postgresql+asyncpg://formabot:s3cr3t@db.example.org:5433/formabot")
    for command in ("backup", "restore"):
        assert main(["db", command, "/srv/sauvegardes/formabot.dump"]) == 2
        captured = capsys.readouterr()
        assert "s3cr3t" not in captured.out + captured.err
        assert "PostgreSQL" in captured.err
        assert (
            "pg_dump -Fc -h db.example.org -p 5433 -U formabot -d formabot -f /srv/sauvegardes/formabot.dump"
            in captured.err
        )
        assert (
            "pg_restore --clean --if-exists --single-transaction -h db.example.org -p 5433 -U formabot"
            " -d formabot /srv/sauvegardes/formabot.dump" in captured.err
        )


async def _run(command: str, url: str) -> None:
    env = dict(os.environ)
    password = make_url(url).password
    if password:
        env["PGPASSWORD"] = str(password)
    process = await asyncio.create_subprocess_exec(
        *shlex.split(command), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, (command, out.decode(), err.decode())


@pytest.mark.postgres
async def test_the_printed_postgres_commands_back_up_and_restore(pg_url: str, tmp_path: Path) -> None:
    await upgrade(pg_url)
    engine = create_engine(pg_url)
    factory = SqlUnitOfWorkFactory(engine)
    try:
        async with factory() as uow:
            await uow.conversations.save(ConversationState(chat_id=4242, data={"screen": "question"}))
            await uow.connection.execute(text("INSERT INTO audit (at, kind) VALUES (now(), 'created')"))
            await uow.commit()
        commands = postgres_commands(pg_url, tmp_path / "formabot.dump")
        assert "-Fc" in commands.backup
        await _run(commands.backup, pg_url)
        async with factory() as uow:
            await uow.connection.execute(text("DELETE FROM conversations"))
            await uow.commit()
        await engine.dispose()  # the bot is stopped during a restore
        await _run(commands.restore, pg_url)
        async with factory() as uow:
            assert (await uow.conversations.load(4242)).data == {"screen": "question"}
            with pytest.raises(DBAPIError, match="append-only"):  # the triggers came back too
                await uow.connection.execute(text("DELETE FROM audit"))
    finally:
        await engine.dispose()
