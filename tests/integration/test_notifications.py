"""Notifications worded from the outbox payloads storage writes: every kind, French, safe HTML."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from dialogs.notifications import render_notification, stored_event
from dialogs.render import html_to_text
from domain.events import EventKind, ReminderDue, event_from_payload
from domain.funders import Funder
from domain.models import Status
from domain.ports import Membership, Role
from storage.tables import outbox
from storage.uow import SqlUnitOfWorkFactory
from tests.factories import make_valid_action
from tests.labels import NOTIFICATION_DATES
from tests.unit.test_events import old_key

EVENT_PAYLOADS: dict[EventKind, dict[str, str]] = {
    EventKind.CONFIRMED: {"funder": "pole-emploi", "reference": "FB-000001"},
    EventKind.APPROVED: {},
    EventKind.REFUSED: {"reason": "Budget épuisé pour 2027"},
    EventKind.RETURNED: {"comment": "Le Formacode ne correspond pas au contenu"},
    EventKind.PUBLISHED: {"reference_carif": "24_P_000123"},
    EventKind.ARCHIVED: {"archived_on": "04/01/2027"},
    EventKind.SESSION_DATES_CHANGED: {
        "session": "2", "debut": "01/03/2027", "fin": "30/04/2027",
        "old_debut": "01/02/2027", "old_fin": "31/03/2027",
    },
    EventKind.SESSION_ADDED: {"session": "3", "debut": "04/10/2027", "fin": "28/01/2028"},
    EventKind.JUSTIFICATION_RECEIVED: {},
    EventKind.OFAA_REFERENCE: {"reference_ofaa": "OF-778899"},
    EventKind.REMINDER: {"days": "7", "level": "7", "archive_on": "2027-01-11"},
    EventKind.EXPORT_LEFT_OUT: {"discriminator": "2027-01-04", "day": "2027-01-04", "organisation": "Forma Nord",
                                "missing": "Numéro de déclaration d'activité\nCourriel",
                                "issues": "élément intitule-formation : 300 caractères, 255 au plus."},
    EventKind.ORGANISATION_REFERENCE: {"reference_carif": "7320144", "discriminator": "o7v4",
                                       "previous": "7320143"},
    EventKind.CORRECTED: {"changes": '[["Code(s) Formacode", "42752", "31795", ""], ["Nombre de places", "12", "10", "2"]]'},
    EventKind.NEXT_ORDER: {"number": "2", "source": "FB-000041", "reference_carif": "24_P_000123",
                           "semestre": "S1 2028", "sessions": "2"},
}
# About the organisation, no action: its message names no action.
ABOUT_NO_ACTION = frozenset({EventKind.ORGANISATION_REFERENCE})

# What each message must say besides the action's reference.
EXPECTED: dict[EventKind, list[str]] = {
    # Worded for the organisation (a row without its readers, queued by an older version, is for
    # the event's first audience); the staff's and the validators' words: test_each_reader_….
    EventKind.CONFIRMED: ["Action confirmée", "Votre action", "par un membre de votre organisme", "Pôle emploi"],
    EventKind.APPROVED: ["validée"],
    EventKind.REFUSED: ["refusée", "Motif : Budget épuisé pour 2027"],
    EventKind.RETURNED: ["à corriger", "Le Formacode ne correspond pas au contenu"],
    EventKind.PUBLISHED: ["publiée", "Référence Carif-Oref : 24_P_000123"],
    EventKind.ARCHIVED: ["archivée depuis le 04/01/2027"],
    EventKind.SESSION_DATES_CHANGED: ["session n° 2", "du 01/03/2027 au 30/04/2027",
                                      "du 01/02/2027 au 31/03/2027"],
    EventKind.SESSION_ADDED: ["Session ajoutée par le Carif-Oref", "session n° 3",
                              "du 04/10/2027 au 28/01/2028", "prochains exports"],
    EventKind.JUSTIFICATION_RECEIVED: ["Justificatif de financement reçu"],
    EventKind.OFAA_REFERENCE: ["France Travail", "OF-778899"],
    EventKind.REMINDER: ["sera archivée dans 7 jours, le 11/01/2027 (publique jusqu'au 10/01/2027 inclus)"],
    EventKind.EXPORT_LEFT_OUT: ["Action absente de l'export LHEO", "n'a pas été exportée le 04/01/2027",
                                "Organisme : Forma Nord",
                                "• Numéro de déclaration d'activité", "• Courriel",
                                "• élément intitule-formation : 300 caractères, 255 au plus."],
    EventKind.ORGANISATION_REFERENCE: ["Votre référence Carif-Oref", "(auparavant 7320143) : 7320144",
                                       "fiche organisme"],
    EventKind.CORRECTED: ["corrigé ou codé votre action", "• Code(s) Formacode : 42752 → 31795",
                          "• Session n° 2 · Nombre de places : 12 → 10"],
    EventKind.NEXT_ORDER: ["Bon de commande n° 2 publié", "bon de commande n° 2 de votre action FB-000041",
                           "semestre de début : S1 2028, 2 session(s)", "Référence Carif-Oref : 24_P_000123"],
}

FRENCH = re.compile(r"\b(votre|action|le|la|les|est|de|du)\b", re.IGNORECASE)


def _payload(kind: EventKind, **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "kind": kind.value,
        "action_id": 42,
        "organisation_id": 7,
        "event": dict(EVENT_PAYLOADS[kind]),
        "reference": "FB-000042",
        "reference_carif": "24_P_000123",
        "reference_ofaa": None,
        "intitule": "Soudage TIG <niveau 1> & MIG",
        "funder": "pole-emploi",
        "status": "published",
        "version": 4,
    }
    payload.update(overrides)
    return payload


def test_every_kind_has_its_own_message() -> None:
    assert set(EVENT_PAYLOADS) == set(EventKind) == set(EXPECTED)
    texts = set()
    for kind in EventKind:
        reply = render_notification(kind.value, _payload(kind))
        plain = html_to_text(reply.text)
        assert plain.strip(), kind
        assert FRENCH.search(plain), kind
        for expected in EXPECTED[kind]:
            assert expected in plain, (kind, expected, plain)
        texts.add(plain)
        if kind in ABOUT_NO_ACTION:
            continue
        assert "FB-000042" in plain, kind
        # The action's title is escaped: typed text cannot inject markup.
        assert "Soudage TIG &lt;niveau 1&gt; &amp; MIG" in reply.text, kind
        assert "<niveau" not in reply.text
    assert len(texts) == len(EventKind)


def test_reminder_button_opens_the_date_update() -> None:
    reply = render_notification("reminder", _payload(EventKind.REMINDER))
    assert [[(b.label, b.payload) for b in row] for row in reply.buttons] == [
        [(NOTIFICATION_DATES, "g:dates:42")]
    ]
    assert len(reply.buttons[0][0].payload.encode()) <= 64
    tomorrow = render_notification(
        "reminder", _payload(EventKind.REMINDER, event={"days": "1", "archive_on": "2027-01-05"})
    )
    assert "sera archivée demain, le 05/01/2027" in html_to_text(tomorrow.text)
    thirty = render_notification(
        "reminder", _payload(EventKind.REMINDER, event={"days": "30", "archive_on": "2027-02-03"})
    )
    assert "dans 30 jours, le 03/02/2027" in html_to_text(thirty.text)
    # A session added by the Carif-Oref: the same button, to check or update it.
    added = render_notification("session_added", _payload(EventKind.SESSION_ADDED))
    assert [[(b.label, b.payload) for b in row] for row in added.buttons] == [
        [(NOTIFICATION_DATES, "g:dates:42")]
    ]
    for kind in EventKind:
        if kind not in (EventKind.REMINDER, EventKind.SESSION_ADDED):
            assert render_notification(kind.value, _payload(kind)).buttons == [], kind


@pytest.mark.parametrize(
    "kind, payload",
    [
        ("something_new", _payload(EventKind.APPROVED)),
        ("published", {}),
        ("reminder", {"event": "not a dict", "action_id": "x"}),
        ("refused", {"event": {"reason": None}, "reference": None, "intitule": 12}),
        ("", None),
    ],
)
def test_unknown_kind_or_damaged_payload_gives_a_message(kind: str, payload: Any) -> None:
    reply = render_notification(kind, payload)
    plain = html_to_text(reply.text)
    assert plain.strip() and FRENCH.search(plain)
    assert "None" not in plain


def test_templates_receive_the_typed_event() -> None:
    """``e`` in a template: the typed event of the stored row (None when it cannot be rebuilt)."""
    for kind in EventKind:
        event = stored_event(kind.value, _payload(kind))
        assert event is not None and event.kind is kind and event.action_id == 42, kind
        assert event.payload == EVENT_PAYLOADS[kind], kind
    reminder = stored_event("reminder", _payload(EventKind.REMINDER))
    assert isinstance(reminder, ReminderDue) and reminder.archive_on == date(2027, 1, 11)
    assert stored_event("reminder", {"event": "not a dict", "action_id": "x"}) is None
    assert stored_event("refused", _payload(EventKind.REFUSED, event={})) is None
    assert stored_event("something_new", _payload(EventKind.APPROVED)) is None


# The words of an event told to several audiences, for each reader (issue 15, item 11).
READERS: dict[tuple[EventKind, str], tuple[list[str], list[str]]] = {
    # (kind, reader): (what it says, what it must not say)
    (EventKind.CONFIRMED, "organisation"): (
        ["Action confirmée", "Votre action", "par un membre de votre organisme"], ["Nouvelle action"]),
    (EventKind.CONFIRMED, "staff"): (
        ["Nouvelle action confirmée", "confirmée par son organisme", "« Confirmées »"], ["Votre action"]),
    (EventKind.CONFIRMED, "funder"): (
        ["Nouvelle action à valider", "proposée à Pôle emploi", "la valider ou la refuser"],
        ["Votre action", "« Confirmées »"]),
    (EventKind.JUSTIFICATION_RECEIVED, "organisation"): (
        ["Le Carif-Oref a reçu le justificatif de financement de votre action"], ["marqué reçu"]),
    (EventKind.JUSTIFICATION_RECEIVED, "staff"): (["est marqué reçu par le Carif-Oref"], ["votre action"]),
    (EventKind.EXPORT_LEFT_OUT, "staff"): (["Action absente de l'export LHEO"], ["Votre action"]),
}


def test_every_audience_of_every_event_has_its_own_words() -> None:
    """Each (event, audience) of ``domain.events`` has its template, and the words differ."""
    from dialogs.notifications import template_of
    from dialogs.render import html_env
    from domain.events import EVENT_CLASSES

    pairs = {(kind, reader) for kind, cls in EVENT_CLASSES.items() for reader in cls.audience.names}
    multi = {(k, r) for k, r in pairs if len(EVENT_CLASSES[k].audience.names) > 1 or r != "organisation"}
    assert multi == set(READERS)
    for kind, reader in pairs:
        html_env().get_template(template_of(kind.value, reader))  # exists
    texts: dict[EventKind, set[str]] = {}
    for (kind, reader), (says, never) in READERS.items():
        plain = html_to_text(render_notification(kind.value, _payload(kind, to=[reader])).text)
        for fragment in says:
            assert fragment in plain, (kind, reader, fragment, plain)
        for fragment in never:
            assert fragment not in plain, (kind, reader, fragment, plain)
        texts.setdefault(kind, set()).add(plain)
    assert all(len(words) == len(EVENT_CLASSES[kind].audience.names) for kind, words in texts.items())


def test_a_chat_told_for_several_reasons_reads_the_words_of_the_role_that_acts() -> None:
    both = render_notification("confirmed", _payload(EventKind.CONFIRMED, to=["organisation", "staff"]))
    assert "Nouvelle action confirmée" in html_to_text(both.text)
    sent = render_notification(
        "justification_received",
        _payload(EventKind.JUSTIFICATION_RECEIVED, event={"file_id": "F1", "file_name": "convention.pdf"},
                 to=["organisation"]),
    )
    assert "a été envoyé au Carif-Oref par un membre de votre organisme" in html_to_text(sent.text)
    to_check = render_notification(
        "justification_received",
        _payload(EventKind.JUSTIFICATION_RECEIVED, event={"file_id": "F1", "file_name": "convention.pdf"},
                 to=["staff"]),
    )
    assert "à vérifier" in html_to_text(to_check.text) and "« Justificatifs reçus »" in to_check.text


def test_unknown_kind_names_the_action() -> None:
    plain = html_to_text(render_notification("something_new", _payload(EventKind.APPROVED)).text)
    assert "FB-000042" in plain and "/menu" in plain


async def test_payloads_written_by_storage_render(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int]
) -> None:
    """The real outbox payloads (``_notification_payload``) carry what the templates need."""
    org = org_ids[0]
    async with uow_factory() as uow:
        await uow.members.add(Membership(user_id=101, role=Role.MEMBER, organisation_id=org))
        await uow.members.add(Membership(user_id=301, role=Role.STAFF))
        action = await uow.all_actions().add(
            make_valid_action(Funder.REGION, organisation_id=org, status=Status.PUBLISHED,
                              reference_carif="24_P_000123", intitule="Soudage & co")
        )
        await uow.commit()
    assert action.id is not None and action.reference
    staff_configured = SqlUnitOfWorkFactory(uow_factory.engine, uow_factory.clock, staff_ids=[301])
    # An event about no action is the organisation's own: its key names the organisation.
    stored = {kind: {**EVENT_PAYLOADS[kind], "discriminator": f"o{org}v4"} if kind in ABOUT_NO_ACTION
              else EVENT_PAYLOADS[kind] for kind in EventKind}
    async with staff_configured() as uow:
        uow.publish(*(event_from_payload(kind, None if kind in ABOUT_NO_ACTION else action.id, org, stored[kind])
                      for kind in EventKind))
        await uow.commit()
        rows = (await uow.connection.execute(select(outbox.c.kind, outbox.c.chat_id,
                                                    outbox.c.payload,
                                                    outbox.c.idempotency_key))).all()
    kinds = {row.kind for row in rows}
    assert kinds == {kind.value for kind in EventKind}
    # The stored event payloads and the idempotency keys are those the code before the typed
    # events wrote for the same events (no notification sent twice across the upgrade).
    for row in rows:
        kind = EventKind(row.kind)
        assert row.payload["event"] == stored[kind]
        assert row.idempotency_key == old_key(kind, row.payload["action_id"], stored[kind],
                                              row.payload.get("version"), row.chat_id)
    for row in rows:
        if EventKind(row.kind) in ABOUT_NO_ACTION:
            assert "7320144" in html_to_text(render_notification(row.kind, row.payload).text)
            continue
        reply = render_notification(row.kind, row.payload)
        plain = html_to_text(reply.text)
        assert action.reference in plain, row.kind
        assert "Soudage &amp; co" in reply.text
        if row.kind == "reminder":
            assert reply.buttons[0][0].payload == f"g:dates:{action.id}"
        if row.kind == "published":
            assert "24_P_000123" in plain
    # Staff are told of confirmations, justifications and actions left out of an export only;
    # the organisation is not told of the last.
    assert {row.kind for row in rows if row.chat_id == 301} == {
        "confirmed", "justification_received", "export_left_out"
    }
    # Each row says why its chat is told (the delivery re-checks it).
    assert {row.payload["to"][0] for row in rows if row.chat_id == 301} == {"staff"}
    assert {row.payload["to"][0] for row in rows if row.chat_id == 101} == {"organisation"}
    assert "export_left_out" not in {row.kind for row in rows if row.chat_id == 101}
