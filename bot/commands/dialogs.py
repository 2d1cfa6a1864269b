"""The console channel (``formabot shell``, ``formabot demo``) and ``formabot dialogs graph``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.commands import say
from bot.config import Settings


def register(sub: Any) -> None:
    shell = sub.add_parser(
        "shell", help="the dialogs in this terminal: the demo member on the demo database, or "
                      "--user ID on the configured database")
    shell.add_argument("--user", type=int,
                       help="the Telegram user id to play, on the configured database "
                            "(default: the demo member, on the demo database)")
    shell.set_defaults(handler=_shell)
    demo = sub.add_parser(
        "demo", help="create the demo organisation and actions in every status, in the demo database")
    demo.add_argument("--database-url", metavar="URL",
                      help="the database to write the demo into (default: FORMABOT_DEMO_DATABASE_URL, "
                           "formabot-demo.db)")
    demo.add_argument("--force", action="store_true",
                      help="write the demo even into a database holding other data")
    demo.set_defaults(handler=_demo)
    dialogs = sub.add_parser("dialogs", help="about the dialogs")
    dialogs_sub = dialogs.add_subparsers(dest="dialogs_command", metavar="COMMAND", required=True)
    graph = dialogs_sub.add_parser("graph", help="the state machine as a Mermaid diagram")
    graph.set_defaults(handler=_graph)


class DemoRefused(Exception):
    """The database holds other data than the demo's (and ``--force`` was not given)."""


def shown_url(url: str) -> str:
    """The database URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


async def ensure_demo(settings: Settings, *, force: bool = False) -> int:
    """Create the demo in ``settings.database_url`` (the demo's database: see
    ``Settings.for_demo``) unless it is there; its organisation id, negative if it was already
    there. A database holding anything else raises ``DemoRefused`` unless ``force``."""
    from bot.demo import create_demo, holds_other_data
    from bot.wiring import open_services

    async with open_services(settings) as services, services.uow_factory() as uow:
        if not force and await holds_other_data(uow):
            raise DemoRefused(settings.database_url)
        org_id, created = await create_demo(uow, services.clock.today())
        await uow.commit()
    return org_id if created else -org_id


async def _demo(args: argparse.Namespace, settings: Settings) -> int:
    demo = settings.for_demo(args.database_url)
    try:
        org = await ensure_demo(demo, force=args.force)
    except DemoRefused:
        print(say("demo_refused", url=shown_url(demo.database_url)), file=sys.stderr)
        return 2
    print(say("demo_database", url=shown_url(demo.database_url)))
    if org > 0:
        print(say("demo_created", org=org))
    else:
        print(say("demo_exists", org=-org))
    print(say("demo_shell"))
    return 0


async def _shell(args: argparse.Namespace, settings: Settings) -> int:
    """``--user ID``: that person on the configured database; otherwise the demo member on the
    demo's own database (created there if needed; never in a database holding other data)."""
    from bot.console import Console
    from bot.demo import DEMO_USER_ID
    from bot.wiring import open_services

    if args.user is None:
        settings = settings.for_demo()
        try:
            await ensure_demo(settings)
        except DemoRefused:
            print(say("demo_refused", url=shown_url(settings.database_url)), file=sys.stderr)
            return 2
    async with open_services(settings) as services:
        await Console(services.dialogs, args.user or DEMO_USER_ID).run()
    return 0


def _graph(args: argparse.Namespace, settings: Settings) -> int:
    from dialogs.graph import mermaid

    print(mermaid(), end="")
    return 0
