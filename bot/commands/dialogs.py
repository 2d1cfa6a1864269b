"""The console channel (``formabot shell``, ``formabot demo``) and ``formabot dialogs graph``."""

from __future__ import annotations

import argparse
from typing import Any

from bot.commands import say
from bot.config import Settings


def register(sub: Any) -> None:
    shell = sub.add_parser("shell", help="the dialogs in this terminal, on the configured database")
    shell.add_argument("--user", type=int, help="the Telegram user id to play (default: the demo member)")
    shell.set_defaults(handler=_shell)
    demo = sub.add_parser("demo", help="create the demo organisation and actions in every status")
    demo.set_defaults(handler=_demo)
    dialogs = sub.add_parser("dialogs", help="about the dialogs")
    dialogs_sub = dialogs.add_subparsers(dest="dialogs_command", metavar="COMMAND", required=True)
    graph = dialogs_sub.add_parser("graph", help="the state machine as a Mermaid diagram")
    graph.set_defaults(handler=_graph)


async def ensure_demo(settings: Settings) -> int:
    from bot.demo import create_demo
    from bot.wiring import open_services

    services = await open_services(settings)
    try:
        async with services.uow_factory() as uow:
            org_id, created = await create_demo(uow, services.clock.today())
            await uow.commit()
    finally:
        await services.close()
    return org_id if created else -org_id


async def _demo(args: argparse.Namespace, settings: Settings) -> int:
    org = await ensure_demo(settings)
    if org > 0:
        print(say("demo_created", org=org))
    else:
        print(say("demo_exists", org=-org))
    print(say("demo_shell"))
    return 0


async def _shell(args: argparse.Namespace, settings: Settings) -> int:
    from bot.console import Console
    from bot.demo import DEMO_USER_ID
    from bot.wiring import open_services

    if args.user is None:
        await ensure_demo(settings)
    services = await open_services(settings)
    try:
        await Console(services.dialogs, args.user or DEMO_USER_ID).run()
    finally:
        await services.close()
    return 0


def _graph(args: argparse.Namespace, settings: Settings) -> int:
    from dialogs.graph import mermaid

    print(mermaid(), end="")
    return 0
