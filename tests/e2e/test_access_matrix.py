"""Who may do what, proven through the fake Bot API with the real bot: every operation the chat
offers × every role, then forged buttons, then the command line against the lifecycle.

The expected outcome of each cell is written below as data (from ``RULES.md``: only the
organisation's members act on its actions; only the funder's validator or the Carif-Oref approve or
refuse; only the Carif-Oref publishes, returns, records the Région's vote and marks a justification
received). Each cell gets its own action, created in storage before the bot starts; the role then
walks the path of the allowed user (the same payloads: a button it is not shown is forged with its
own screen number). « Refused » means: the action is unchanged in the database (version, status,
not copied), the user was not shown an action they may not see, and every input got an answer
(callbacks answered, no « Un incident », no exception, no ERROR log).
"""

from __future__ import annotations

import contextlib
import io
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.cli import build_parser
from bot.config import Settings
from domain import lifecycle
from domain.funders import Funder
from domain.lifecycle import Operation
from domain.models import Action, Status
from domain.ports import Role
from storage.uow import SqlUnitOfWorkFactory
from tests.e2e.reliability_support import (
    STALE,
    ErrorLogs,
    Person,
    UpdateTracker,
    database,
    incidents,
    store,
    stored_actions,
    write_figures,
)
from tests.e2e.support import STAFF_ID, new_link_code, running_bot, settings_for
from tests.factories import make_valid_action
from tests.fakebotapi import FakeBotApi

ROLES = ("unknown", "member_a", "member_b", "validator_pe", "validator_agefiph", "staff")

# The access matrix, an operation a row: the action it is tried on, of organisation A, in a status
# where the lifecycle allows it (funder, status), and the roles that may do it; every other role of
# ``ROLES`` is refused. Funders' validators act on their funder's actions only: the target of
# « view », « approve » and « refuse » is a Pôle emploi action.
ACCESS: dict[str, tuple[Funder, Status, set[str]]] = {
    "view": (Funder.POLE_EMPLOI, Status.SUBMITTED, {"member_a", "validator_pe", "staff"}),
    "modify": (Funder.REGION, Status.DRAFT, {"member_a"}),
    "confirm": (Funder.REGION, Status.DRAFT, {"member_a"}),
    "delete": (Funder.REGION, Status.DRAFT, {"member_a"}),
    "copy": (Funder.REGION, Status.PUBLISHED, {"member_a"}),
    "update_dates": (Funder.POLE_EMPLOI, Status.PUBLISHED, {"member_a"}),
    "approve": (Funder.POLE_EMPLOI, Status.SUBMITTED, {"validator_pe", "staff"}),
    "refuse": (Funder.POLE_EMPLOI, Status.SUBMITTED, {"validator_pe", "staff"}),
    "publish": (Funder.POLE_EMPLOI, Status.APPROVED, {"staff"}),
    "return": (Funder.POLE_EMPLOI, Status.SUBMITTED, {"staff"}),
    "record_vote": (Funder.REGION, Status.SUBMITTED, {"staff"}),
    "mark_justification": (Funder.ETAT_EMPLOI, Status.SUBMITTED, {"staff"}),
}

NEW_TITLE = "Intitulé corrigé par le membre"
NEW_DATES = ("du 16/03/2027 au 01/07/2027", date(2027, 3, 16))
REASON = "Le public visé ne correspond pas au marché."
COMMENT = "Merci de corriger les codes Formacode."

