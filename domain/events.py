"""What the lifecycle tells the rest of the system: one typed event per transition.

Each event class carries its own notification policy:

- ``kind``: the stored name (audit rows, outbox rows, ``templates/notifications/<kind>.j2``);
- ``audience``: who is told besides nobody (the organisation's members, the Carif-Oref staff, the
  funder's validators), as class-level data;
- ``discriminator(version)``: what makes a repeat — two events of the same kind on the same action
  with the same discriminator are one notification (the outbox idempotency key holds it);
- ``payload``: the event's own fields as strings, the form stored in the audit row and in the
  outbox row's ``event`` (its keys never change: rows queued by older code still render).

A new notification is an event class here, a template ``notifications/<kind>.j2``, and the place
that emits it (``uow.publish(...)``); the outbox writer (``storage.uow``) reads the policy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import ClassVar


class EventKind(StrEnum):
    CONFIRMED = "confirmed"
    APPROVED = "approved"
    REFUSED = "refused"
    RETURNED = "returned"
    PUBLISHED = "published"
    ARCHIVED = "archived"
    SESSION_DATES_CHANGED = "session_dates_changed"
    SESSION_ADDED = "session_added"
    JUSTIFICATION_RECEIVED = "justification_received"
    OFAA_REFERENCE = "ofaa_reference"
    REMINDER = "reminder"
    EXPORT_LEFT_OUT = "export_left_out"
    ORGANISATION_REFERENCE = "organisation_reference"
    CORRECTED = "corrected"
    NEXT_ORDER = "next_order"


@dataclass(frozen=True, slots=True)
class Audience:
    """Who is told of an event (RULES.md « Notifications »). The staff are those configured now
    (``FORMABOT_ADMIN_IDS``); the funder's validators only for a funder with validators."""

    organisation: bool = True
    staff: bool = False
    funder_validators: bool = False


    @property
    def names(self) -> tuple[str, ...]:
        """The audiences included, by the names an outbox row gives them (``RECIPIENT_REASONS``)."""
        flags = (("organisation", self.organisation), ("staff", self.staff),
                 ("funder", self.funder_validators))
        return tuple(name for name, included in flags if included)


ORGANISATION = Audience()

# The key of an outbox row's payload that says why its chat is told: the names of the audiences
# that include it (``Audience.names``: "organisation", "staff", "funder"). The delivery checks
# each still holds, and the notification is worded for the reader it makes the chat.
RECIPIENT_REASONS = "to"


def _fr(day: date) -> str:
    """JJ/MM/AAAA, the form the older payloads hold."""
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


@dataclass(frozen=True, slots=True)
class Event:
    """The base of every event: the action it is about (None: none) and its organisation."""

    kind: ClassVar[EventKind]
    audience: ClassVar[Audience] = ORGANISATION

    action_id: int | None
    organisation_id: int

    @property
    def payload(self) -> dict[str, str]:
        """The event's own fields, as stored (audit details, the outbox row's ``event``)."""
        return {}

    def discriminator(self, version: int | None) -> str:
        """What makes a repeat; by default the action's stored version (each transition saves a
        new one), ``-`` without an action."""
        return f"v{version}" if version is not None else "-"


@dataclass(frozen=True, slots=True)
class Confirmed(Event):
    """The organisation confirmed its action: submitted to the funder."""

    kind: ClassVar[EventKind] = EventKind.CONFIRMED
    audience: ClassVar[Audience] = Audience(organisation=True, staff=True, funder_validators=True)

    funder: str
    reference: str | None = None

    @property
    def payload(self) -> dict[str, str]:
        return {"funder": self.funder, **({"reference": self.reference} if self.reference else {})}


@dataclass(frozen=True, slots=True)
class Approved(Event):
    """The funder approved (``via="vote"``: the Région's commission permanente)."""

    kind: ClassVar[EventKind] = EventKind.APPROVED

    via: str | None = None

    @property
    def payload(self) -> dict[str, str]:
        return {"via": self.via} if self.via else {}


@dataclass(frozen=True, slots=True)
class Refused(Event):
    kind: ClassVar[EventKind] = EventKind.REFUSED

    reason: str

    @property
    def payload(self) -> dict[str, str]:
        return {"reason": self.reason}


@dataclass(frozen=True, slots=True)
class Returned(Event):
    kind: ClassVar[EventKind] = EventKind.RETURNED

    comment: str

    @property
    def payload(self) -> dict[str, str]:
        return {"comment": self.comment}


@dataclass(frozen=True, slots=True)
class Published(Event):
    kind: ClassVar[EventKind] = EventKind.PUBLISHED

    reference_carif: str

    @property
    def payload(self) -> dict[str, str]:
        return {"reference_carif": self.reference_carif}


@dataclass(frozen=True, slots=True)
class Archived(Event):
    kind: ClassVar[EventKind] = EventKind.ARCHIVED

    archived_on: date

    @property
    def payload(self) -> dict[str, str]:
        return {"archived_on": _fr(self.archived_on)}


