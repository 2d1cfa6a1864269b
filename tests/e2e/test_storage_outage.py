"""Database locked: the user is told the answer is pending (not pretended saved), then it is stored."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from tests.e2e.support import Player, new_link_code, running_bot, settings_for
from tests.fakebotapi import FakeBotApi
from tests.labels import label


def _lock(db: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(db, isolation_level=None, timeout=30, check_same_thread=False)
    connection.execute("BEGIN EXCLUSIVE")
    return connection


def _unlock(connection: sqlite3.Connection) -> None:
    connection.execute("ROLLBACK")
    connection.close()


async def test_locked_database_keeps_the_answer_pending_then_stores_it(tmp_path: Path) -> None:
    async with FakeBotApi() as api:
        db = tmp_path / "bot.db"
        settings = settings_for(api, db)
        _, code = await new_link_code(settings)
        async with running_bot(settings):
            claire = Player(api.user(1001, "Claire"))
            await claire.command("start", code)
            await claire.press(label("create"))
            await claire.press("Région")
            # Another program takes the database's write lock and keeps it (in a thread: a blocking
            # call here would stop the bot's event loop, which shares this process).
            blocker = await asyncio.to_thread(_lock, db)
            try:
                claire.user.skip_replies()
                await claire.user.send_text("Soudeur TIG")
                pending = await claire.user.wait_for(lambda m: "gardée en attente" in m.text, timeout=30)
                assert "Objectif" not in pending.text
            finally:
                await asyncio.to_thread(_unlock, blocker)
            # Once the database is back, the answer is stored and the next question comes.
            await claire.user.wait_for(lambda m: "Objectif de la formation *" in m.text, timeout=60)
            await claire.command("aide")
            assert claire.current_field().key == "objectif"
            await claire.press(label("back"))
            assert "Réponse actuelle : Soudeur TIG" in claire.text
