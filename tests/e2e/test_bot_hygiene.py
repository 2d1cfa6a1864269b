"""What a well-made bot does besides the dialogs: commands menu, escaping, logs without secrets."""

from __future__ import annotations

import io
import logging
from pathlib import Path

from bot.logs import LEAKY_LOGGERS, setup_logging
from tests.e2e.support import Player, new_link_code, running_bot, settings_for
from tests.fakebotapi import FakeBotApi

SECRET_ANSWER = "Réponse-très-personnelle-4242 <b>gras</b> & <script>alert(1)</script>"


async def test_commands_menu_escaping_and_logs_without_token_or_content(tmp_path: Path) -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, {n: logging.getLogger(n).level for n in LEAKY_LOGGERS})
    setup_logging("DEBUG", stream)  # the most talkative level an operator can choose
    try:
        async with FakeBotApi() as api:
            settings = settings_for(api, tmp_path / "bot.db")
            _, code = await new_link_code(settings)
            async with running_bot(settings):
                commands = {c["command"] for c in api.commands_for()}
                assert {"start", "menu", "nouvelle", "dates", "aide", "annuler"} <= commands
                claire = Player(api.user(1001, "Claire"))
                await claire.command("start", code)
                await claire.press("➕ Créer une action")
                await claire.press("Région")
                await claire.say(SECRET_ANSWER)
                # Sent as HTML and accepted by the (strict) parser: user text is escaped, shown as typed.
                await claire.press("⬅ Retour")
                assert "<script>alert(1)</script>" in claire.text
                assert all(r.ok for r in api.requests_for("sendMessage") + api.requests_for("editMessageText"))
    finally:
        root.handlers[:], level, levels = saved
        root.setLevel(level)
        for name, value in levels.items():
            logging.getLogger(name).setLevel(value)
    logs = stream.getvalue()
    assert logs  # something was logged
    assert api.token not in logs and api.token.split(":")[1] not in logs
    assert "Réponse-très-personnelle-4242" not in logs
