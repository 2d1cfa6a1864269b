"""More of the Carif-Oref's operations on one action, on the command line (the chat's use cases):

- ``formabot action show REF``: the action's full view, as staff see it in the chat;
- ``formabot action correct REF --set KEY=VALUE [--set sN.KEY=VALUE …] [--dry-run]``: quality
  control and codification before publication (``domain/services/codification.py``); each value
  is parsed as the intake parses the answer; prints each change (before → after);
- ``formabot action next-order REF --semester "S1 2028" --session DEBUT FIN [--session …]
  [--number N] [--reference-carif X]``: the action of the next purchase order, published;
- ``formabot action vote REF``: the Région's vote for one action (``formabot region-vote FILE``
  for a list).

Registered under ``formabot action`` by ``bot/commands/staff.py``. A refusal goes to stderr with
exit code 1.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from bot.config import Settings
from dialogs import operations
from dialogs.render import html_to_text, macro_text
from dialogs.screens.backoffice import action_view_body
from domain.catalogue import session_field
from domain.errors import DomainError
from domain.models import Session
from domain.ports import Clock
from domain.services import backoffice, codification
from domain.services.actors import Actor, find

Runner = Callable[[Settings, Callable[[Any, Clock], Awaitable[int]]], Awaitable[int]]
_SET = re.compile(r"(?:s(?P<session>\d+)\.)?(?P<key>[a-z_]+)=(?P<value>.*)", re.DOTALL)


def words(name: str, /, **context: Any) -> str:
    return macro_text("codification.j2", name, **context)


def _refused(reference: str, exc: DomainError) -> int:
    print(operations.message("failed", reference=reference, message=operations.describe(exc)), file=sys.stderr)
    return 1


def _answers(values: list[str]) -> list[tuple[str, str, int | None]]:
    answers: list[tuple[str, str, int | None]] = []
    for value in values:
        match = _SET.fullmatch(value.strip())
        if match is None:
            raise ValueError(value)
        session = match["session"]
        answers.append((match["key"], match["value"], int(session) if session else None))
    return answers


def add_operations(ops: Any, ref_help: str, run: Runner) -> None:
    """The sub-commands of ``formabot action`` this module adds; ``run(settings, work)`` runs
    ``work(uow, clock)`` in one unit of work (``bot/commands/staff.py``)."""

    async def show(args: argparse.Namespace, settings: Settings) -> int:
        async def work(uow: Any, clock: Clock) -> int:
            try:
                action = await find(uow, Actor.staff(), args.reference)
            except DomainError as exc:
                return _refused(args.reference, exc)
            org = await uow.organisations.get(action.organisation_id)
            print(html_to_text(action_view_body(action, org)))
            return 0

        return await run(settings, work)

    async def correct(args: argparse.Namespace, settings: Settings) -> int:
        try:
            answers = _answers(args.set)
        except ValueError as bad:
            print(words("bad_set", value=str(bad)), file=sys.stderr)
            return 2

        async def work(uow: Any, clock: Clock) -> int:
            actor, today = Actor.staff(), clock.today()
            try:
                stored = await codification.open_correction(uow, actor, args.reference)
                proposed = codification.apply_answers(stored, answers)
                if args.dry_run:
                    _, diff = await codification.check_correction(uow, actor, args.reference, proposed,
                                                                   today=today)
                else:
                    done = await codification.correct(uow, actor, args.reference, proposed, today=today)
                    diff = done.changes
                    await uow.commit()
            except DomainError as exc:
                return _refused(args.reference, exc)
            for change in diff:
                print(words("change_line", label=change.label, before=change.before, after=change.after,
                            session=change.session))
            done_words = "dry_run" if args.dry_run else "done_correct"
            print(words(done_words, reference=stored.reference, count=len(diff)))
            return 0

        return await run(settings, work)

    async def next_order(args: argparse.Namespace, settings: Settings) -> int:
        async def work(uow: Any, clock: Clock) -> int:
            try:
                sessions = [Session(debut=session_field("debut").parse(debut), fin=session_field("fin").parse(fin))
                            for debut, fin in args.session]
                source = await find(uow, Actor.staff(), args.reference)
                order = await codification.create_next_order(
                    uow, Actor.staff(), args.reference, semestre=args.semester, sessions=sessions,
                    today=clock.today(), now=clock.now(), number=args.number,
                    reference_carif=args.reference_carif,
                )
            except DomainError as exc:
                return _refused(args.reference, exc)
            await uow.commit()
            print(words("done_next_order", reference=order.reference, number=order.numero_bon_commande,
                        source=source.reference, reference_carif=order.reference_carif))
            return 0

        return await run(settings, work)

    async def vote(args: argparse.Namespace, settings: Settings) -> int:
        async def work(uow: Any, clock: Clock) -> int:
            try:
                report = await backoffice.record_region_vote(uow, Actor.staff(), [args.reference])
            except DomainError as exc:
                return _refused(args.reference, exc)
            await uow.commit()
            for line in report.lines:
                print(operations.line_message(line))
            return 0 if report.ok else 1

        return await run(settings, work)

    parser = ops.add_parser("show", help="print the action's full view, as staff see it in the chat")
    parser.add_argument("reference", help=ref_help)
    parser.set_defaults(handler=show)

    parser = ops.add_parser(
        "correct", help="correct or code fields of a submitted or approved action (the organisation is told)"
    )
    parser.add_argument("reference", help=ref_help)
    parser.add_argument("--set", action="append", required=True, metavar="KEY=VALUE",
                        help="a field (FIELDS.md key, e.g. formacodes=31795 or niveau_sortie=Niveau 4); "
                             "sN.KEY=VALUE for session N (s2.places=12); empty to clear an optional field")
    parser.add_argument("--dry-run", action="store_true", help="print the changes, store nothing")
    parser.set_defaults(handler=correct)

    parser = ops.add_parser(
        "next-order", help="create and publish the action of the next purchase order of a Région action"
    )
    parser.add_argument("reference", help=ref_help)
    parser.add_argument("--semester", required=True, help="its semester of start, e.g. « S1 2028 »")
    parser.add_argument("--session", action="append", nargs=2, required=True, metavar=("DEBUT", "FIN"),
                        help="one session's dates (15/03/2028 30/06/2028); repeat it to split the order")
    parser.add_argument("--number", type=int, help="its purchase order number (default: the next one)")
    parser.add_argument("--reference-carif", help="its Carif-Oref reference (default: CO-YEAR-ID)")
    parser.set_defaults(handler=next_order)

    parser = ops.add_parser("vote", help="record the Région's vote for this one action")
    parser.add_argument("reference", help=ref_help)
    parser.set_defaults(handler=vote)
