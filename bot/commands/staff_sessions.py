"""``formabot action add-session REF --debut D --fin F --adresse-inscription A [...]``: the
Carif-Oref adds a forgotten session to a published action, as in the chat (« ➕ Ajouter une
session »): each value read by the catalogue's parser of its field (the intake's), then the same
use case, ``backoffice.add_session`` (the intake's rules, the Région's date rules included); the
organisation is told. A refusal goes to stderr in French, exit code 1."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from bot.config import Settings
from dialogs import operations
from domain.catalogue import session_field
from domain.errors import FieldError
from domain.models import Session
from domain.services import backoffice

# The options, in the catalogue's order: (option, session field key, required).
OPTIONS = (
    ("--debut", "debut", True),
    ("--fin", "fin", True),
    ("--adresse-inscription", "adresse_inscription", True),
    ("--inscription-debut", "inscription_debut", False),
    ("--inscription-fin", "inscription_fin", False),
    ("--etat-recrutement", "etat_recrutement", False),
    ("--places", "places", False),
    ("--modalites-inscription", "modalites_inscription", False),
)


def parse_session(args: argparse.Namespace) -> Session:
    """The session the options give, each read by its field's parser (``FieldError`` if one is
    wrong); the état du recrutement defaults to the catalogue's (ouvert)."""
    values: dict[str, Any] = {}
    for _, key, _ in OPTIONS:
        raw = getattr(args, key)
        if raw is not None:
            values[key] = session_field(key).parse(raw)
    values.setdefault("etat_recrutement", session_field("etat_recrutement").default)
    return Session(**values)


# How ``formabot action`` runs one operation on one action (``bot.commands.staff``'s): the
# settings, the reference, the operation, the message said when done.
RunOne = Callable[[Settings, str, Any, str], Awaitable[int]]


def register_action(ops: Any, ref_help: str, run_one: RunOne) -> None:
    """``add-session`` among the operations of ``formabot action``, run by ``run_one``."""

    async def _add_session(args: argparse.Namespace, settings: Settings) -> int:
        try:
            session = parse_session(args)
        except FieldError as exc:
            print(operations.message("failed", reference=args.reference, message=exc.message),
                  file=sys.stderr)
            return 1
        return await run_one(
            settings, args.reference,
            lambda uow, actor, clock: backoffice.add_session(uow, actor, args.reference, session),
            "done_add_session",
        )

    add = ops.add_parser(
        "add-session",
        help="add a forgotten session to a published action (the organisation is told)",
    )
    add.add_argument("reference", help=ref_help)
    for option, key, required in OPTIONS:
        spec = session_field(key)
        add.add_argument(option, dest=key, required=required, metavar=key.upper(),
                         help=f"{spec.label} ({spec.help})")
    add.set_defaults(handler=_add_session)
