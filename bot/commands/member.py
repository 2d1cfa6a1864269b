"""``formabot member forget TELEGRAM_ID``: forget a person (GDPR right to erasure).

Their links, conversation state, link attempts and notifications are removed; their id in the
audit trail and the link codes is replaced by a pseudonym; the organisations' actions and their
history are kept (``storage/privacy.py``). Prints a French summary of what was removed and kept.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

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
        name = f" « {link.organisation_name} »" if link.organisation_name else ""
        return f"membre de l'organisme n° {link.organisation_id}{name}"
    if link.role == "validator":
        try:
            funder = Funder(link.funder or "").label
        except ValueError:
            funder = str(link.funder)
        return f"valideur {funder}"
    return "personnel du Carif-Oref"


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
        print(f"Aucune donnée de l'utilisateur Telegram {user_id} : rien à effacer.")
    else:
        print(f"Utilisateur Telegram {user_id} oublié.")
        print("Supprimé :")
        if report.links:
            for link in report.links:
                print(f"  - rattachement : {_link_label(link)}")
        else:
            print("  - aucun rattachement")
        unsaved = " (et les réponses non sauvegardées d'un formulaire en cours)" if report.conversations else ""
        print(f"  - états de conversation : {report.conversations}{unsaved}")
        print(f"  - tentatives de code de rattachement : {report.link_attempts}")
        print(f"  - notifications adressées à sa conversation : {report.notifications}")
        print("Pseudonymisé (identifiant remplacé par un pseudonyme sans retour possible) :")
        print(f"  - lignes du journal d'audit : {report.audit_rows}")
        print(f"  - codes de rattachement utilisés ou émis : {report.link_codes}")
        print("Conservé :")
        print(f"  - les actions de formation des organismes auxquels il était rattaché"
              f" ({report.kept_actions}), leurs sessions, documents et leur historique")
    if user_id in settings.admin_ids:
        print(
            f"Attention : {user_id} figure dans FORMABOT_ADMIN_IDS ; retirez-le de la configuration,"
            " sinon le bot le reconnaîtra de nouveau comme personnel du Carif-Oref.",
            file=sys.stderr,
        )
    return 0
