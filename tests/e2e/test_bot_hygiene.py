"""What a well-made bot does besides the dialogs: commands menu, escaping, logs without secrets."""

from __future__ import annotations

import io
import logging
from pathlib import Path

from bot.logs import LEAKY_LOGGERS, setup_logging
from tests.e2e.support import Player, new_link_code, running_bot, settings_for
from tests.fakebotapi import FakeBotApi
from tests.labels import label

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
                await claire.press(label("create"))
                await claire.press("Région")
                await claire.say(SECRET_ANSWER)
                # Sent as HTML and accepted by the (strict) parser: user text is escaped, shown as typed.
                await claire.press(label("back"))
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


async def test_a_token_telegram_refuses_stops_the_process_with_one_line_without_the_token(
    tmp_path: Path,
) -> None:
    """Telegram answers 401 to getMe at start: the real ``formabot run`` process exits non-zero with
    one French line; the token (python-telegram-bot's ``InvalidToken`` quotes it) is nowhere."""
    import asyncio

    from tests.e2e.processes import BotProcess

    async with FakeBotApi() as api:
        refused = "987654321:AAHrefusedSECRETpart_0123456789abcdef"  # not the fake's token: 401
        bot = BotProcess(api, tmp_path / "bot.db", log_path=tmp_path / "formabot.log",
                         env={"FORMABOT_TELEGRAM_TOKEN": refused})
        process = await asyncio.create_subprocess_exec(
            *_run_command(), env=bot.environment(), cwd=tmp_path,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
        assert [r.status for r in api.requests_for("getMe")] == [401]
    out, err = stdout.decode(), stderr.decode()
    assert process.returncode not in (0, None), (out, err)
    secret = refused.split(":")[1]
    assert secret not in out and secret not in err, (out, err)
    assert "Traceback" not in err, err
    assert "Telegram refuse le jeton du bot (987654321:***, FORMABOT_TELEGRAM_TOKEN)" in err, err
    assert len([line for line in err.splitlines() if not line.startswith("{")]) == 1, err


def _run_command() -> list[str]:
    import sys

    return [sys.executable, "-m", "bot", "run"]
