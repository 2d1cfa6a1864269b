"""Administration from the command line: organisations, link codes, funder codes, the action list."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bot.commands import organisation, say
from bot.config import Settings
from bot.wiring import open_services
from domain.catalogue import organisation_field
from domain.errors import FieldError
from domain.funders import Funder
from domain.models import Organisation, Status
from domain.ports import Role

FUNDERS_WITH_CODE = Funder.with_validator_code()


def register(sub: Any) -> None:
    org = sub.add_parser("org", help="organisations: add one, issue a link code, set its Carif-Oref reference")
    org_sub = org.add_subparsers(dest="org_command", metavar="COMMAND", required=True)
    add = org_sub.add_parser("add", help="create an organisation and print a link code for it")
    add.add_argument("--name", required=True, help="raison sociale")
    add.add_argument("--siret", required=True)
    add.add_argument("--nda", help="numéro de déclaration d'activité (11 chiffres)")
    add.set_defaults(handler=_org_add)
    code = org_sub.add_parser("link-code", help="issue a new one-time link code for an organisation")
    code.add_argument("org", type=int, help="organisation id")
    code.set_defaults(handler=_org_link_code)
    organisation.register_set(org_sub)

    funder = sub.add_parser("funder-code", help="issue the confidential code of a funder's validator")
    funder.add_argument("funder", choices=sorted(FUNDERS_WITH_CODE))
    funder.set_defaults(handler=_funder_code)

    actions = sub.add_parser("actions", help="the actions, for staff and scripts")
    actions_sub = actions.add_subparsers(dest="actions_command", metavar="COMMAND", required=True)
    lst = actions_sub.add_parser("list", help="list the actions")
    lst.add_argument("--status", choices=[s.value for s in Status])
    lst.add_argument("--json", action="store_true", help="one JSON document on stdout")
    lst.set_defaults(handler=_actions_list)


def _check(key: str, raw: str) -> str:
    try:
        value: str = organisation_field(key).parse(raw)
    except FieldError as exc:
        print(say("field_error", label=organisation_field(key).label, message=exc.message), file=sys.stderr)
        raise SystemExit(2) from None
    return value


async def _org_add(args: argparse.Namespace, settings: Settings) -> int:
    name = _check("raison_sociale", args.name)
    organisation = Organisation(
        raison_sociale=name,
        nom_organisme=name,
        siret=_check("siret", args.siret),
        numero_activite=_check("numero_activite", args.nda) if args.nda else None,
    )
    async with open_services(settings) as services, services.uow_factory() as uow:
        stored = await uow.organisations.add(organisation)
        code = await uow.link_codes.create(Role.MEMBER, organisation_id=stored.id)
        await uow.commit()
    # The id on the first line and the code on the last one: scripts read them from there.
    print(stored.id)
    print(say("org_created", name=name, code=code))
    print(code)
    return 0


async def _org_link_code(args: argparse.Namespace, settings: Settings) -> int:
    async with open_services(settings) as services, services.uow_factory() as uow:
        if await uow.organisations.get(args.org) is None:
            print(say("org_unknown", org=args.org), file=sys.stderr)
            return 1
        code = await uow.link_codes.create(Role.MEMBER, organisation_id=args.org)
        await uow.commit()
    print(code)
    return 0


async def _funder_code(args: argparse.Namespace, settings: Settings) -> int:
    funder = FUNDERS_WITH_CODE[args.funder]
    async with open_services(settings) as services, services.uow_factory() as uow:
        code = await uow.link_codes.create(Role.VALIDATOR, funder=funder)
        await uow.commit()
    print(say("funder_code", funder=funder.label))
    print(code)
    return 0


async def _actions_list(args: argparse.Namespace, settings: Settings) -> int:
    async with open_services(settings) as services, services.uow_factory() as uow:
        repo = uow.all_actions()
        status = Status(args.status) if args.status else None
        actions = []
        offset = 0
        while batch := await repo.list(status, offset=offset, limit=500):
            actions += batch
            offset += len(batch)
    rows = [
        {
            "id": a.id,
            "reference": a.reference,
            "reference_carif": a.reference_carif,
            "title": a.intitule,
            "status": a.status.value,
            "funder": a.funder.value,
            "organisation": a.organisation_id,
            "sessions": [
                {"start": s.debut.isoformat() if s.debut else None, "end": s.fin.isoformat() if s.fin else None}
                for s in a.sessions
            ],
        }
        for a in actions
    ]
    if args.json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    for r in rows:
        period = ", ".join(f"{s['start']}→{s['end']}" for s in r["sessions"])
        print(f"{r['reference']}\t{r['status']}\t{r['funder']}\torg {r['organisation']}\t{r['title'] or ''}\t{period}")
    if not rows:
        print(say("no_actions"))
    return 0
