"""``formabot member forget TELEGRAM_ID``: forget a person (GDPR right to erasure).
``formabot member unlink TELEGRAM_ID (--org ORG | --funder F | --staff)``: revoke one link.

Their links, conversation state, link attempts and notifications are removed; their id in the
audit trail and the link codes is replaced by a pseudonym; the organisations' actions and their
history are kept (``storage/privacy.py``). Prints a French summary of what was removed and kept.

Unlinking removes one link row and nothing else: the person keeps their other links and their
conversation; from their next message they no longer see that organisation's actions (or the
funder's queue), and notifications queued for that link are not sent (``bot/delivery.py``). Staff
are named by ``FORMABOT_ADMIN_IDS``: ``--staff`` removes the link row that carries their chat, and
says so when the id is still configured (the bot would add it again).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.commands import say
from bot.config import Settings
from domain.funders import Funder
from domain.ports import Membership, Role
from storage.privacy import RemovedLink, forget_user

VALIDATOR_FUNDERS = Funder.with_validator_code()


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
    unlink = member_sub.add_parser(
        "unlink",
        help="revoke one link of a person (an organisation, a funder's validator, staff); "
        "the person and their other links are kept",
    )
    unlink.add_argument("telegram_id", type=_telegram_id, metavar="TELEGRAM_ID")
    which = unlink.add_mutually_exclusive_group(required=True)
    which.add_argument("--org", type=int, metavar="ORG", help="organisation id")
    which.add_argument("--funder", choices=sorted(VALIDATOR_FUNDERS), help="the funder of a validator")
    which.add_argument("--staff", action="store_true", help="the Carif-Oref staff link")
    unlink.set_defaults(handler=_unlink)


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
    async with open_services(settings) as services, services.uow_factory() as uow:
        report = await forget_user(uow, user_id)
        await uow.commit()

    if not report.found:
        print(say("forget_nothing", user_id=user_id))
    else:
        links = [_link_label(link) for link in report.links]
        print(say("forgotten", user_id=user_id, links=links, report=report))
    if user_id in settings.admin_ids:
        print(say("still_admin", user_id=user_id), file=sys.stderr)
    return 0


async def _unlink(args: argparse.Namespace, settings: Settings) -> int:
    from bot.wiring import open_services

    user_id: int = args.telegram_id
    if args.org is not None:
        membership = Membership(user_id=user_id, role=Role.MEMBER, organisation_id=args.org)
    elif args.funder is not None:
        membership = Membership(user_id=user_id, role=Role.VALIDATOR, funder=VALIDATOR_FUNDERS[args.funder])
    else:
        membership = Membership(user_id=user_id, role=Role.STAFF)
    async with open_services(settings) as services, services.uow_factory() as uow:
        organisation = await uow.organisations.get(args.org) if args.org is not None else None
        removed = await uow.members.remove(membership)
        await uow.commit()

    link = _link_label(RemovedLink(
        role=membership.role.value,
        organisation_id=membership.organisation_id,
        organisation_name=(organisation.nom_organisme or organisation.raison_sociale) if organisation else None,
        funder=membership.funder.value if membership.funder is not None else None,
    ))
    if membership.role is Role.STAFF and user_id in settings.admin_ids:
        print(say("still_admin", user_id=user_id), file=sys.stderr)
    if not removed:
        print(say("unlink_nothing", user_id=user_id, link=link), file=sys.stderr)
        return 1
    print(say("unlinked", user_id=user_id, link=link))
    return 0
