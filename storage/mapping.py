"""Conversion between the domain's pydantic models and table rows.

Columns hold what queries filter on; every other field goes through ``model_dump(mode="json")``
into the JSON ``data`` column and comes back through ``model_validate``, so Decimal, dates, tuples,
``Address``, ``Contact`` and ``Document`` round-trip exactly.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from domain import archiving
from domain.models import Action, Organisation, Session

log = logging.getLogger(__name__)

# Action attributes stored as real columns (the rest, but the sessions, goes to ``data``).
ACTION_COLUMNS = (
    "id",
    "organisation_id",
    "funder",
    "status",
    "version",
    "reference",
    "reference_carif",
    "reference_ofaa",
    "created_at",
    "updated_at",
    "confirmed_at",
    "published_at",
    "archived_on",
)
SESSION_COLUMNS = ("id", "debut", "fin")
ORGANISATION_COLUMNS = ("id", "version", "siret", "reference_carif")

_ACTION_DATA_EXCLUDE = {*ACTION_COLUMNS, "sessions"}
_SESSION_DATA_EXCLUDE = set(SESSION_COLUMNS)
_ORGANISATION_DATA_EXCLUDE = set(ORGANISATION_COLUMNS)


def compute_archive_on(action: Action) -> date | None:
    """The stored ``archive_on`` column: the domain's rule (``domain.archiving.archive_date``),
    computed at each write so that the daily sweep can select on it."""
    return archiving.archive_date(action)


def session_bounds(action: Action) -> tuple[date | None, date | None]:
    """(earliest start, latest end) of the sessions."""
    debuts = [s.debut for s in action.sessions if s.debut is not None]
    fins = [s.fin for s in action.sessions if s.fin is not None]
    return (min(debuts) if debuts else None, max(fins) if fins else None)


def _known(
    model: type[Action] | type[Session] | type[Organisation], data: Mapping[str, Any]
) -> dict[str, Any]:
    """``data`` without keys the model no longer has (logged), so an old row still loads."""
    fields = model.model_fields
    unknown = [k for k in data if k not in fields]
    if unknown:
        log.warning("ignoring unknown %s fields in stored data: %s", model.__name__, unknown)
    return {k: v for k, v in data.items() if k in fields}


# Actions ------------------------------------------------------------------------------------------


def action_values(action: Action) -> dict[str, Any]:
    """The ``actions`` row of an action: columns, computed dates and the JSON ``data``."""
    first, last = session_bounds(action)
    values: dict[str, Any] = {name: getattr(action, name) for name in ACTION_COLUMNS}
    values["funder"] = action.funder.value
    values["status"] = action.status.value
    values["first_session_start"] = first
    values["last_session_end"] = last
    values["archive_on"] = compute_archive_on(action)
    values["data"] = action.model_dump(mode="json", exclude=_ACTION_DATA_EXCLUDE)
    return values


def session_values(session: Session, action_id: int | None, position: int) -> dict[str, Any]:
    return {
        "id": session.id,
        "action_id": action_id,
        "position": position,
        "debut": session.debut,
        "fin": session.fin,
        "data": session.model_dump(mode="json", exclude=_SESSION_DATA_EXCLUDE),
    }


def load_session(row: Mapping[Any, Any]) -> Session:
    return Session.model_validate(
        {**_known(Session, row["data"] or {}), "id": row["id"], "debut": row["debut"], "fin": row["fin"]}
    )


def load_action(row: Mapping[Any, Any], session_rows: Iterable[Mapping[Any, Any]]) -> Action:
    """The action of an ``actions`` row and its ``sessions`` rows (in ``position`` order)."""
    values = _known(Action, row["data"] or {})
    values.update({name: row[name] for name in ACTION_COLUMNS})
    ordered = sorted(session_rows, key=lambda r: (r["position"], r["id"] or 0))
    values["sessions"] = [load_session(r) for r in ordered]
    return Action.model_validate(values)


def action_snapshot(action: Action) -> dict[str, Any]:
    """The whole action as JSON (the audit trail's snapshot)."""
    return action.model_dump(mode="json")


def action_from_snapshot(snapshot: Mapping[Any, Any]) -> Action:
    return Action.model_validate(_known(Action, snapshot))


# Organisations ------------------------------------------------------------------------------------


def organisation_values(organisation: Organisation) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(organisation, name) for name in ORGANISATION_COLUMNS}
    values["data"] = organisation.model_dump(mode="json", exclude=_ORGANISATION_DATA_EXCLUDE)
    return values


def load_organisation(row: Mapping[Any, Any]) -> Organisation:
    values = _known(Organisation, row["data"] or {})
    values.update({name: row[name] for name in ORGANISATION_COLUMNS})
    return Organisation.model_validate(values)
