"""``formabot member forget TELEGRAM_ID``: forget a person (GDPR right to erasure).

Their links, conversation state, link attempts and notifications are removed; their id in the
audit trail and the link codes is replaced by a pseudonym; the organisations' actions and their
history are kept (``storage/privacy.py``). Prints a French summary of what was removed and kept.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.commands import say
from bot.config import Settings
from domain.funders import Funder
from storage.privacy import RemovedLink, forget_user


def _telegram_id(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"« {raw} » n'est pas un identifiant Telegram") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("un identifiant d'utilisateur Telegram est un nombre positif")
    return value


def register(sub: Any) -> None:
    member = sub.add_parser("member", help="people linked to the bot (GDPR: forget one)")
    member_sub = member.add_subparsers(dest="member_command", metavar="COMMAND", required=True)
    forget = member_sub.add_parser(
        "forget",
        help="remove a person's links and conversation, pseudonymise them in the audit trail "
        "(the organisations' actions are kept)",
    )
    forget.add_argument("telegram_id", type=_telegram_id, metavar="TELEGRAM_ID")
    forget.set_defaults(handler=_forget)


def _link_label(link: RemovedLink) -> str:
    if link.role == "member":
        return say("link_member", organisation_id=link.organisation_id, name=link.organisation_name)
    if link.role == "validator":
        try:
            funder = Funder(link.funder or "").label
        except ValueError:
            funder = str(link.funder)
        return say("link_validator", funder=funder)
    return say("link_staff")


async def _forget(args: argparse.Namespace, settings: Settings) -> int:
    from bot.wiring import open_services

    user_id: int = args.telegram_id
    services = await open_services(settings)
    try:
        async with services.uow_factory() as uow:
            report = await forget_user(uow, user_id)
            await uow.commit()
    finally:
        await services.close()

    if not report.found:
        print(say("forget_nothing", user_id=user_id))
    else:
        links = [_link_label(link) for link in report.links]
        print(say("forgotten", user_id=user_id, links=links, report=report))
    if user_id in settings.admin_ids:
        print(say("still_admin", user_id=user_id), file=sys.stderr)
    return 0
