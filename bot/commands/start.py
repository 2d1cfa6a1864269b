"""``formabot start``: what ``make run`` calls. The Telegram bot when a token is set, else the console."""

from __future__ import annotations

import argparse
from typing import Any

from bot.config import Settings


def register(sub: Any) -> None:
    p = sub.add_parser("start", help="the Telegram bot if FORMABOT_TELEGRAM_TOKEN is set, else the console")
    p.set_defaults(handler=_start)


def _start(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli import build_parser

    # The Telegram channel and the console come with later work; until then, list the commands.
    build_parser().print_help()
    return 0
