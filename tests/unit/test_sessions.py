"""Sessions after publication (RULES.md): the organisation's updates and the session the
Carif-Oref adds, under the intake's rules."""

from __future__ import annotations

from datetime import date

import pytest

from domain.errors import ActionInvalid, OperationRefused
from domain.events import SessionAdded, SessionDatesChanged
from domain.funders import Funder
from domain.lifecycle import SESSION_KEYS_AFTER_PUBLICATION, organisation_change_refusal
from domain.models import Status
from domain.rules import MAX_SESSIONS
from domain.sessions import add_session, update_session
from tests.factories import FACTORY_TODAY, make_session, make_valid_action

D = date


def published(funder: Funder = Funder.REGION, **overrides: object):
    data: dict[str, object] = {
        "id": 5,
        "organisation_id": 7,
        "status": Status.PUBLISHED,
        "reference": "FB-000005",
        "reference_carif": "CO-1",
        **overrides,
    }
    return make_valid_action(funder, **data)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"etat_recrutement": "2"}, {"etat_recrutement": "2"}),
        ({"places": 30}, {"places": 30}),
        ({"modalites_inscription": None}, {"modalites_inscription": None}),
        (
            {"inscription_debut": D(2027, 2, 1), "inscription_fin": D(2027, 3, 1)},
            {"inscription_debut": D(2027, 2, 1), "inscription_fin": D(2027, 3, 1)},
        ),
    ],
)
def test_published_session_fields_are_updated_without_notice(values, expected) -> None:
    action = published()
    before = action.model_copy(deep=True)
    assert update_session(action, 0, values, FACTORY_TODAY) == []
    assert {k: action.sessions[0].get(k) for k in expected} == expected
    # What the repository then accepts from the organisation (RULES.md's list).
    assert organisation_change_refusal(before, action, FACTORY_TODAY) is None


def test_keys_are_those_of_rules_md() -> None:
    assert {
        "debut",
        "fin",
        "etat_recrutement",
        "places",
        "inscription_debut",
        "inscription_fin",
        "modalites_inscription",
    } == SESSION_KEYS_AFTER_PUBLICATION


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"places": 0}, "Nombre de places"),
        ({"etat_recrutement": "9"}, "État du recrutement"),
        (
            {"inscription_debut": D(2027, 3, 1), "inscription_fin": D(2027, 2, 1)},
            "période d'inscription",
        ),
        ({"inscription_fin": D(2026, 12, 1)}, "période d'inscription"),  # before the stored start
        ({"modalites_inscription": "x" * 256}, "Modalités d'inscription"),
        ({"debut": D(2029, 1, 12), "fin": D(2029, 6, 30)}, "semestre"),  # Région rule 1
    ],
)
def test_the_intake_rules_refuse_and_change_nothing(values, message) -> None:
    action = published()
    before = action.model_dump()
    with pytest.raises(ActionInvalid) as refused:
        update_session(action, 0, values, FACTORY_TODAY)
    assert message in str(refused.value)
    assert action.model_dump() == before


def test_other_fields_and_other_statuses_are_refused() -> None:
    with pytest.raises(OperationRefused, match="Seules les dates"):
        update_session(published(), 0, {"adresse_inscription": None}, FACTORY_TODAY)
    with pytest.raises(OperationRefused, match="En cours d'instruction"):
        update_session(published(status=Status.SUBMITTED), 0, {"places": 3}, FACTORY_TODAY)
    with pytest.raises(OperationRefused, match="n° 3"):
        update_session(published(), 2, {"places": 3}, FACTORY_TODAY)


def test_new_dates_are_told() -> None:
    action = published()
    events = update_session(
        action, 1, {"debut": D(2027, 10, 4), "fin": D(2028, 1, 28)}, FACTORY_TODAY
    )
    assert events == [
        SessionDatesChanged(
            5,
            7,
            session=2,
            debut=D(2027, 10, 4),
            fin=D(2028, 1, 28),
            old_debut=D(2027, 9, 13),
            old_fin=D(2027, 12, 17),
        )
    ]


def test_staff_add_a_session_to_a_published_action() -> None:
    action = published()
    events = add_session(action, make_session(D(2028, 1, 10), D(2028, 3, 31), id=99))
    assert len(action.sessions) == 3 and action.sessions[2].id is None
    assert events == [SessionAdded(5, 7, session=3, debut=D(2028, 1, 10), fin=D(2028, 3, 31))]


@pytest.mark.parametrize(
    ("session", "message"),
    [
        (make_session(D(2027, 5, 1), D(2027, 4, 1)), "ne peut pas précéder"),
        (make_session(D(2027, 5, 1), None), "Date de fin"),
        (make_session(adresse_inscription=None), "Adresse d'inscription"),
        (make_session(D(2028, 10, 1), D(2028, 11, 30)), "18 mois"),  # Région rules 2 and 3
        (make_session(D(2026, 12, 1), D(2027, 1, 30)), "semestre"),  # now the first session: rule 1
    ],
)
def test_an_added_session_follows_the_intake_rules(session, message) -> None:
    action = published()
    with pytest.raises(ActionInvalid) as refused:
        add_session(action, session)
    assert message in str(refused.value)
    assert len(action.sessions) == 2


def test_a_session_is_added_to_a_published_action_only_and_within_the_limit() -> None:
    with pytest.raises(OperationRefused, match="Validée"):
        add_session(published(status=Status.APPROVED), make_session())
    full = published(Funder.POLE_EMPLOI, sessions=[make_session()] * MAX_SESSIONS)
    with pytest.raises(OperationRefused, match=str(MAX_SESSIONS)):
        add_session(full, make_session())
