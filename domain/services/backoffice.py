"""The Carif-Oref staff's and the funders' validators' operations, shared by the chat and the CLI.

Each operation takes a unit of work, the actor and an action (its id, its formabot reference
« FB-000042 » or its Carif-Oref reference), loads the action through the actor's scope (all actions
for the staff, the funder's actions for a validator: another funder's action is simply not found),
calls the lifecycle transition, saves the action (optimistic version: ``StaleVersion`` propagates)
and publishes the events, so that the audit trail and the outbox are written when the caller
commits. The lifecycle's refusals are ``OperationRefused`` with their French message; the refusals
of this module are typed (``StaffOnly``, ``TextTooLong``, ``ReferenceInvalid``, ``ReferenceTaken``,
``VoteEmpty``, ``UnknownAction``, ``UnknownOrganisation``, ``OrganisationReferenceTaken``) and the outer layer renders them (``dialogs/operations.py``).

    async with factory() as uow:
        action = await backoffice.approve(uow, Actor.staff(), "FB-000042")
        await uow.commit()
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from domain import lifecycle, sessions
from domain.errors import OperationRefused
from domain.events import Event, OrganisationReferenceSet
from domain.funders import Circuit
from domain.models import Action, Organisation, Session, Status
from domain.ports import UnitOfWork
from domain.services.actors import ActionRef, Actor, UnknownAction, find, scope

MAX_TEXT = 1000  # a refusal reason, a return comment
MAX_REFERENCE_CARIF = 50
_CARIF_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./-]*")


class Verb(StrEnum):
    """The staff-only operations (a validator asking for one is refused with ``StaffOnly``)."""

    PUBLISH = "publish"
    RETURN = "return"
    JUSTIFICATION = "justification"
    VOTE = "vote"
    ORGANISATION_REFERENCE = "organisation_reference"
    CORRECT = "correct"  # domain/services/codification.py
    NEXT_ORDER = "next_order"
    ADD_SESSION = "add_session"


class StaffOnly(OperationRefused):
    def __init__(self, verb: Verb) -> None:
        super().__init__(f"staff only: {verb}")
        self.verb = verb


class TextTooLong(OperationRefused):
    def __init__(self, limit: int) -> None:
        super().__init__(f"text too long: {limit} characters at most")
        self.limit = limit


class ReferenceInvalid(OperationRefused):
    def __init__(self, reference: str) -> None:
        super().__init__(f"invalid Carif-Oref reference: {reference!r}")
        self.reference = reference


class ReferenceTaken(OperationRefused):
    def __init__(self, reference: str, other: str | int | None) -> None:
        super().__init__(f"Carif-Oref reference {reference!r} already given to {other}")
        self.reference = reference
        self.other = other


class VoteEmpty(OperationRefused):
    def __init__(self) -> None:
        super().__init__("no action reference in the vote")


def _staff_only(actor: Actor, verb: Verb) -> None:
    if not actor.is_staff:
        raise StaffOnly(verb)


staff_only = _staff_only  # the staff's operations of other modules (codification.py) check alike


def _bounded(value: str) -> str:
    if len(value.strip()) > MAX_TEXT:
        raise TextTooLong(MAX_TEXT)
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
    _staff_only(actor, Verb.RETURN)
    action = await find(uow, actor, ref)
    events = lifecycle.return_for_correction(action, _bounded(comment))
    return await _store(uow, actor, action, events)


def check_reference_carif(reference: str) -> str:
    """A Carif-Oref reference as typed, trimmed; ``ReferenceInvalid`` if it cannot be one."""
    cleaned = reference.strip()
    if len(cleaned) > MAX_REFERENCE_CARIF or not _CARIF_REFERENCE.fullmatch(cleaned):
        raise ReferenceInvalid(cleaned)
    return cleaned


def proposed_reference(action: Action, day: date) -> str:
    """The Carif-Oref reference given when none is typed: « CO-2027-000042 » (the business date's
    year, action id)."""
    return f"CO-{day.year}-{action.id or 0:06d}"


async def free_reference(uow: UnitOfWork, action: Action, reference_carif: str | None, day: date) -> str:
    """The Carif-Oref reference ``action`` is to be published under: ``reference_carif`` checked,
    or ``proposed_reference``; ``ReferenceTaken`` if another action has it."""
    reference = check_reference_carif((reference_carif or "").strip() or proposed_reference(action, day))
    other = await uow.all_actions().by_reference(reference)
    if other is not None and other.id != action.id:
        raise ReferenceTaken(reference, other.reference or other.id)
    return reference


async def publish(
    uow: UnitOfWork, actor: Actor, ref: ActionRef, *, now: datetime, reference_carif: str | None = None,
    today: date | None = None,
) -> Action:
    """The Carif-Oref publishes the action under ``reference_carif`` (or ``proposed_reference`` of
    ``today``, the business date; ``now``, the real time, stamps the publication)."""
    _staff_only(actor, Verb.PUBLISH)
    action = await find(uow, actor, ref)
    lifecycle.ensure_allowed(action, lifecycle.Operation.PUBLISH)
    reference = await free_reference(uow, action, reference_carif, today or now)
    events = lifecycle.publish(action, reference, now)
    return await _store(uow, actor, action, events)


async def mark_justification(uow: UnitOfWork, actor: Actor, ref: ActionRef) -> Action:
    """The Carif-Oref has received the État justification."""
    _staff_only(actor, Verb.JUSTIFICATION)
    action = await find(uow, actor, ref)
    events = lifecycle.mark_justification(action)
    return await _store(uow, actor, action, events)


async def add_session(uow: UnitOfWork, actor: Actor, ref: ActionRef, session: Session) -> Action:
    """The Carif-Oref adds a forgotten session to a published action (``domain.sessions``: the
    intake's rules, the Région's date rules included); the organisation is told."""
    _staff_only(actor, Verb.ADD_SESSION)
    action = await find(uow, actor, ref)
    events = sessions.add_session(action, session)
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


async def record_region_vote(uow: UnitOfWork, actor: Actor, references: Iterable[str]) -> VoteReport:
    """The commission permanente's list: approve each submitted Région action named, report each line.

    A line that fails changes nothing; the others are approved (the caller commits them together).
    """
    _staff_only(actor, Verb.VOTE)
    wanted = [r.strip() for r in references if r.strip()]
    if not wanted:
        raise VoteEmpty()
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


# The organisation's Carif-Oref reference ---------------------------------------------------------


class UnknownOrganisation(OperationRefused):
    def __init__(self, organisation_id: int) -> None:
        super().__init__(f"unknown organisation: {organisation_id}")
        self.organisation_id = organisation_id


class OrganisationReferenceTaken(OperationRefused):
    def __init__(self, reference: str, other: Organisation) -> None:
        super().__init__(f"Carif-Oref reference {reference!r} already given to organisation {other.id}")
        self.reference = reference
        self.other_id = other.id
        self.other_name = other.nom_organisme or other.raison_sociale


async def set_organisation_reference(
    uow: UnitOfWork, actor: Actor, organisation_id: int, reference: str
) -> Organisation:
    """The Carif-Oref gives an organisation its Carif-Oref reference (the one « visible sur votre
    fiche organisme »), or changes it; only the staff may (the fiche's own questions never ask it).

    The reference is checked like an action's and must not be another organisation's. The fiche is
    saved with its compare-and-swap version (``StaleVersion`` propagates) and the change is
    published (``OrganisationReferenceSet``: the audit trail, and a notice to the organisation).
    The same reference again changes nothing and publishes nothing.
    """
    _staff_only(actor, Verb.ORGANISATION_REFERENCE)
    organisation = await uow.organisations.get(organisation_id)
    if organisation is None:
        raise UnknownOrganisation(organisation_id)
    cleaned = check_reference_carif(reference)
    if organisation.reference_carif == cleaned:
        return organisation
    other = await uow.organisations.by_reference_carif(cleaned)
    if other is not None and other.id != organisation.id:
        raise OrganisationReferenceTaken(cleaned, other)
    previous = organisation.reference_carif
    organisation.reference_carif = cleaned
    saved = await uow.organisations.save(organisation)
    uow.publish(OrganisationReferenceSet(None, organisation_id, reference_carif=cleaned,
                                         version=saved.version, previous=previous))
    return saved
