"""Sessions after publication (RULES.md « Sessions after publication »).

- ``update_session``: the organisation updates a session of its published action (its dates, état
  du recrutement, nombre de places, période and modalités d'inscription: the lifecycle's
  ``SESSION_KEYS_AFTER_PUBLICATION``), under the same rules as intake, the Région's date rules
  included; on a draft or returned action it is part of modifying it.
- ``add_session``: the Carif-Oref adds a forgotten session to a published action (the guide:
  « contactez-nous »), under the same rules; the organisation is told (``SessionAdded``).

Each checks the changed action before anything is changed (``ActionInvalid`` with the problems of
the fields concerned), mutates the action and returns the events; the caller saves and publishes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from typing import Any

from domain.catalogue import Section
from domain.errors import ActionInvalid, OperationRefused, Problem
from domain.events import Event, SessionAdded, SessionDatesChanged
from domain.lifecycle import SESSION_KEYS_AFTER_PUBLICATION, Operation, ensure_allowed
from domain.models import Action, Session, Status
from domain.rules import session_limit, validate_region_dates, validate_session

# A change of one end of a period is checked with the other end (start not after end).
_PERIODS = (frozenset({"debut", "fin"}), frozenset({"inscription_debut", "inscription_fin"}))
_DATES = _PERIODS[0]


def _checked_keys(keys: frozenset[str]) -> frozenset[str]:
    linked = [period for period in _PERIODS if period & keys]
    return keys.union(*linked)


def _problems(action: Action, index: int, keys: frozenset[str] | None) -> list[Problem]:
    """The problems of session ``index`` and the Région's date rules (of the keys, when given)."""
    found = validate_session(action, index) + [
        p for p in validate_region_dates(action) if p.section == Section.SESSION
    ]
    if keys is not None:
        found = [p for p in found if p.key in keys]
    return list(dict.fromkeys(found))


def update_session(
    action: Action, index: int, values: Mapping[str, Any], today: date
) -> list[Event]:
    """Set ``values`` (catalogue keys of a session, already parsed) on session ``index``
    (0-based). Only the keys RULES.md lets change after publication; only the problems of those
    fields (and of the other end of a period) block the update: an incomplete draft session may
    still have its dates moved. A published action's new dates are told (``SessionDatesChanged``)."""
    published = action.status is Status.PUBLISHED
    ensure_allowed(action, Operation.UPDATE_DATES if published else Operation.MODIFY, today)
    keys = frozenset(values)
    if not keys or not keys <= SESSION_KEYS_AFTER_PUBLICATION:
        raise OperationRefused(
            "Seules les dates, l'état du recrutement, le nombre de places, la période et les "
            "modalités d'inscription d'une session peuvent être mis à jour."
        )
    if not 0 <= index < len(action.sessions):
        raise OperationRefused(f"La session n° {index + 1} n'existe pas.")
    changed = action.model_copy(deep=True)
    for key, value in values.items():
        changed.sessions[index].set(key, value)
    problems = _problems(changed, index, _checked_keys(keys))
    if problems:
        raise ActionInvalid(problems)

    target = action.sessions[index]
    old_debut, old_fin = target.debut, target.fin
    for key, value in values.items():
        target.set(key, value)
    if not published or not keys & _DATES or target.debut is None or target.fin is None:
        return []
    return [
        SessionDatesChanged(
            action.id,
            action.organisation_id,
            session=index + 1,
            debut=target.debut,
            fin=target.fin,
            old_debut=old_debut,
            old_fin=old_fin,
        )
    ]


def update_session_dates(
    action: Action, index: int, debut: date, fin: date, today: date
) -> list[Event]:
    """Move session ``index`` (0-based) to ``debut``–``fin`` (``update_session`` of the dates)."""
    return update_session(action, index, {"debut": debut, "fin": fin}, today)


def new_session_problems(action: Action, session: Session, keys: Collection[str] | None = None) -> list[Problem]:
    """The problems ``session`` would have as the action's next session (of ``keys`` only, e.g.
    the fields answered so far; all of them when None), the Région's date rules included."""
    changed = action.model_copy(deep=True)
    changed.sessions.append(session.model_copy(update={"id": None}))
    return _problems(changed, len(changed.sessions) - 1, None if keys is None else frozenset(keys))


def add_session(action: Action, session: Session) -> list[Event]:
    """The Carif-Oref adds ``session`` to a published action: every field checked as at intake
    (required fields, periods, the Région's date rules on the action with it), within
    ``MAX_SESSIONS``. The organisation is told (``SessionAdded``)."""
    if action.status is not Status.PUBLISHED:
        raise OperationRefused(
            f"Impossible d'ajouter une session à cette action : elle est « {action.status.label} » "
            "(seule une action publiée reçoit une session oubliée ; avant, l'organisme la saisit)."
        )
    too_many = session_limit(action)
    if too_many is not None:
        raise OperationRefused(too_many.message)
    problems = new_session_problems(action, session)
    if problems:
        raise ActionInvalid(problems)
    added = session.model_copy(deep=True, update={"id": None})
    action.sessions.append(added)
    index = len(action.sessions) - 1
    assert added.debut is not None and added.fin is not None  # required: checked above
    return [
        SessionAdded(
            action.id, action.organisation_id, session=index + 1, debut=added.debut, fin=added.fin
        )
    ]
