"""The Carif-Oref staff's operations on the command line (the same ones as in the chat).

- ``formabot region-vote FILE``: the Région's vote, one action reference per line; prints the report
  line by line; exit code 1 if any line failed (the other lines are recorded).
- ``formabot action publish REF [--reference-carif X]``
- ``formabot action return REF --comment TEXT``
- ``formabot action approve REF``
- ``formabot action refuse REF --reason TEXT``
- ``formabot action justification REF``
- ``formabot action show|correct|next-order|vote REF …`` (``bot/commands/codification.py``)
- ``formabot action add-session REF --debut D --fin F --adresse-inscription A [...]``
  (``bot/commands/staff_sessions.py``)

REF is the formabot reference (« FB-000042 ») or the Carif-Oref reference. Output is French, for
people: one line per action; a refusal goes to stderr with exit code 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.commands import staff_sessions
from bot.commands.codification import add_operations
from bot.config import Settings
from dialogs import operations
from domain.errors import DomainError
from domain.models import Action
from domain.ports import Clock, UnitOfWork
from domain.services import backoffice
from domain.services.actors import Actor, parse_references

Operation = Callable[[UnitOfWork, Actor, Clock], Awaitable[Action]]


async def _in_transaction(settings: Settings, work: Callable[[UnitOfWork, Clock], Awaitable[int]]) -> int:
    """Run ``work(uow, clock)`` in one unit of work on the configured database (migrated first),
    with the composition root's clock (``FORMABOT_TODAY`` pins its business date only)."""
    from bot.wiring import open_services

    async with open_services(settings) as services, services.uow_factory() as uow:
        return await work(uow, services.clock)


async def _run_one(settings: Settings, reference: str, operation: Operation, done: str) -> int:
    """Run one operation on one action; print ``done`` (a message of operations.j2) on success."""
    async def work(uow: UnitOfWork, clock: Clock) -> int:
        try:
            action = await operation(uow, Actor.staff(), clock)
        except DomainError as exc:
            print(operations.message("failed", reference=reference, message=operations.describe(exc)),
                  file=sys.stderr)
            return 1
        await uow.commit()
        if done == "done_publish":
            print(operations.message(done, reference=action.reference,
                                     reference_carif=action.reference_carif))
        else:
            print(operations.message(done, reference=action.reference))
        return 0

    return await _in_transaction(settings, work)


async def _region_vote(args: argparse.Namespace, settings: Settings) -> int:
    try:
        content = Path(args.file).read_text(encoding="utf-8-sig")
    except OSError as exc:
        print(f"{args.file} : {exc.strerror}", file=sys.stderr)
        return 2

    async def work(uow: UnitOfWork, clock: Clock) -> int:
        try:
            report = await backoffice.record_region_vote(
                uow, Actor.staff(), parse_references(content)
            )
        except DomainError as exc:
            print(operations.describe(exc), file=sys.stderr)
            return 1
        await uow.commit()
        for line in report.lines:
            print(operations.line_message(line))
        print(operations.summary(report))
        return 0 if report.ok else 1

    return await _in_transaction(settings, work)


def _on_one_action(
    operation: Callable[[UnitOfWork, Actor, Clock, argparse.Namespace], Awaitable[Action]], done: str
) -> Callable[[argparse.Namespace, Settings], Awaitable[int]]:
    """The handler of ``formabot action OPERATION REF …``: ``operation`` on the action ``args.reference``."""

    async def handler(args: argparse.Namespace, settings: Settings) -> int:
        return await _run_one(
            settings, args.reference, lambda uow, actor, clock: operation(uow, actor, clock, args), done
        )

    return handler


_publish = _on_one_action(
    lambda uow, actor, clock, args: backoffice.publish(  # the business date: the reference's year
        uow, actor, args.reference, now=clock.now(), reference_carif=args.reference_carif, today=clock.today(),
    ),
    "done_publish",
)
_return = _on_one_action(
    lambda uow, actor, clock, args: backoffice.return_for_correction(uow, actor, args.reference, args.comment),
    "done_return",
)
_approve = _on_one_action(
    lambda uow, actor, clock, args: backoffice.approve(uow, actor, args.reference), "done_approve"
)
_refuse = _on_one_action(
    lambda uow, actor, clock, args: backoffice.refuse(uow, actor, args.reference, args.reason), "done_refuse"
)
_justification = _on_one_action(
    lambda uow, actor, clock, args: backoffice.mark_justification(uow, actor, args.reference),
    "done_justification",
)


def register(sub: Any) -> None:
    vote = sub.add_parser(
        "region-vote",
        help="record the Région's vote: approve the listed actions (one reference per line)",
    )
    vote.add_argument("file", help="a text file: one action reference per line")
    vote.set_defaults(handler=_region_vote)

    action = sub.add_parser("action", help="the Carif-Oref's operations on one action")
    ops = action.add_subparsers(dest="action_command", metavar="OPERATION", required=True)
    ref_help = "the action: formabot reference (FB-000042) or Carif-Oref reference"

    publish = ops.add_parser("publish", help="publish the action (gets its Carif-Oref reference)")
    publish.add_argument("reference", help=ref_help)
    publish.add_argument("--reference-carif", help="the Carif-Oref reference (default: CO-YEAR-ID)")
    publish.set_defaults(handler=_publish)

    ret = ops.add_parser("return", help="return the action to its organisation for correction")
    ret.add_argument("reference", help=ref_help)
    ret.add_argument("--comment", required=True, help="what the organisation must correct")
    ret.set_defaults(handler=_return)

    approve = ops.add_parser("approve", help="approve the action (for its funder)")
    approve.add_argument("reference", help=ref_help)
    approve.set_defaults(handler=_approve)

    refuse = ops.add_parser("refuse", help="refuse the action, with a reason")
    refuse.add_argument("reference", help=ref_help)
    refuse.add_argument("--reason", required=True, help="the reason, sent to the organisation")
    refuse.set_defaults(handler=_refuse)

    justification = ops.add_parser(
        "justification", help="mark the État justification of the action as received"
    )
    justification.add_argument("reference", help=ref_help)
    justification.set_defaults(handler=_justification)

    add_operations(ops, ref_help, _in_transaction)  # show, correct, next-order, vote
    staff_sessions.register_action(ops, ref_help, _run_one)
