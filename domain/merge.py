"""Three-way merge of an organisation's working copy with the action stored meanwhile.

The form keeps the version it was opened from (the *base*). When « Sauvegarder » finds that the
stored action changed since (a colleague saved first, or the user's own justification was attached
through the document flow), nothing the user answered is dropped:

- a field changed only by the user keeps the user's value; changed only by the other side, takes
  theirs; changed by both to the same value, that value;
- changed by both to different values: a ``Conflict`` (the merged action holds the user's value
  until they choose);
- sessions are matched by their id: one added by either side is kept; one removed by one side is
  removed only if the other side did not change it; fields of a session both kept are merged as
  above.

The lifecycle data and the storage's bookkeeping (status, version…) are always the stored ones.
Without a base (a state saved before bases were kept), every differing field is a conflict.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from domain.lifecycle import CONTENT_KEYS, SESSION_KEYS
from domain.models import Action, Session

_SESSION_CONTENT = tuple(key for key in SESSION_KEYS if key != "id")


_Content = TypeVar("_Content", Action, Session)


@dataclass(frozen=True, slots=True)
class Conflict:
    """A field both sides changed to different values: ``key`` of the general data
    (``session_id`` None) or of the session with that id."""

    key: str
    session_id: int | None = None


@dataclass(frozen=True, slots=True)
class Merge:
    action: Action  # the stored action with the merged content (the user's value where in conflict)
    conflicts: tuple[Conflict, ...]
    theirs_changed: tuple[str, ...]  # the content the other side changed since the base


_MISSING = object()


def _merge_value(base: Any, mine: Any, theirs: Any) -> tuple[Any, bool]:
    """(merged value, conflict?)"""
    if mine == theirs:
        return mine, False
    if base is not _MISSING and mine == base:
        return theirs, False
    if base is not _MISSING and theirs == base:
        return mine, False
    return mine, True


def _merge_fields(
    base: _Content | None, mine: _Content, theirs: _Content, keys: Iterable[str], conflicts: list[Conflict],
    session_id: int | None = None,
) -> _Content:
    """A copy of ``theirs`` with each of ``keys`` merged; a conflict noted under ``session_id``."""
    merged = theirs.model_copy(deep=True)
    for key in keys:
        value, conflict = _merge_value(
            base.get(key) if base is not None else _MISSING, mine.get(key), theirs.get(key)
        )
        merged.set(key, value)
        if conflict:
            conflicts.append(Conflict(key, session_id))
    return merged


def _merge_session(
    base: Session | None, mine: Session, theirs: Session, conflicts: list[Conflict]
) -> Session:
    return _merge_fields(base, mine, theirs, _SESSION_CONTENT, conflicts, theirs.id)


def _as_new(session: Session) -> Session:
    return session.model_copy(update={"id": None}, deep=True)


def _same_content(a: Session, b: Session) -> bool:
    return all(a.get(key) == b.get(key) for key in _SESSION_CONTENT)


def _merge_sessions(
    base: Action | None, mine: Action, theirs: Action, conflicts: list[Conflict]
) -> list[Session]:
    base_by_id = {s.id: s for s in base.sessions if s.id is not None} if base is not None else {}
    theirs_by_id = {s.id: s for s in theirs.sessions if s.id is not None}
    mine_ids = {s.id for s in mine.sessions if s.id is not None}
    merged: list[Session] = []
    for session in mine.sessions:
        before = base_by_id.get(session.id) if session.id is not None else None
        stored = theirs_by_id.get(session.id) if session.id is not None else None
        if stored is not None:
            merged.append(_merge_session(before, session, stored, conflicts))
        elif session.id is not None and before is not None and _same_content(before, session):
            continue  # removed by the other side, unchanged by the user
        else:
            merged.append(_as_new(session))  # added by the user, or changed by the user after a removal
    for stored in theirs.sessions:
        if stored.id in mine_ids:
            continue
        before = base_by_id.get(stored.id) if stored.id is not None else None
        if before is not None and _same_content(before, stored):
            continue  # removed by the user, unchanged by the other side
        merged.append(stored.model_copy(deep=True))  # added (or changed) by the other side
    return merged


def _changed_since(base: Action | None, theirs: Action) -> tuple[str, ...]:
    if base is None:
        return ()
    changed = [key for key in CONTENT_KEYS if base.get(key) != theirs.get(key)]
    before = [(s.id, *(s.get(k) for k in _SESSION_CONTENT)) for s in base.sessions]
    after = [(s.id, *(s.get(k) for k in _SESSION_CONTENT)) for s in theirs.sessions]
    if before != after:
        changed.append("sessions")
    return tuple(changed)


def merge(base: Action | None, mine: Action, theirs: Action) -> Merge:
    """The working copy ``mine`` (edited from ``base``) merged with the stored ``theirs``."""
    conflicts: list[Conflict] = []
    merged = _merge_fields(base, mine, theirs, CONTENT_KEYS, conflicts)
    merged.sessions = _merge_sessions(base, mine, theirs, conflicts)
    return Merge(merged, tuple(conflicts), _changed_since(base, theirs))


def take_theirs(action: Action, theirs: Action, conflict: Conflict) -> None:
    """Resolve ``conflict`` in ``action`` (a merge result) with the stored value."""
    if conflict.session_id is None:
        action.set(conflict.key, theirs.get(conflict.key))
        return
    source = next((s for s in theirs.sessions if s.id == conflict.session_id), None)
    target = next((s for s in action.sessions if s.id == conflict.session_id), None)
    if source is not None and target is not None:
        target.set(conflict.key, source.get(conflict.key))


def value_of(action: Action, conflict: Conflict) -> Any:
    """The value ``action`` holds for the field of ``conflict`` (None if its session is gone)."""
    if conflict.session_id is None:
        return action.get(conflict.key)
    session = next((s for s in action.sessions if s.id == conflict.session_id), None)
    return session.get(conflict.key) if session is not None else None
