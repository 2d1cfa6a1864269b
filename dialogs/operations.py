"""The Carif-Oref staff's and the funders' validators' operations, shared by the chat and the CLI.

Each operation takes a unit of work, the actor and an action (its id, its formabot reference
« FB-000042 » or its Carif-Oref reference), loads the action through the actor's scope (all actions
for the staff, the funder's actions for a validator: another funder's action is simply not found),
calls the lifecycle transition, saves the action (optimistic version: ``StaleVersion`` propagates)
and publishes the events, so that the audit trail and the outbox are written when the caller
commits. Refusals are domain errors with a French message (``OperationRefused``, ``UnknownAction``).

    async with factory() as uow:
        action = await operations.approve(uow, Actor.staff(), "FB-000042")
        await uow.commit()
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from dialogs.render import macro_text
from domain import lifecycle
from domain.errors import DomainError, OperationRefused
from domain.events import Event
from domain.funders import Circuit, Funder
from domain.models import Action, Status
from domain.ports import ActionRepository, UnitOfWork

MAX_TEXT = 1000  # a refusal reason, a return comment
MAX_REFERENCE_CARIF = 50
_FB_REFERENCE = re.compile(r"fb[-_ ]?0*(\d+)", re.IGNORECASE)
_CARIF_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./-]*")
_SEPARATORS = re.compile(r"[\s,;]+")


def message(name: str, /, **context: Any) -> str:
    """A plain-text message of ``operations.j2`` (escape it before showing it as HTML)."""
    return macro_text("operations.j2", name, **context)


class UnknownAction(DomainError):
    """No action with this id or reference in the actor's scope."""

    def __init__(self, reference: str) -> None:
        super().__init__(message("unknown_action", reference=reference))
        self.reference = reference


@dataclass(frozen=True, slots=True)
class Actor:
    """Who operates: the Carif-Oref staff (``funder`` None) or a validator of ``funder``."""

    funder: Funder | None = None
    user_id: int | None = None

    @classmethod
    def staff(cls, user_id: int | None = None) -> Actor:
        return cls(funder=None, user_id=user_id)

    @classmethod
    def validator(cls, funder: Funder, user_id: int | None = None) -> Actor:
        return cls(funder=funder, user_id=user_id)

    @property
    def is_staff(self) -> bool:
        return self.funder is None


ActionRef = int | str


def scope(uow: UnitOfWork, actor: Actor) -> ActionRepository:
    """The actions the actor may see: all of them for the staff, the funder's for a validator."""
    if actor.funder is None:
        return uow.all_actions()
    return uow.actions_for_funder(actor.funder)


def normalise_reference(reference: str) -> str:
    """« fb-42 », « FB 000042 » → « FB-000042 »; any other reference is kept as typed (trimmed)."""
    cleaned = reference.strip()
    match = _FB_REFERENCE.fullmatch(cleaned)
    if match:
        return f"FB-{int(match[1]):06d}"
    return cleaned


def parse_references(value: str) -> list[str]:
    """References typed one per line or separated by commas (or semicolons, spaces); ``#`` comments."""
    lines = (line.split("#", 1)[0] for line in value.splitlines())
    return [part for line in lines for part in _SEPARATORS.split(line) if part]


async def find(uow: UnitOfWork, actor: Actor, ref: ActionRef) -> Action:
    """The action named by ``ref`` in the actor's scope, or ``UnknownAction``."""
    repo = scope(uow, actor)
    if isinstance(ref, int):
        action = await repo.get(ref)
    else:
        action = await repo.by_reference(normalise_reference(ref)) if ref.strip() else None
    if action is None:
        raise UnknownAction(str(ref).strip())
    return action


def _staff_only(actor: Actor, verb: str) -> None:
    if not actor.is_staff:
        raise OperationRefused(message("staff_only", verb=message(verb)))


def _bounded(value: str) -> str:
    if len(value.strip()) > MAX_TEXT:
        raise OperationRefused(message("text_too_long", limit=MAX_TEXT))
    return value


async def _store(uow: UnitOfWork, actor: Actor, action: Action, events: list[Event]) -> Action:
    saved = await scope(uow, actor).save(action)
    uow.publish(*events)
    return saved


# The operations -----------------------------------------------------------------------------------


async def approve(uow: UnitOfWork, actor: Actor, ref: ActionRef) -> Action:
    """The funder's approval (a validator of its funder, or the Carif-Oref for it)."""
    action = await find(uow, actor, ref)
    events = lifecycle.approve(action)
    return await _store(uow, actor, action, events)


async def refuse(uow: UnitOfWork, actor: Actor, ref: ActionRef, reason: str) -> Action:
    """The funder refuses, with a reason (1 to 1000 characters) the organisation will read."""
    action = await find(uow, actor, ref)
    events = lifecycle.refuse(action, _bounded(reason))
    return await _store(uow, actor, action, events)


async def return_for_correction(uow: UnitOfWork, actor: Actor, ref: ActionRef, comment: str) -> Action:
    """The Carif-Oref sends the action back to the organisation with a comment."""
    _staff_only(actor, "verb_return")
    action = await find(uow, actor, ref)
    events = lifecycle.return_for_correction(action, _bounded(comment))
    return await _store(uow, actor, action, events)


def check_reference_carif(reference: str) -> str:
    """A Carif-Oref reference as typed, trimmed; ``OperationRefused`` if it cannot be one."""
    cleaned = reference.strip()
    if len(cleaned) > MAX_REFERENCE_CARIF or not _CARIF_REFERENCE.fullmatch(cleaned):
        raise OperationRefused(message("reference_invalid", reference=cleaned))
    return cleaned