# The steps of the allowed user's path once the action is open: ("tap", verb, arg) sends the
# payload of that button of the current screen, ("say", text) types a message.
Step = tuple[str, str, Any]
FLOWS: dict[str, list[Step]] = {
    "view": [],
    "modify": [("tap", "modify", None), ("tap", "group", 0), ("tap", "f", "intitule"),
               ("say", NEW_TITLE, None), ("tap", "save", None)],
    "confirm": [("tap", "confirm", None), ("tap", "confirm", None), ("tap", "yes", None)],
    "delete": [("tap", "delete", None), ("tap", "yes", None)],
    "copy": [("tap", "copy", None), ("tap", "save", None)],
    "update_dates": [("tap", "dates", None), ("tap", "session", 0), ("say", NEW_DATES[0], None)],
    "approve": [("tap", "approve", None)],
    "refuse": [("tap", "refuse", None), ("say", REASON, None), ("tap", "yes", None)],
    "publish": [("tap", "publish", None), ("tap", "yes", None)],
    "return": [("tap", "return", None), ("say", COMMENT, None)],
    "record_vote": [("tap", "vote", None)],
    "mark_justification": [("tap", "justif", None)],
}  # fmt: skip


def _done(op: str, before: Action, after: Action | None, everything: dict[int, Action]) -> bool:
    """Whether the allowed outcome of ``op`` (any but « view ») happened to the action."""
    if op == "delete":
        return after is None
    if after is None:
        return False
    if op == "copy":
        return any(a.copied_from == before.id and a.status is Status.DRAFT for a in everything.values())
    checks: dict[str, Callable[[Action], bool]] = {
        "modify": lambda a: a.intitule == NEW_TITLE,
        "confirm": lambda a: a.status is Status.SUBMITTED,
        "update_dates": lambda a: a.sessions[0].debut == NEW_DATES[1],
        "approve": lambda a: a.status is Status.APPROVED,
        "refuse": lambda a: a.status is Status.REFUSED and a.refusal_reason == REASON,
        "publish": lambda a: a.status is Status.PUBLISHED,
        "return": lambda a: a.status is Status.RETURNED and a.staff_comment == COMMENT,
        "record_vote": lambda a: a.status is Status.APPROVED,
        "mark_justification": lambda a: a.justificatif_recu,
    }
    return checks[op](after)


def _unchanged(before: Action, after: Action | None, everything: dict[int, Action]) -> bool:
    copied = any(a.copied_from == before.id for a in everything.values())
    return after is not None and (after.version, after.status) == (before.version, before.status) and not copied


def _may_see(role: str, action: Action) -> bool:
    """Whether the role may be shown the action at all (its title, its content)."""
    if role in ("member_a", "staff"):
        return True
    if role == "validator_pe":
        return action.funder is Funder.POLE_EMPLOI and action.status is not Status.DRAFT
    if role == "validator_agefiph":
        return action.funder is Funder.AGEFIPH and action.status is not Status.DRAFT
    return False


def _title(op: str, role: str) -> str:
    return f"Cellule {op} {role}"


_LISTS = {Status.DRAFT: "draft", Status.SUBMITTED: "submitted", Status.APPROVED: "submitted",
          Status.PUBLISHED: "published"}  # fmt: skip


@dataclass
class Cell:
    op: str
    role: str
    expected: bool
    action: Action
    inputs: int = 0
    texts: list[str] = field(default_factory=list)
    offered: list[bool] = field(default_factory=list)
    silent: int = 0  # inputs that got no message at all


async def _open(person: Person, role: str, action: Action) -> None:
    """The role's way to open an action (its id forged into its own list's button when needed)."""
    await person.command("menu")
    if role in ("member_a", "member_b"):
        await person.tap("list", _LISTS[action.status])
    elif role == "validator_pe":
        await person.tap("list", Funder.POLE_EMPLOI.value)
    elif role == "validator_agefiph":
        await person.tap("list", Funder.AGEFIPH.value)
    elif role == "staff":
        await person.tap("q", "submitted")
    await person.tap("view", action.id)


async def _play(person: Person, cell: Cell) -> None:
    """The cell: open the action the role's way, then the allowed user's path, step by step."""
    sent = person.sent

    async def record(coro: Any) -> None:
        await coro
        cell.texts.append(person.text)
        if not person.read:
            cell.silent += 1

    await record(_open(person, cell.role, cell.action))
    for kind, value, arg in FLOWS[cell.op]:
        if kind == "tap":
            cell.offered.append(person.offers(value, arg))
            await record(person.tap(value, arg))
        else:
            await record(person.say(value))
    cell.inputs = person.sent - sent


