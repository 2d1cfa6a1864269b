"""The organisation's members' operations on their actions: confirm, delete, copy, update a
published action's sessions (dates, recruitment, places, registration), send the État justification. Each takes the unit of work, the member (whose
organisation scopes every read and write) and the action the screen loaded, runs the lifecycle,
stores through the organisation's repository (which enforces the lifecycle again) and publishes the
events through the unit of work. Refusals are domain errors (``OperationRefused``,
``ActionInvalid``, ``ChangeNotAllowed``, ``StaleVersion``) with the lifecycle's French message."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from domain import lifecycle, sessions
from domain.events import Event
from domain.models import Action, Document
from domain.ports import ActionRepository, UnitOfWork

# How a confirmed action is stored: the chat stores its working copy (merging a concurrent change,
# ``None`` when it could not be stored as it is); the default is the organisation's repository.
Store = Callable[[Action], Awaitable[Action | None]]


@dataclass(frozen=True, slots=True)
class Member:
    """A member of ``organisation_id`` (a gestionnaire de formations)."""

    organisation_id: int
    user_id: int | None = None


def scope(uow: UnitOfWork, member: Member) -> ActionRepository:
    return uow.actions_for_organisation(member.organisation_id)


async def _added_or_saved(repo: ActionRepository, action: Action) -> Action:
    return await (repo.add(action) if action.id is None else repo.save(action))


def _stored_as(event: Event, saved: Action) -> Event:
    """The event of an action stored for the first time: the id storage gave it."""
    return event if event.action_id is not None else replace(event, action_id=saved.id)


async def confirm(
    uow: UnitOfWork, member: Member, action: Action, *, today: date, now: datetime,
    store: Store | None = None,
) -> Action | None:
    """« Confirmer »: draft or returned → submitted if the action is valid (``ActionInvalid``
    otherwise), stored (``store``, the repository by default), its events published with the id
    storage gave it. None when ``store`` could not store it (nothing is published)."""
    events = lifecycle.confirm(action, today, now)
    if store is None:
        repo = scope(uow, member)

        async def store(a: Action) -> Action | None:
            return await _added_or_saved(repo, a)

    saved = await store(action)
    if saved is None:
        return None
    uow.publish(*[_stored_as(e, saved) for e in events])
    return saved


async def delete(uow: UnitOfWork, member: Member, action: Action) -> None:
    """Delete a draft (the repository refuses it if it was confirmed in between)."""
    lifecycle.ensure_can_delete(action)
    assert action.id is not None
    await scope(uow, member).delete(action.id)


async def copy(uow: UnitOfWork, member: Member, source: Action, today: date) -> Action:
    """A new draft (not stored yet: the member goes on with it) with the general data of ``source``."""
    return lifecycle.copy_action(source, today)


async def update_session(
    uow: UnitOfWork, member: Member, action: Action, index: int, values: Mapping[str, Any], today: date,
) -> Action:
    """Update session ``index`` (0-based) of a published action (``domain.sessions``: its dates,
    recruitment, places, registration); a published action's new dates are told."""
    events = sessions.update_session(action, index, values, today)
    saved = await scope(uow, member).save(action)
    uow.publish(*events)
    return saved


async def update_session_dates(
    uow: UnitOfWork, member: Member, action: Action, index: int, debut: date, fin: date, today: date,
) -> Action:
    """Move session ``index`` (0-based) to ``debut``–``fin``; a published action's change is told."""
    return await update_session(uow, member, action, index, {"debut": debut, "fin": fin}, today)


async def attach_justification(uow: UnitOfWork, member: Member, action: Action, document: Document) -> Action:
    """The État justification (already checked) is kept on the action; the Carif-Oref is told."""
    events = lifecycle.attach_justification(action, document)
    saved = await scope(uow, member).save(action)
    uow.publish(*events)
    return saved