@dataclass(frozen=True, slots=True)
class SessionDatesChanged(Event):
    """A published action's session (1-based ``session``) moved; told once per version and session."""

    kind: ClassVar[EventKind] = EventKind.SESSION_DATES_CHANGED

    session: int
    debut: date
    fin: date
    old_debut: date | None = None
    old_fin: date | None = None

    @property
    def payload(self) -> dict[str, str]:
        payload = {"session": str(self.session), "debut": _fr(self.debut), "fin": _fr(self.fin)}
        if self.old_debut is not None:
            payload["old_debut"] = _fr(self.old_debut)
        if self.old_fin is not None:
            payload["old_fin"] = _fr(self.old_fin)
        return payload

    def discriminator(self, version: int | None) -> str:
        return f"{Event.discriminator(self, version)}s{self.session}"


@dataclass(frozen=True, slots=True)
class SessionAdded(Event):
    """The Carif-Oref added a session (1-based ``session``) to a published action (a forgotten
    one, RULES.md); told to the organisation once (each addition is a new version)."""

    kind: ClassVar[EventKind] = EventKind.SESSION_ADDED

    session: int
    debut: date
    fin: date

    @property
    def payload(self) -> dict[str, str]:
        return {"session": str(self.session), "debut": _fr(self.debut), "fin": _fr(self.fin)}


@dataclass(frozen=True, slots=True)
class JustificationReceived(Event):
    """The État justification: sent by the organisation (with its file) or marked received by the
    Carif-Oref (without)."""

    kind: ClassVar[EventKind] = EventKind.JUSTIFICATION_RECEIVED
    audience: ClassVar[Audience] = Audience(organisation=True, staff=True)

    file_name: str | None = None
    file_id: str | None = None

    @property
    def payload(self) -> dict[str, str]:
        if self.file_id is None:
            return {}
        return {"file_name": self.file_name or "", "file_id": self.file_id}


@dataclass(frozen=True, slots=True)
class OfaaReferenceReceived(Event):
    kind: ClassVar[EventKind] = EventKind.OFAA_REFERENCE

    reference_ofaa: str

    @property
    def payload(self) -> dict[str, str]:
        return {"reference_ofaa": self.reference_ofaa}


@dataclass(frozen=True, slots=True)
class ReminderDue(Event):
    """``days``: the real days left (the text says them); ``level``: the reminder level (30, 7, 1…),
    told once per level and archiving date."""

    kind: ClassVar[EventKind] = EventKind.REMINDER

    days: int
    archive_on: date | None = None
    level: int | None = None

    @property
    def payload(self) -> dict[str, str]:
        payload = {"days": str(self.days), "level": str(self._level)}
        if self.archive_on is not None:
            payload["archive_on"] = self.archive_on.isoformat()
        return payload

    @property
    def _level(self) -> int:
        return self.days if self.level is None else self.level

    def discriminator(self, version: int | None) -> str:
        if self.archive_on is None:
            return f"{self._level}d"
        return f"{self._level}d@{self.archive_on.isoformat()}"


@dataclass(frozen=True, slots=True)
class ExportLeftOut(Event):
    """Staff only: an action left out of the day's LHEO exports (RULES.md « Exports never fail as
    a whole »), told once per action and day, whichever export or run found it."""

    kind: ClassVar[EventKind] = EventKind.EXPORT_LEFT_OUT
    audience: ClassVar[Audience] = Audience(organisation=False, staff=True)

    day: date
    reference: str | None = None
    organisation: str | None = None
    missing: tuple[str, ...] = ()
    issues: tuple[str, ...] = ()

    @property
    def payload(self) -> dict[str, str]:
        # "discriminator" stays in the stored payload, as older rows have it.
        payload = {"discriminator": self.day.isoformat(), "day": self.day.isoformat()}
        if self.reference:
            payload["reference"] = self.reference
        if self.organisation:
            payload["organisation"] = self.organisation
        if self.missing:
            payload["missing"] = "\n".join(self.missing)
        if self.issues:
            payload["issues"] = "\n".join(self.issues)
        return payload

    def discriminator(self, version: int | None) -> str:
        return self.day.isoformat()


@dataclass(frozen=True, slots=True)
class OrganisationReferenceSet(Event):
    """The Carif-Oref gave the organisation its Carif-Oref reference (or changed it); about no
    action. ``version``: the fiche's stored version after the change, one notice per change."""

    kind: ClassVar[EventKind] = EventKind.ORGANISATION_REFERENCE

    reference_carif: str
    version: int
    previous: str | None = None

    @property
    def payload(self) -> dict[str, str]:
        payload = {"reference_carif": self.reference_carif, "discriminator": self.discriminator(None)}
        if self.previous:
            payload["previous"] = self.previous
        return payload

    def discriminator(self, version: int | None) -> str:
        return f"o{self.organisation_id}v{self.version}"