async def test_every_operation_by_every_role_through_telegram(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracker = UpdateTracker().install(monkeypatch)
    violations: list[str] = []
    forged_tried = 0
    async with FakeBotApi() as api, ErrorLogs.captured() as error_logs:
        settings = settings_for(api, tmp_path / "bot.db")
        org_a, code_a = await new_link_code(settings, "Forma Sud")
        _, code_b = await new_link_code(settings, "Concurrent SA")
        async with database(settings.database_url) as factory, factory() as uow:
            code_pe = await uow.link_codes.create(Role.VALIDATOR, funder=Funder.POLE_EMPLOI)
            code_ag = await uow.link_codes.create(Role.VALIDATOR, funder=Funder.AGEFIPH)
            await uow.commit()

        references = itertools.count(1)

        def action(funder: Funder, status: Status, title: str) -> Action:
            extra: dict[str, Any] = {}
            if status in (Status.PUBLISHED, Status.ARCHIVED):
                extra["reference_carif"] = f"CO-2026-{next(references):06d}"
            return make_valid_action(funder, organisation_id=org_a, status=status, intitule=title, **extra)

        cells = [
            Cell(op, role, role in allowed, action(funder, status, _title(op, role)))
            for op, (funder, status, allowed) in ACCESS.items() for role in ROLES
        ]
        forged_targets = {
            "a_draft": action(Funder.REGION, Status.DRAFT, "Brouillon de A rejoué"),
            "pe_submitted": action(Funder.POLE_EMPLOI, Status.SUBMITTED, "Proposée à Pôle emploi"),
            "pe_draft": action(Funder.POLE_EMPLOI, Status.DRAFT, "Brouillon Pôle emploi pas encore proposé"),
            "old_screen": action(Funder.REGION, Status.DRAFT, "Brouillon au vieux bouton"),
            "staff_old": action(Funder.POLE_EMPLOI, Status.APPROVED, "Validée au vieux bouton"),
        }
        stored = await store(settings.database_url, [c.action for c in cells] + list(forged_targets.values()))
        for cell, saved in zip(cells, stored, strict=False):
            cell.action = saved
        forged = dict(zip(forged_targets, stored[len(cells):], strict=True))

        async with running_bot(settings):
            people = {
                "unknown": Person(api.user(6660, "Mallory"), tracker),
                "member_a": Person(api.user(1001, "Claire"), tracker),
                "member_b": Person(api.user(2001, "Bruno"), tracker),
                "validator_pe": Person(api.user(3001, "Paule"), tracker),
                "validator_agefiph": Person(api.user(4001, "Agathe"), tracker),
                "staff": Person(api.user(STAFF_ID, "Sophie"), tracker),
            }
            for role, code in (("member_a", code_a), ("member_b", code_b), ("validator_pe", code_pe),
                               ("validator_agefiph", code_ag)):
                await people[role].command("start", code)
                assert "Bienvenue" in people[role].text, people[role].text

            # The matrix --------------------------------------------------------------------------
            for cell in cells:
                await _play(people[cell.role], cell)

            # Forged buttons ------------------------------------------------------------------------
            claire, bruno = people["member_a"], people["member_b"]
            paule, agathe, sophie = people["validator_pe"], people["validator_agefiph"], people["staff"]
            # (what was forged, by whom, on which action, what they must be told, what they were told)
            probes: list[tuple[str, Person, Action, str | None, str]] = []

            def probe(name: str, who: Person, act: Action, expect: str | None = None) -> None:
                probes.append((name, who, act, expect, who.text))

            # 1. B replays A's buttons exactly as A got them (A's screen number): stale for B.
            target = forged["a_draft"]
            await _open(claire, "member_a", target)
            a_payloads = [claire.payload("delete"), claire.payload("modify")]
            await bruno.command("menu")
            await bruno.tap("list", "draft")
            a_view = claire.payload("view", target.id)  # what A's list would carry, A's number
            for data in (a_view, *a_payloads):
                await bruno.callback(data)
                probe("B replays A's payload (A's screen number)", bruno, target, STALE)
            # 2. The same payloads under B's own screen number; the global dates button too.
            await bruno.tap("list", "draft")
            for verb, arg in (("view", target.id), ("delete", None), ("yes", None), ("modify", None)):
                await bruno.tap(verb, arg)
                probe(f"B forges {verb} with its own screen number", bruno, target, None)
            await bruno.callback(f"g:dates:{target.id}")
            probe("B's global dates button naming A's action", bruno, target, None)
            # 3. A validator's payloads naming another funder's action.
            pe_action = forged["pe_submitted"]
            await agathe.command("menu")
            await agathe.tap("list", Funder.AGEFIPH.value)
            for verb, arg in (("view", pe_action.id), ("approve", None), ("refuse", None)):
                await agathe.tap(verb, arg)
                probe(f"Agefiph validator forges {verb} on a Pôle emploi action", agathe, pe_action, None)
            await agathe.command("menu")
            await agathe.tap("list", Funder.POLE_EMPLOI.value)
            await agathe.tap("view", pe_action.id)
            await agathe.tap("approve")
            probe("Agefiph validator opens Pôle emploi's list", agathe, pe_action, None)
            # 4. A validator's forged view of their own funder's draft (not proposed to them yet).
            await paule.command("menu")
            await paule.tap("list", Funder.POLE_EMPLOI.value)
            await paule.tap("view", forged["pe_draft"].id)
            await paule.tap("approve")
            probe("Pôle emploi validator forges view of a draft not yet proposed", paule,
                           forged["pe_draft"], None)
            # 5. Old screen numbers: A's « Supprimer » / « Oui, supprimer » kept, then pressed later.
            old = forged["old_screen"]
            await _open(claire, "member_a", old)
            old_delete = claire.payload("delete")
            await claire.tap("delete")
            old_yes = claire.payload("yes")
            await claire.tap("no")
            await claire.command("menu")
            for data in (old_delete, old_yes):
                await claire.callback(data)
                probe("A presses a button of an old screen", claire, old, STALE)
            # 6. Staff's « Oui, publier » of an old screen, after « Annuler ».
            staff_old = forged["staff_old"]
            await sophie.command("menu")
            await sophie.tap("q", "approved")
            await sophie.tap("view", staff_old.id)
            await sophie.tap("publish")
            old_publish = sophie.payload("yes")
            await sophie.tap("no")
            await sophie.callback(old_publish)
            probe("staff presses « Oui, publier » of an old screen", sophie, staff_old, STALE)
            # 7. The unknown user replays staff's and A's payloads.
            for data in (old_publish, a_view, f"g:dates:{target.id}", "1:approve"):
                await people["unknown"].callback(data)
                probe("unknown user replays a payload", people["unknown"], target, None)
            forged_tried = len(probes)

            for person in people.values():
                await person.settle()
            await api.wait_until(lambda: not api.unanswered_callbacks())

        after = await stored_actions(settings.database_url)

        # The verdicts ------------------------------------------------------------------------------
        figures_cells: list[dict[str, Any]] = []
        for cell in cells:
            now = after.get(cell.action.id or -1)
            if cell.op == "view":  # viewing changes nothing: done means shown
                done = bool(cell.action.intitule) and cell.action.intitule in cell.texts[0]
            else:
                done = _done(cell.op, cell.action, now, after)
            unchanged = _unchanged(cell.action, now, after)
            problems: list[str] = []
            if cell.expected and not done:
                problems.append("allowed but not done")
            if not cell.expected and not unchanged:
                problems.append("refused but the action changed")
            if cell.expected and not all(cell.offered):
                problems.append(f"allowed but a button of the path is not offered: {cell.offered}")
            if not cell.expected and _may_see(cell.role, cell.action) and cell.offered and cell.offered[0]:
                problems.append("refused but its button is offered")
            if not _may_see(cell.role, cell.action) and any(cell.action.intitule in t for t in cell.texts):
                problems.append("shown an action it may not see")
            if cell.silent:
                problems.append(f"{cell.silent} inputs without any answer")
            for problem in problems:
                violations.append(f"{cell.op} × {cell.role}: {problem}")
            figures_cells.append({"operation": cell.op, "role": cell.role,
                                  "expected": "allowed" if cell.expected else "refused",
                                  "outcome": "allowed" if done else ("refused" if unchanged else "changed"),
                                  "inputs": cell.inputs, "ok": not problems})
        for name, who, act, expect, text in probes:
            now = after.get(act.id or -1)
            if not _unchanged(act, now, after):
                violations.append(f"forged: {name}: the action changed")
            if not _may_see(_role_of(people, who), act) and act.intitule and act.intitule in text:
                violations.append(f"forged: {name}: shown an action it may not see")
            if expect is not None and expect not in text:
                violations.append(f"forged: {name}: not told {expect!r}: {text[:200]!r}")

        users = [p.user for p in people.values()]
        violations += [f"incident message: {line}" for line in incidents(users)]
        violations += [f"exception in the handler (user {u}): {e!r}" for u, e in tracker.errors]
        violations += [f"ERROR log: {line}" for line in error_logs.lines()]
        violations += [f"unanswered callback {q.query_id} ({q.data})" for q in api.unanswered_callbacks()]
        violations += [f"request refused by the API: {r.method} {r.description}"
                       for r in api.failed_requests() if r.method.lower() != "getupdates"]

    cli = await _cli_against_the_lifecycle(tmp_path)
    violations += cli["violations"]
    figures = {
        "operations": len(ACCESS),
        "roles": len(ROLES),
        "cells_tried": len(cells),
        "allowed_cells": sum(c.expected for c in cells),
        "refused_cells": sum(not c.expected for c in cells),
        "chat_inputs": sum(c.inputs for c in cells),
        "forged_payloads_tried": forged_tried,
        "cli_cases_tried": cli["tried"],
        "violations": len(violations),
        "violation_details": violations,
        "cells": figures_cells,
    }
    path = write_figures("access", figures)
    print(
        f"\naccess matrix: {len(ACCESS)} operations × {len(ROLES)} roles = {len(cells)} cells "
        f"({figures['allowed_cells']} allowed, {figures['refused_cells']} refused), "
        f"{forged_tried} forged payloads, {cli['tried']} CLI cases; violations = {len(violations)} ({path})"
    )
    print(f"  {'':<20}" + "".join(f"{role:>18}" for role in ROLES))
    for op in ACCESS:
        row = [c for c in figures_cells if c["operation"] == op]
        print(f"  {op:<20}" + "".join(
            f"{c['outcome'] + ('' if c['ok'] else ' ✗'):>18}" for c in row))
    for line in violations:
        print("  VIOLATION", line)
    assert len(cells) == len(ACCESS) * len(ROLES) == 72
    assert violations == []


def _role_of(people: dict[str, Person], who: Person) -> str:
    return next(role for role, p in people.items() if p is who)


# The command line -------------------------------------------------------------------------------

# The staff's commands and the lifecycle operation each one performs.
CLI_COMMANDS: dict[str, tuple[Operation, Callable[[str], list[str]]]] = {
    "publish": (Operation.PUBLISH, lambda ref: ["action", "publish", ref]),
    "return": (Operation.RETURN, lambda ref: ["action", "return", ref, "--comment", COMMENT]),
    "approve": (Operation.APPROVE, lambda ref: ["action", "approve", ref]),
    "refuse": (Operation.REFUSE, lambda ref: ["action", "refuse", ref, "--reason", REASON]),
    "justification": (Operation.MARK_JUSTIFICATION, lambda ref: ["action", "justification", ref]),
    "region-vote": (Operation.RECORD_VOTE, lambda path: ["region-vote", path]),
}
# The funders whose actions each command is tried on (where the funder changes the lifecycle's answer).
CLI_FUNDERS: dict[str, tuple[Funder, ...]] = {
    "publish": (Funder.REGION, Funder.POLE_EMPLOI, Funder.ETAT_EMPLOI),
    "return": (Funder.POLE_EMPLOI,),
    "approve": (Funder.REGION, Funder.POLE_EMPLOI, Funder.ETAT_EMPLOI),
    "refuse": (Funder.REGION, Funder.AGEFIPH),
    "justification": (Funder.REGION, Funder.ETAT_AUTRES),
    "region-vote": (Funder.REGION, Funder.POLE_EMPLOI),
}
CLI_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.APPROVED, Status.REFUSED, Status.RETURNED,
                Status.PUBLISHED, Status.ARCHIVED)  # fmt: skip


