"""``formabot run``: the Telegram bot (long polling, or a webhook with ``--webhook-url``)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.config import Settings


def register(sub: Any) -> None:
    p = sub.add_parser("run", help="run the Telegram bot (long polling, or webhook with --webhook-url)")
    p.add_argument("--webhook-url", help="public HTTPS URL of the webhook; its path is served locally")
    p.set_defaults(handler=_run)


def masked_token(token: str) -> str:
    """The bot's id (public: the bot's own user id) and never the secret part of the token."""
    bot_id, sep, _secret = token.partition(":")
    return f"{bot_id}:***" if sep and bot_id.isdigit() else "***"


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    from telegram.error import InvalidToken

    from bot.commands import say
    from bot.logs import mask_secret, setup_logging
    from bot.runtime import BotRuntime

    setup_logging()
    if not settings.telegram_token:
        print("FORMABOT_TELEGRAM_TOKEN is not set: the bot cannot start.", file=sys.stderr)
        return 2
    mask_secret(settings.telegram_token)
    try:
        await BotRuntime(settings, webhook_url=args.webhook_url).run_until_signal()
    except InvalidToken:
        # python-telegram-bot's message carries the token in clear: one line of ours instead.
        print(say("token_rejected", token=masked_token(settings.telegram_token)), file=sys.stderr)
        return 2
    return 0
