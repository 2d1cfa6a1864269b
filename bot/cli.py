"""The ``formabot`` command line."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import sys
from collections.abc import Sequence

from bot.config import ConfigError, Settings, load_settings

# Each module adds its family of subcommands; the order is the order of ``formabot --help``.
COMMAND_MODULES = (
    "bot.commands.start",
    "bot.commands.run",
    "bot.commands.dialogs",
    "bot.commands.admin",
    "bot.commands.staff",
    "bot.commands.daily",
    "bot.commands.db",
    "bot.commands.member",
    "bot.commands.lheo",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="formabot",
        description="formabot: declare funded training actions to the Carif-Oref by chat.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    try:
        settings: Settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    result = handler(args, settings)
    if inspect.iscoroutine(result):  # an async handler
        result = asyncio.run(result)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