def proposed_reference(action: Action, day: date) -> str:
    """The Carif-Oref reference given when none is typed: « CO-2027-000042 » (the business date's
    year, action id)."""
    return f"CO-{day.year}-{action.id or 0:06d}"


async def publish(
    uow: UnitOfWork, actor: Actor, ref: ActionRef, *, now: datetime, reference_carif: str | None = None,
    today: date | None = None,
) -> Action:
    """The Carif-Oref publishes the action under ``reference_carif`` (or ``proposed_reference`` of
    ``today``, the business date; ``now``, the real time, stamps the publication)."""
    _staff_only(actor, "verb_publish")
    action = await find(uow, actor, ref)
    lifecycle.ensure_allowed(action, lifecycle.Operation.PUBLISH)
    reference = check_reference_carif((reference_carif or "").strip() or proposed_reference(action, today or now))
    other = await uow.all_actions().by_reference(reference)
    if other is not None and other.id != action.id:
        raise OperationRefused(
            message("reference_taken", reference=reference, other=other.reference or other.id)
        )
    events = lifecycle.publish(action, reference, now)
    return await _store(uow, actor, action, events)


async def mark_justification(uow: UnitOfWork, actor: Actor, ref: ActionRef) -> Action:
    """The Carif-Oref has received the État justification."""
    _staff_only(actor, "verb_justification")
    action = await find(uow, actor, ref)
    events = lifecycle.mark_justification(action)
    return await _store(uow, actor, action, events)


# The Région's vote --------------------------------------------------------------------------------


class VoteOutcome(StrEnum):
    APPROVED = "approved"
    ALREADY = "already"  # approved or published before: nothing to do
    DUPLICATE = "duplicate"  # named twice in the list
    UNKNOWN = "unknown"
    WRONG_FUNDER = "wrong_funder"
    WRONG_STATUS = "wrong_status"

    @property
    def failed(self) -> bool:
        return self in (VoteOutcome.UNKNOWN, VoteOutcome.WRONG_FUNDER, VoteOutcome.WRONG_STATUS)


@dataclass(frozen=True, slots=True)
class VoteLine:
    reference: str  # as given
    outcome: VoteOutcome
    action: Action | None = None

    @property
    def failed(self) -> bool:
        return self.outcome.failed

    @property
    def message(self) -> str:
        """One line of the report, plain French text."""
        a = self.action
        ref = a.reference if a is not None and a.reference else self.reference
        match self.outcome:
            case VoteOutcome.APPROVED:
                return message("vote_approved", reference=ref, title=a.intitule if a else None)
            case VoteOutcome.ALREADY:
                return message("vote_already", reference=ref, status=a.status.label if a else "")
            case VoteOutcome.DUPLICATE:
                return message("vote_duplicate", reference=self.reference)
            case VoteOutcome.UNKNOWN:
                return message("vote_unknown", reference=self.reference)
            case VoteOutcome.WRONG_FUNDER:
                return message("vote_wrong_funder", reference=ref, funder=a.funder.label if a else "")
            case VoteOutcome.WRONG_STATUS:
                return message("vote_wrong_status", reference=ref, status=a.status.label if a else "")


@dataclass(frozen=True, slots=True)
class VoteReport:
    lines: tuple[VoteLine, ...]

    @property
    def approved(self) -> list[Action]:
        return [line.action for line in self.lines if line.outcome is VoteOutcome.APPROVED and line.action]

    @property
    def failed(self) -> list[VoteLine]:
        return [line for line in self.lines if line.failed]

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def summary(self) -> str:
        return message("vote_summary", approved=len(self.approved), failed=len(self.failed),
                       total=len(self.lines))

    def messages(self) -> list[str]:
        return [line.message for line in self.lines]


async def record_region_vote(uow: UnitOfWork, actor: Actor, references: Iterable[str]) -> VoteReport:
    """The commission permanente's list: approve each submitted Région action named, report each line.

    A line that fails changes nothing; the others are approved (the caller commits them together).
    """
    _staff_only(actor, "verb_vote")
    wanted = [r.strip() for r in references if r.strip()]
    if not wanted:
        raise OperationRefused(message("vote_empty"))
    lines: list[VoteLine] = []
    seen: set[int] = set()
    for reference in wanted:
        try:
            action = await find(uow, actor, reference)
        except UnknownAction:
            lines.append(VoteLine(reference, VoteOutcome.UNKNOWN))
            continue
        assert action.id is not None
        if action.id in seen:
            lines.append(VoteLine(reference, VoteOutcome.DUPLICATE, action))
            continue
        seen.add(action.id)
        if action.funder.circuit is not Circuit.VOTE:
            lines.append(VoteLine(reference, VoteOutcome.WRONG_FUNDER, action))
        elif action.status in (Status.APPROVED, Status.PUBLISHED):
            lines.append(VoteLine(reference, VoteOutcome.ALREADY, action))
        elif action.status is not Status.SUBMITTED:
            lines.append(VoteLine(reference, VoteOutcome.WRONG_STATUS, action))
        else:
            events = lifecycle.record_vote(action)
            saved = await _store(uow, actor, action, events)
            lines.append(VoteLine(reference, VoteOutcome.APPROVED, saved))
    return VoteReport(tuple(lines))