@dataclass(frozen=True, slots=True)
class Corrected(Event):
    """The Carif-Oref corrected or coded fields of the action before publication; ``changes`` are
    (label, before, after, session number or "") as the recap showed them."""

    kind: ClassVar[EventKind] = EventKind.CORRECTED

    changes: tuple[tuple[str, str, str, str], ...] = ()

    @property
    def payload(self) -> dict[str, str]:
        return {"changes": json.dumps([list(c) for c in self.changes], ensure_ascii=False)}


@dataclass(frozen=True, slots=True)
class NextOrderPublished(Event):
    """The Carif-Oref created and published the action of a later purchase order (``number``) of
    the organisation's action ``source``."""

    kind: ClassVar[EventKind] = EventKind.NEXT_ORDER

    number: int
    source: str
    reference_carif: str
    semestre: str = ""
    sessions: int = 0

    @property
    def payload(self) -> dict[str, str]:
        return {"number": str(self.number), "source": self.source, "reference_carif": self.reference_carif,
                "semestre": self.semestre, "sessions": str(self.sessions)}


EVENT_CLASSES: dict[EventKind, type[Event]] = {
    cls.kind: cls
    for cls in (Confirmed, Approved, Refused, Returned, Published, Archived, SessionDatesChanged,
                SessionAdded, JustificationReceived, OfaaReferenceReceived, ReminderDue, ExportLeftOut,
                OrganisationReferenceSet, Corrected, NextOrderPublished)
}


def _day(text: str) -> date:
    """A stored date: ISO (« 2027-02-03 ») or JJ/MM/AAAA."""
    if "/" in text:
        day, month, year = (int(part) for part in text.split("/"))
        return date(year, month, day)
    return date.fromisoformat(text)


def event_from_payload(
    kind: EventKind | str, action_id: int | None, organisation_id: int, payload: dict[str, str]
) -> Event:
    """The typed event whose stored form is ``payload`` (an audit row's details, an outbox row's
    ``event``), older rows included (a reminder without ``level``); ``ValueError`` if the kind
    is unknown or a field it needs is missing or unreadable."""
    p = payload
    ids = (action_id, organisation_id)
    try:
        match EventKind(kind):
            case EventKind.CONFIRMED:
                return Confirmed(*ids, funder=p["funder"], reference=p.get("reference") or None)
            case EventKind.APPROVED:
                return Approved(*ids, via=p.get("via") or None)
            case EventKind.REFUSED:
                return Refused(*ids, reason=p["reason"])
            case EventKind.RETURNED:
                return Returned(*ids, comment=p["comment"])
            case EventKind.PUBLISHED:
                return Published(*ids, reference_carif=p["reference_carif"])
            case EventKind.ARCHIVED:
                return Archived(*ids, archived_on=_day(p["archived_on"]))
            case EventKind.SESSION_DATES_CHANGED:
                return SessionDatesChanged(
                    *ids, session=int(p["session"]), debut=_day(p["debut"]), fin=_day(p["fin"]),
                    old_debut=_day(p["old_debut"]) if "old_debut" in p else None,
                    old_fin=_day(p["old_fin"]) if "old_fin" in p else None,
                )
            case EventKind.SESSION_ADDED:
                return SessionAdded(*ids, session=int(p["session"]), debut=_day(p["debut"]),
                                    fin=_day(p["fin"]))
            case EventKind.JUSTIFICATION_RECEIVED:
                return JustificationReceived(*ids, file_name=p.get("file_name"),
                                             file_id=p.get("file_id"))
            case EventKind.OFAA_REFERENCE:
                return OfaaReferenceReceived(*ids, reference_ofaa=p["reference_ofaa"])
            case EventKind.REMINDER:
                return ReminderDue(
                    *ids, days=int(p["days"]),
                    archive_on=_day(p["archive_on"]) if "archive_on" in p else None,
                    level=int(p["level"]) if "level" in p else None,
                )
            case EventKind.EXPORT_LEFT_OUT:
                return ExportLeftOut(
                    *ids, day=_day(p.get("day") or p["discriminator"]),
                    reference=p.get("reference") or None,
                    organisation=p.get("organisation") or None,
                    missing=tuple(line for line in p.get("missing", "").splitlines() if line),
                    issues=tuple(line for line in p.get("issues", "").splitlines() if line),
                )
            case EventKind.ORGANISATION_REFERENCE:
                return OrganisationReferenceSet(
                    *ids, reference_carif=p["reference_carif"],
                    version=int(p["discriminator"].rpartition("v")[2]),
                    previous=p.get("previous") or None,
                )
            case EventKind.CORRECTED:
                return Corrected(*ids, changes=tuple(
                    (str(c[0]), str(c[1]), str(c[2]), str(c[3])) for c in json.loads(p["changes"])
                ))
            case EventKind.NEXT_ORDER:
                return NextOrderPublished(
                    *ids, number=int(p["number"]), source=p["source"], reference_carif=p["reference_carif"],
                    semestre=p.get("semestre", ""), sessions=int(p.get("sessions") or 0),
                )
    except KeyError as missing:
        raise ValueError(f"{kind} event without {missing}") from None
    raise ValueError(f"unknown event kind {kind!r}")  # pragma: no cover (match is exhaustive)
