"""Typed events: the stored payloads, the idempotency keys and the audiences are those of the code
before the typed events (a row queued by the old code and the same event emitted by the new one
share their key, so no notification is sent twice across the upgrade)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dialogs.notifications import template_of
from domain.events import (
    EVENT_CLASSES,
    Approved,
    Archived,
    Confirmed,
    Corrected,
    Event,
    EventKind,
    ExportLeftOut,
    JustificationReceived,
    NextOrderPublished,
    OfaaReferenceReceived,
    OrganisationReferenceSet,
    Published,
    Refused,
    ReminderDue,
    Returned,
    SessionAdded,
    SessionDatesChanged,
    event_from_payload,
)

# The policy as storage/uow.py held it before the typed events (copied verbatim: the reference).
OLD_AUDIENCE: dict[EventKind, tuple[bool, bool, bool]] = {  # organisation, staff, funder validators
    EventKind.CONFIRMED: (True, True, True),
    EventKind.JUSTIFICATION_RECEIVED: (True, True, False),
    EventKind.EXPORT_LEFT_OUT: (False, True, False),
}


def old_discriminator(kind: EventKind, payload: dict[str, str], version: int | None) -> str:
    """``storage.uow.event_discriminator`` before the typed events."""
    if "discriminator" in payload:
        return payload["discriminator"]
    if kind is EventKind.REMINDER:
        days = payload.get("level", payload.get("days", ""))
        return f"{days}d@{payload['archive_on']}" if "archive_on" in payload else f"{days}d"
    base = f"v{version}" if version is not None else "-"
    if kind is EventKind.SESSION_DATES_CHANGED and "session" in payload:
        base += f"s{payload['session']}"
    return base


def old_key(kind: EventKind, action_id: int | None, payload: dict[str, str], version: int | None,
            chat_id: int) -> str:
    return f"{kind.value}:{action_id}:{old_discriminator(kind, payload, version)}:{chat_id}"


def new_key(event: Event, version: int | None, chat_id: int) -> str:
    return f"{event.kind.value}:{event.action_id}:{event.discriminator(version)}:{chat_id}"


D = date
# Each typed event, and the payload the old code's emitter built for the same fact.
CASES: list[tuple[Event, dict[str, str]]] = [
    (Confirmed(1, 7, funder="region", reference="FB-000001"),
     {"funder": "region", "reference": "FB-000001"}),
    (Confirmed(1, 7, funder="agefiph"), {"funder": "agefiph"}),
    (Approved(1, 7), {}),
    (Approved(1, 7, via="vote"), {"via": "vote"}),
    (Refused(1, 7, reason="Public non prioritaire."), {"reason": "Public non prioritaire."}),
    (Returned(1, 7, comment="Formacode à revoir."), {"comment": "Formacode à revoir."}),
    (Published(1, 7, reference_carif="24_P_000123"), {"reference_carif": "24_P_000123"}),
    (Archived(1, 7, archived_on=D(2027, 9, 3)), {"archived_on": "03/09/2027"}),
    (SessionDatesChanged(1, 7, session=2, debut=D(2027, 10, 4), fin=D(2028, 1, 28),
                         old_debut=D(2027, 9, 13), old_fin=D(2027, 12, 17)),
     {"session": "2", "debut": "04/10/2027", "fin": "28/01/2028",
      "old_debut": "13/09/2027", "old_fin": "17/12/2027"}),
    (SessionDatesChanged(1, 7, session=1, debut=D(2027, 10, 4), fin=D(2028, 1, 28)),
     {"session": "1", "debut": "04/10/2027", "fin": "28/01/2028"}),
    (SessionAdded(1, 7, session=3, debut=D(2027, 10, 4), fin=D(2028, 1, 28)),
     {"session": "3", "debut": "04/10/2027", "fin": "28/01/2028"}),
    (JustificationReceived(1, 7), {}),
    (JustificationReceived(1, 7, file_name="convention.pdf", file_id="F-1"),
     {"file_name": "convention.pdf", "file_id": "F-1"}),
    (JustificationReceived(1, 7, file_name=None, file_id="F-2"), {"file_name": "", "file_id": "F-2"}),
    (OfaaReferenceReceived(1, 7, reference_ofaa="OF-778899"), {"reference_ofaa": "OF-778899"}),
    (ReminderDue(1, 7, days=7, archive_on=D(2027, 3, 15)),
     {"days": "7", "level": "7", "archive_on": "2027-03-15"}),
    (ReminderDue(1, 7, days=5, archive_on=D(2027, 3, 15), level=7),
     {"days": "5", "level": "7", "archive_on": "2027-03-15"}),
    (ExportLeftOut(None, 7, day=D(2027, 1, 4)), {"discriminator": "2027-01-04", "day": "2027-01-04"}),
    (ExportLeftOut(3, 7, day=D(2027, 1, 4), reference="FB-000003", organisation="Forma Nord",
                   missing=("Courriel", "Téléphone"), issues=("élément intitule : trop long",)),
     {"discriminator": "2027-01-04", "day": "2027-01-04", "reference": "FB-000003",
      "organisation": "Forma Nord", "missing": "Courriel\nTéléphone",
      "issues": "élément intitule : trop long"}),
    # About an organisation, no action: one notice per stored version of its fiche.
    (OrganisationReferenceSet(None, 7, reference_carif="7320143", version=3),
     {"reference_carif": "7320143", "discriminator": "o7v3"}),
    (OrganisationReferenceSet(None, 7, reference_carif="7320144", version=4, previous="7320143"),
     {"reference_carif": "7320144", "discriminator": "o7v4", "previous": "7320143"}),
    # New kinds (no older code emitted them): their payload is the reference from now on.
    (Corrected(1, 7, changes=(("Code(s) Formacode", "42752", "31795", ""), ("Nombre de places", "12", "10", "2"))),
     {"changes": '[["Code(s) Formacode", "42752", "31795", ""], ["Nombre de places", "12", "10", "2"]]'}),
    (NextOrderPublished(9, 7, number=2, source="FB-000001", reference_carif="CO-2027-000009",
                        semestre="S1 2028", sessions=2),
     {"number": "2", "source": "FB-000001", "reference_carif": "CO-2027-000009", "semestre": "S1 2028",
      "sessions": "2"}),
]
IDS = [f"{event.kind.value}-{i}" for i, (event, _) in enumerate(CASES)]


def test_every_kind_has_a_class_a_template_and_a_case() -> None:
    assert set(EVENT_CLASSES) == set(EventKind)
    assert all(EVENT_CLASSES[cls.kind] is cls for cls in EVENT_CLASSES.values())
    assert {event.kind for event, _ in CASES} == set(EventKind)
    # One template per kind and audience (the organisation's ``<kind>.j2``, the others'
    # ``<audience>/<kind>.j2``: dialogs.notifications.template_of).
    templates = Path(__file__).parents[2] / "dialogs" / "templates"
    assert all(
        (templates / template_of(kind.value, reader)).is_file()
        for kind, cls in EVENT_CLASSES.items() for reader in cls.audience.names
    )


@pytest.mark.parametrize(("event", "old_payload"), CASES, ids=IDS)
def test_stored_payload_keeps_the_old_keys(event: Event, old_payload: dict[str, str]) -> None:
    assert event.payload == old_payload


@pytest.mark.parametrize(("event", "old_payload"), CASES, ids=IDS)
@pytest.mark.parametrize("version", [None, 1, 4])
def test_idempotency_key_is_the_old_one(
    event: Event, old_payload: dict[str, str], version: int | None
) -> None:
    assert new_key(event, version, 101) == old_key(event.kind, event.action_id, old_payload,
                                                    version, 101)


@pytest.mark.parametrize("kind", list(EventKind))
def test_audience_is_the_old_one(kind: EventKind) -> None:
    audience = EVENT_CLASSES[kind].audience
    expected = OLD_AUDIENCE.get(kind, (True, False, False))  # not listed: the organisation only
    assert (audience.organisation, audience.staff, audience.funder_validators) == expected


@pytest.mark.parametrize(("event", "old_payload"), CASES, ids=IDS)
def test_stored_form_gives_the_event_back(event: Event, old_payload: dict[str, str]) -> None:
    back = event_from_payload(event.kind, event.action_id, event.organisation_id, old_payload)
    assert type(back) is type(event) and back.payload == event.payload
    assert (back.action_id, back.organisation_id) == (event.action_id, event.organisation_id)
    assert back.discriminator(2) == event.discriminator(2)


@pytest.mark.parametrize("payload", [
    {"days": "7"},                                       # the oldest reminders: days was the level
    {"days": "7", "archive_on": "2027-03-15"},           # before the level was stored
    {"days": "5", "level": "7", "archive_on": "2027-03-15"},
])
@pytest.mark.parametrize("version", [None, 3])
def test_older_reminder_rows_keep_their_key(payload: dict[str, str], version: int | None) -> None:
    event = event_from_payload(EventKind.REMINDER, 1, 7, payload)
    assert new_key(event, version, 101) == old_key(EventKind.REMINDER, 1, payload, version, 101)


def test_unreadable_stored_forms_are_refused() -> None:
    with pytest.raises(ValueError, match="reason"):
        event_from_payload(EventKind.REFUSED, 1, 7, {})
    with pytest.raises(ValueError):
        event_from_payload("no_such_kind", 1, 7, {})
