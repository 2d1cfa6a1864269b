"""``formabot start``: what ``make run`` calls. The Telegram bot when a token is set, else the console."""

from __future__ import annotations

import argparse
from typing import Any

from bot.config import Settings


def register(sub: Any) -> None:
    p = sub.add_parser("start", help="the Telegram bot if FORMABOT_TELEGRAM_TOKEN is set, else the console")
    p.set_defaults(handler=_start)


async def _start(args: argparse.Namespace, settings: Settings) -> int:
    if settings.telegram_token:
        from bot.commands.run import _run

        return await _run(argparse.Namespace(webhook_url=None), settings)
    from bot.commands.dialogs import _shell

    print("FORMABOT_TELEGRAM_TOKEN n'est pas défini : console sur la base locale, organisme de démonstration.")
    return await _shell(argparse.Namespace(user=None), settings)