async def _cli_against_the_lifecycle(tmp_path: Path) -> dict[str, Any]:
    """Each staff command on an action of every status (and the funders that matter): it changes
    the action exactly when the lifecycle allows the operation, and says so by its exit code."""
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
                        today=date(2026, 12, 1), export_dir=tmp_path / "exports")
    org, _ = await new_link_code(settings)
    names: list[str] = []
    actions: list[Action] = []
    for name in CLI_COMMANDS:
        for funder in CLI_FUNDERS[name]:
            for status in CLI_STATUSES:
                extra: dict[str, Any] = {}
                if status in (Status.PUBLISHED, Status.ARCHIVED):
                    extra["reference_carif"] = f"CO-CLI-{len(actions)}"
                if status is Status.ARCHIVED:
                    extra["archived_on"] = date(2026, 11, 1)
                actions.append(make_valid_action(funder, organisation_id=org, status=status, **extra))
                names.append(name)
    stored = await store(settings.database_url, actions)
    violations: list[str] = []
    async with database(settings.database_url) as factory:
        for name, action in zip(names, stored, strict=True):
            violations += await _cli_case(name, action, settings, factory, tmp_path / "vote.txt")
    return {"tried": len(names), "violations": violations}


async def _cli_case(
    name: str, action: Action, settings: Settings, factory: SqlUnitOfWorkFactory, vote_file: Path
) -> list[str]:
    """One command, parsed and run as ``formabot`` would (minus reading the environment)."""
    operation, argv = CLI_COMMANDS[name]
    assert action.reference is not None
    if name == "region-vote":
        vote_file.write_text(action.reference + "\n", encoding="utf-8")
        args = build_parser().parse_args(argv(str(vote_file)))
    else:
        args = build_parser().parse_args(argv(action.reference))
    where = f"CLI {name} on a {action.funder.value} action « {action.status.value} »"
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = await args.handler(args, settings)
    except Exception as exc:  # a crash is a violation, reported with its type
        return [f"{where}: {exc!r}"]
    async with factory() as uow:
        now = await uow.all_actions().get(action.id or -1)
    assert now is not None
    changed = (now.version, now.status, now.justificatif_recu) != (
        action.version, action.status, action.justificatif_recu)
    allowed = lifecycle.refusal(action, operation) is None
    # The vote names an action already approved or published: nothing to do, not a failure.
    already = name == "region-vote" and action.funder is Funder.REGION and action.status in (
        Status.APPROVED, Status.PUBLISHED)
    problems: list[str] = []
    if changed != allowed:
        problems.append(f"{where}: lifecycle {'allows' if allowed else 'refuses'}, "
                        f"action {'changed' if changed else 'unchanged'}")
    if (code == 0) != (allowed or already):
        problems.append(f"{where}: exit code {code}; stderr {err.getvalue().strip()!r}")
    if code != 0 and not (err.getvalue() + out.getvalue()).strip():
        problems.append(f"{where}: refused without a message")
    return problems
