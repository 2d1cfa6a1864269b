"""Notifications: an outbox row (kind + payload) worded as a neutral ``Reply``.

The payload is the one ``storage.uow._notification_payload`` writes at commit::

    {"kind": "published", "action_id": 42, "organisation_id": 7,
     "event": {"reference_carif": "24_123456"},          # the event's own payload (strings)
     "reference": "FB-000042", "reference_carif": ..., "reference_ofaa": ..., "intitule": ...,
     "funder": "region", "status": "published", "version": 3}

Each reader its own words: a row's ``to`` (``RECIPIENT_REASONS``) says why its chat is told, and
``reader_of`` picks the template: ``notifications/<kind>.j2`` for the organisation,
``notifications/staff/<kind>.j2`` and ``notifications/funder/<kind>.j2`` for the others.
Every word comes from these templates (HTML, autoescaped: an action's title
or a refusal reason typed by someone cannot inject markup). A template receives ``n``, the flat,
defaulted values of ``notification_context`` (the action's and the event's, read leniently, so that
rows queued by older code and damaged rows still word), and ``e``, the typed event
(``domain.events``) rebuilt from the stored payload, or None when the payload cannot give it back.
``render_notification`` never raises: an unknown kind, or a payload too damaged to word, gives the
generic message, because a delivery loop must not die on one bad row.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from jinja2 import TemplateNotFound

from dialogs.io import Button, Reply
from dialogs.render import macro_text, render
from domain.events import EVENT_CLASSES, RECIPIENT_REASONS, Event, EventKind, event_from_payload
from domain.funders import Funder
from domain.models import Status

log = logging.getLogger("formabot.notifications")

GENERIC_TEMPLATE = "notifications/generic.j2"
KNOWN_KINDS = frozenset(kind.value for kind in EVENT_CLASSES)
# A chat told for several reasons (a member of the organisation who is also staff) reads the words
# of the role that acts on the event first.
READER_PRIORITY = ("staff", "funder", "organisation")


def reader_of(kind: str, payload: dict[str, Any]) -> str:
    """Who reads this row: one of the audiences its chat is told for (``RECIPIENT_REASONS``);
    for a row without them (queued by an older version), the event's first audience."""
    reasons = payload.get(RECIPIENT_REASONS) if isinstance(payload, dict) else None
    if isinstance(reasons, list):
        for reader in READER_PRIORITY:
            if reader in reasons:
                return reader
    cls = EVENT_CLASSES.get(EventKind(kind)) if kind in KNOWN_KINDS else None
    names = cls.audience.names if cls is not None else ()
    return names[0] if names else "organisation"


def template_of(kind: str, reader: str) -> str:
    """The words of ``kind`` for ``reader``: ``notifications/<kind>.j2`` for the organisation,
    ``notifications/<reader>/<kind>.j2`` for the staff and the funder's validators."""
    if kind not in KNOWN_KINDS:
        return GENERIC_TEMPLATE
    return f"notifications/{kind}.j2" if reader == "organisation" else f"notifications/{reader}/{kind}.j2"


def dates_button_payload(action_id: int) -> str:
    """The global button (valid whatever the screen) that opens the session update of an action."""
    return f"g:dates:{action_id}"


def _label(name: str) -> str:
    return macro_text("notifications/labels.j2", name)


def _parse_day(value: Any) -> date | None:
    """A date from the payload: ISO (« 2027-02-03 ») or French (« 03/02/2027 »)."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _lines(value: Any) -> list[str]:
    text = _str(value)
    return [line for line in text.splitlines() if line.strip()] if text else []


def _funder(value: Any) -> Funder | None:
    try:
        return Funder(str(value))
    except ValueError:
        return None


def _status_label(value: Any) -> str | None:
    try:
        return str(Status(str(value)).label)
    except (ValueError, AttributeError):
        return None


def notification_context(payload: dict[str, Any]) -> dict[str, Any]:
    """The flat, defaulted values the templates use (``n.<name>``), from a stored payload."""
    raw_event = payload.get("event")
    event: dict[str, Any] = raw_event if isinstance(raw_event, dict) else {}
    action_id = _int(payload.get("action_id"))
    reference = _str(payload.get("reference")) or _str(event.get("reference"))
    funder = _funder(payload.get("funder") or event.get("funder"))
    return {
        "action_id": action_id,
        "reference": reference,
        "intitule": _str(payload.get("intitule")),
        "reference_carif": _str(event.get("reference_carif")) or _str(payload.get("reference_carif")),
        "reference_ofaa": _str(event.get("reference_ofaa")) or _str(payload.get("reference_ofaa")),
        "funder": _str(payload.get("funder")) or _str(event.get("funder")),
        "funder_label": funder.label if funder is not None else None,
        "copyable": funder is not None and funder.copyable,  # « et la copier » when archived
        "status_label": _status_label(payload.get("status")),
        "via_vote": event.get("via") == "vote",
        "reason": _str(event.get("reason")),
        "comment": _str(event.get("comment")),
        "days": _int(event.get("days")),
        "archive_on": _parse_day(event.get("archive_on")),
        "archived_on": _parse_day(event.get("archived_on")),
        "session": _str(event.get("session")),
        "debut": _str(event.get("debut")),
        "fin": _str(event.get("fin")),
        "old_debut": _str(event.get("old_debut")),
        "old_fin": _str(event.get("old_fin")),
        # export_left_out: the fiche's missing fields and the schema's objections, one per line.
        "day": _parse_day(event.get("day")),
        "organisation": _str(event.get("organisation")),
        "missing": _lines(event.get("missing")),
        "issues": _lines(event.get("issues")),
    }


def stored_event(kind: str, payload: dict[str, Any]) -> Event | None:
    """The typed event an outbox row's payload holds, or None (unknown kind, damaged payload)."""
    raw = payload.get("event") if isinstance(payload, dict) else None
    organisation_id = _int(payload.get("organisation_id")) if isinstance(payload, dict) else None
    if not isinstance(raw, dict) or organisation_id is None or kind not in KNOWN_KINDS:
        return None
    try:
        return event_from_payload(kind, _int(payload.get("action_id")), organisation_id, raw)
    except (ValueError, TypeError, AttributeError):
        return None


# The notifications with a button to update the action's sessions.
_UPDATE_BUTTON = frozenset({EventKind.REMINDER.value, EventKind.SESSION_ADDED.value})


def _buttons(kind: str, context: dict[str, Any]) -> list[list[Button]]:
    if kind in _UPDATE_BUTTON and context["action_id"] is not None:
        return [[Button(_label("update_dates"), dates_button_payload(context["action_id"]))]]
    return []


def render_notification(kind: str, payload: dict[str, Any]) -> Reply:
    """The message telling a chat about an event of ``kind`` (never raises)."""
    try:
        context = notification_context(payload if isinstance(payload, dict) else {})
    except Exception:  # a payload too damaged to read: still say something
        log.exception("unreadable notification payload (kind %r)", kind)
        context = notification_context({})
    template = template_of(kind, reader_of(kind, payload if isinstance(payload, dict) else {}))
    try:
        text = render(template, n=context, e=stored_event(kind, payload))
        buttons = _buttons(kind, context)
    except TemplateNotFound:
        log.error("no template for notification kind %r", kind)
        text, buttons = render(GENERIC_TEMPLATE, n=context), []
    except Exception:
        log.exception("notification of kind %r could not be rendered", kind)
        text, buttons = render(GENERIC_TEMPLATE, n=context), []
    if not text.strip():
        text = render(GENERIC_TEMPLATE, n=context)
    return Reply(text=text, buttons=buttons)
