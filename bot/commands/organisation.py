"""The Carif-Oref's operations on an organisation, on the command line (the staff chat does the
same through the same use case):

- ``formabot org set ORG --reference-carif X``: give the organisation its Carif-Oref reference (the
  one shown on its fiche organisme), or change it. Exit 0 when set (or already so), 1 when refused
  (unknown organisation, invalid reference, another organisation's), with the French reason on
  stderr.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.config import Settings
from dialogs import operations
from domain.errors import DomainError
from domain.services import backoffice
from domain.services.actors import Actor


def register_set(org_sub: Any) -> None:
    """``org set``, under the ``org`` command (``bot.commands.admin``)."""
    cmd = org_sub.add_parser("set", help="set what only the Carif-Oref sets on an organisation")
    cmd.add_argument("org", type=int, help="organisation id")
    cmd.add_argument("--reference-carif", required=True,
                     help="the organisation's Carif-Oref reference, shown on its fiche organisme")
    cmd.set_defaults(handler=_org_set)


async def _org_set(args: argparse.Namespace, settings: Settings) -> int:
    from bot.wiring import open_services

    async with open_services(settings) as services, services.uow_factory() as uow:
        try:
            org = await backoffice.set_organisation_reference(uow, Actor.staff(), args.org, args.reference_carif)
        except DomainError as exc:
            print(operations.describe(exc), file=sys.stderr)
            return 1
        await uow.commit()
    print(operations.message("done_organisation_reference", organisation=org.id,
                             name=org.nom_organisme or org.raison_sociale, reference=org.reference_carif))
    return 0
