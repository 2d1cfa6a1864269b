"""``formabot start``: what ``make run`` calls. The Telegram bot when a token is set, else the console
on the demo's own database (``FORMABOT_DEMO_DATABASE_URL``, ``formabot-demo.db``)."""

from __future__ import annotations

import argparse
from typing import Any

from bot.config import Settings


def register(sub: Any) -> None:
    p = sub.add_parser("start", help="the Telegram bot if FORMABOT_TELEGRAM_TOKEN is set, else the console on the demo database")
    p.set_defaults(handler=_start)


async def _start(args: argparse.Namespace, settings: Settings) -> int:
    if settings.telegram_token:
        from bot.commands.run import _run

        return await _run(argparse.Namespace(webhook_url=None), settings)
    from bot.commands import say
    from bot.commands.dialogs import _shell, shown_url

    # The console on the demo's own database: the configured one is never touched (it may be a
    # real one, and the demo's published actions would reach its public LHEO export).
    print(say("console_demo", url=shown_url(settings.for_demo().database_url)))
    return await _shell(argparse.Namespace(user=None), settings)
