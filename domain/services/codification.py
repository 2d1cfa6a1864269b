"""The Carif-Oref's quality control and codification before publication, and the later purchase
orders of a Région action (RULES.md « The Carif-Oref's own operations »), shared by the staff chat
and the command line. The rules are ``domain.codification``'s; the refusals are typed
(``NotCorrectable``, ``FieldNotCorrectable``, ``UnknownField``, ``NothingToCorrect``,
``NotAnOrderSource``, ``OrderNumberTaken``, with ``backoffice.StaffOnly``) or the rules' own
(``ActionInvalid``, ``FieldError``, ``StaleVersion``), rendered by ``dialogs/operations.py``.

    async with factory(actor_user_id=user) as uow:
        done = await codification.correct(uow, Actor.staff(user), "FB-000042", working_copy, today=today)
        await uow.commit()          # the correction, its audit row and the organisation's notice
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from domain import codification
from domain.codification import FieldChange
from domain.errors import ActionInvalid, OperationRefused, StaleVersion
from domain.events import Corrected, NextOrderPublished
from domain.models import Action, Session, Status
from domain.ports import UnitOfWork
from domain.services import backoffice
from domain.services.actors import ActionRef, Actor, find, scope
from domain.services.backoffice import Verb, staff_only

_PAGE = 500


class NotCorrectable(OperationRefused):
    def __init__(self, status: Status) -> None:
        super().__init__(f"not correctable in status {status}")
        self.status = status


class FieldNotCorrectable(OperationRefused):
    def __init__(self, keys: tuple[str, ...]) -> None:
        super().__init__(f"not correctable: {', '.join(keys)}")
        self.keys = keys


class UnknownField(OperationRefused):
    def __init__(self, key: str, session: int | None = None) -> None:
        super().__init__(f"no field {key!r} to correct" + (f" in session {session}" if session else ""))
        self.key = key
        self.session = session


class NothingToCorrect(OperationRefused):
    def __init__(self) -> None:
        super().__init__("nothing changed")


class NotAnOrderSource(OperationRefused):
    def __init__(self, action: Action) -> None:
        super().__init__(f"no later purchase order from {action.reference}")
        self.funder = action.funder
        self.status = action.status


class OrderNumberTaken(OperationRefused):
    def __init__(self, number: int, other: str | None) -> None:
        super().__init__(f"purchase order {number} already in {other}")
        self.number = number
        self.other = other


# Quality control and codification --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Correction:
    action: Action
    changes: tuple[FieldChange, ...]


async def open_correction(uow: UnitOfWork, actor: Actor, ref: ActionRef) -> Action:
    """The action staff are about to correct (``NotCorrectable`` unless submitted or approved)."""
    staff_only(actor, Verb.CORRECT)
    action = await find(uow, actor, ref)
    if not codification.may_correct(action):
        raise NotCorrectable(action.status)
    return action


def apply_answers(action: Action, answers: Iterable[tuple[str, str, int | None]]) -> Action:
    """A copy of ``action`` with each (field key, typed answer, 1-based session or None) parsed
    by the intake's parser (``FieldError``); ``UnknownField`` for a field it has not."""
    changed = action.model_copy(deep=True)
    for key, raw, session in answers:
        try:
            codification.apply_text(changed, key, raw, session)
        except LookupError:
            raise UnknownField(key, session) from None
    return changed


async def check_correction(uow: UnitOfWork, actor: Actor, ref: ActionRef, proposed: Action, *,
                           today: date) -> tuple[Action, tuple[FieldChange, ...]]:
    """The stored action and what ``proposed`` changes in it, every refusal of ``correct`` raised,
    nothing stored (the command line's ``--dry-run``, the chat's list of changes)."""
    stored = await open_correction(uow, actor, ref)
    if proposed.id != stored.id or proposed.version != stored.version:
        raise StaleVersion()
    refused = codification.uncorrectable(stored, proposed)
    if refused:
        raise FieldNotCorrectable(refused)
    diff = codification.field_changes(stored, proposed)
    if not diff:
        raise NothingToCorrect()
    problems = codification.new_problems(stored, proposed, today)
    if problems:
        raise ActionInvalid(problems)
    return stored, diff


