"""The token never appears in what the process writes: the start-up line and the log lines."""

from __future__ import annotations

from bot.commands import say
from bot.commands.run import masked_token
from bot.logs import mask_secret
from tests.unit.support import json_logger

TOKEN = "987654321:AAHsecretPART_0123456789abcdefghijkl"


def test_the_token_is_masked_to_the_bot_id() -> None:
    assert masked_token(TOKEN) == "987654321:***"
    assert masked_token("no-colon-here") == "***"
    assert masked_token("abc:def") == "***"
    line = say("token_rejected", token=masked_token(TOKEN))
    assert "\n" not in line and "AAHsecret" not in line and "FORMABOT_TELEGRAM_TOKEN" in line


def test_the_configured_token_is_masked_anywhere_in_a_log_line() -> None:
    with json_logger("tests.secrets") as (log, stream):
        mask_secret(TOKEN)
        log.error("The token `%s` was rejected by the server.", TOKEN)  # python-telegram-bot's words
    assert "AAHsecret" not in stream.getvalue() and "<token>" in stream.getvalue()
