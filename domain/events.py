"""What the lifecycle tells the rest of the system: one event per transition."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class EventKind(StrEnum):
    CONFIRMED = "confirmed"
    APPROVED = "approved"
    REFUSED = "refused"
    RETURNED = "returned"
    PUBLISHED = "published"
    ARCHIVED = "archived"
    SESSION_DATES_CHANGED = "session_dates_changed"
    JUSTIFICATION_RECEIVED = "justification_received"
    OFAA_REFERENCE = "ofaa_reference"
    REMINDER = "reminder"
    # Staff only: an action left out of the day's LHEO exports (RULES.md « Exports never fail as
    # a whole »); payload: day, reference, missing (fiche fields) and/or issues, one per line.
    EXPORT_LEFT_OUT = "export_left_out"


@dataclass(frozen=True, slots=True)
class Event:
    kind: EventKind
    action_id: int | None
    organisation_id: int
    payload: dict[str, str] = field(default_factory=dict)