async def correct(uow: UnitOfWork, actor: Actor, ref: ActionRef, proposed: Action, *,
                  today: date) -> Correction:
    """Store the Carif-Oref's corrections of a submitted or approved action (``proposed``: the
    action as corrected, from the version it was read at) and tell the organisation what changed.
    The status does not change: staff publish it (or return it) afterwards."""
    _, diff = await check_correction(uow, actor, ref, proposed, today=today)
    saved = await scope(uow, actor).save(proposed)
    uow.publish(Corrected(saved.id, saved.organisation_id, changes=tuple(
        (c.label, c.before, c.after, str(c.session or "")) for c in diff
    )))
    return Correction(saved, diff)


# Later purchase orders ---------------------------------------------------------------------------


async def _organisation_actions(uow: UnitOfWork, organisation_id: int) -> list[Action]:
    repo = uow.actions_for_organisation(organisation_id)
    found: list[Action] = []
    while page := await repo.list(offset=len(found), limit=_PAGE):
        found += page
        if len(page) < _PAGE:
            break
    return found


async def open_next_order(uow: UnitOfWork, actor: Actor, ref: ActionRef) -> Action:
    """The action of the next purchase order of a published (or archived) Région action, not
    stored: its data, the next number; its semester and sessions to be given."""
    staff_only(actor, Verb.NEXT_ORDER)
    source = await find(uow, actor, ref)
    if not source.funder.purchase_order or source.status not in codification.ORDER_STATUSES:
        raise NotAnOrderSource(source)
    family = await _organisation_actions(uow, source.organisation_id)
    return codification.next_order(source, codification.next_order_number(source, family))


async def publish_next_order(
    uow: UnitOfWork, actor: Actor, order: Action, *, today: date, now: datetime,
    reference_carif: str | None = None,
) -> Action:
    """Store and publish ``order`` (made by ``open_next_order``, its semester and sessions given):
    the intake's rules (Région date rules included), a number no other order of the family has;
    the organisation is told once, with its Carif-Oref reference."""
    staff_only(actor, Verb.NEXT_ORDER)
    assert order.copied_from is not None
    source = await find(uow, actor, order.copied_from)
    if not source.funder.purchase_order or source.status not in codification.ORDER_STATUSES:
        raise NotAnOrderSource(source)
    problems = codification.order_problems(order, today)
    if problems:
        raise ActionInvalid(problems)
    number = order.numero_bon_commande or 0
    holder = codification.order_number_holder(
        source, await _organisation_actions(uow, source.organisation_id), number
    )
    if holder is not None:
        raise OrderNumberTaken(number, holder.reference)
    new = order.model_copy(deep=True, update={
        "id": None, "status": Status.APPROVED, "confirmed_at": now, "funder": source.funder,
        "organisation_id": source.organisation_id, "copied_from": source.id,
    })
    for session in new.sessions:
        session.id = None
    repo = scope(uow, actor)
    stored = await repo.add(new)
    reference = await backoffice.free_reference(uow, stored, reference_carif, today)
    stored.status, stored.reference_carif, stored.published_at = Status.PUBLISHED, reference, now
    saved = await repo.save(stored)
    uow.publish(NextOrderPublished(
        saved.id, saved.organisation_id, number=number, source=source.reference or "",
        reference_carif=reference, semestre=saved.semestre_debut or "", sessions=len(saved.sessions),
    ))
    return saved


async def create_next_order(
    uow: UnitOfWork, actor: Actor, ref: ActionRef, *, semestre: str, sessions: Sequence[Session],
    today: date, now: datetime, number: int | None = None, reference_carif: str | None = None,
) -> Action:
    """``open_next_order`` then ``publish_next_order`` with the semester (« S1 2028 ») and the
    sessions given at once (the command line); other session data as in ``order_session``."""
    order = await open_next_order(uow, actor, ref)
    source = await find(uow, actor, ref)
    codification.apply_text(order, "semestre_debut", semestre)
    if number is not None:
        codification.apply_text(order, "numero_bon_commande", str(number))
    template = codification.order_session(source)
    order.sessions = [template.model_copy(update=s.model_dump(exclude_none=True)) for s in sessions]
    return await publish_next_order(uow, actor, order, today=today, now=now, reference_carif=reference_carif)
