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


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.logs import setup_logging
    from bot.runtime import BotRuntime

    setup_logging()
    if not settings.telegram_token:
        print("FORMABOT_TELEGRAM_TOKEN is not set: the bot cannot start.", file=sys.stderr)
        return 2
    await BotRuntime(settings, webhook_url=args.webhook_url).run_until_signal()
    return 0
