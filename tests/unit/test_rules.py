"""The rules of a whole action: per field, across fields, per session, Région dates, confirmation."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.catalogue import ACTION_FIELDS, SESSION_FIELDS, Section
from domain.errors import Problem
from domain.funders import Funder
from domain.rules import (
    BON_COMMANDE_MESSAGE,
    NO_SESSION_MESSAGE,
    general_blocks_sessions,
    region_end_limit,
    semester_bounds,
    validate_action,
    validate_general,
    validate_region_dates,
    validate_session,
)
from tests.factories import FACTORY_TODAY, make_address, make_session, make_valid_action

D = date


def keys(problems: list[Problem]) -> set[tuple[str | None, int | None]]:
    return {(p.key, p.session) for p in problems}


# The factory itself --------------------------------------------------------------------------


@pytest.mark.parametrize("funder", list(Funder))
def test_factory_action_is_valid(funder: Funder) -> None:
    action = make_valid_action(funder)
    assert validate_general(action) == []
    assert validate_action(action, FACTORY_TODAY) == []


# Required fields -----------------------------------------------------------------------------


REQUIRED = [
    (funder, spec.key, spec.label)
    for funder in Funder
    for spec in ACTION_FIELDS
    if spec.required and spec.applies_to(make_valid_action(funder))
]


@pytest.mark.parametrize(("funder", "key", "label"), REQUIRED)
def test_missing_required_field(funder: Funder, key: str, label: str) -> None:
    action = make_valid_action(funder, **{key: None})
    problems = validate_general(action)
    assert Problem(f"{label} : ce champ est obligatoire.", key, None, Section.GENERAL) in problems


@pytest.mark.parametrize("key", ["intitule", "objectif", "rythme", "conditions_specifiques"])
@pytest.mark.parametrize("empty", ["", None])
def test_empty_text_is_missing(key: str, empty: str | None) -> None:
    problems = validate_general(make_valid_action(Funder.AGEFIPH, **{key: empty}))
    assert keys(problems) == {(key, None)}
    assert problems[0].message.endswith("ce champ est obligatoire.")


@pytest.mark.parametrize("key", [s.key for s in ACTION_FIELDS if not s.required])
def test_optional_field_may_be_missing(key: str) -> None:
    for funder in Funder:
        assert validate_general(make_valid_action(funder, **{key: None})) == []


def test_funder_fields_do_not_apply_to_other_funders() -> None:
    action = make_valid_action(Funder.POLE_EMPLOI)
    assert action.numero_marche is None and action.reference_convention is None
    assert validate_general(action) == []


# Per-field checks through the catalogue ------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("intitule", "x" * 256),
        ("objectif", "x" * 3001),
        ("formacodes", ("1234",)),
        ("formacodes", ("12345", "12346", "12347", "12348", "12349", "12350")),
        ("codes_rome", ("Z1234",)),
        ("certifications", ("ABC123",)),
        ("heures_centre", 100_000),
        ("heures_centre", -1),
        ("places_financees", 0),
        ("niveau_entree", "12345"),
        ("parcours", "9"),
        ("publics", ("00000",)),
        ("duree_indicative", "x" * 151),
    ],
)
def test_invalid_value_is_a_problem_prefixed_by_the_label(key: str, value: Any) -> None:
    action = make_valid_action(Funder.REGION, **{key: value})
    label = next(s.label for s in ACTION_FIELDS if s.key == key)
    problems = [p for p in validate_general(action) if p.key == key]
    assert len(problems) == 1
    assert problems[0].message.startswith(f"{label} : ")
    assert problems[0].section == Section.GENERAL and problems[0].session is None


# Cross-field rules ---------------------------------------------------------------------------


def test_certifiante_requires_certifications() -> None:
    action = make_valid_action(Funder.REGION, certifiante=True, certifications=None)
    assert keys(validate_general(action)) == {("certifications", None)}


def test_non_certifiante_forbids_certifications() -> None:
    action = make_valid_action(Funder.REGION, certifiante=False, certifications=("RNCP34567",))
    problems = validate_general(action)
    assert keys(problems) == {("certifications", None)}
    assert "non certifiante" in problems[0].message


def test_non_certifiante_without_certifications_is_valid() -> None:
    action = make_valid_action(Funder.REGION, certifiante=False, certifications=None)
    assert validate_general(action) == []


@pytest.mark.parametrize(
    ("centre", "entreprise", "valid"),
    [(0, 0, False), (0, None, False), (0, 35, True), (1, 0, True), (420, None, True)],
)
def test_total_hours_must_be_positive(centre: int, entreprise: int | None, valid: bool) -> None:
    action = make_valid_action(Funder.AGEFIPH, heures_centre=centre, heures_entreprise=entreprise)
    problems = validate_general(action)
    assert (problems == []) is valid
    if not valid:
        assert keys(problems) == {("heures_centre", None)}
        assert "total" in problems[0].message


@pytest.mark.parametrize(("modalites", "valid"), [("0", False), ("1", False), ("2", True)])
def test_lieu_de_formation_required_unless_distance_only(modalites: str, valid: bool) -> None:
    action = make_valid_action(
        Funder.POLE_EMPLOI, modalites_enseignement=modalites, lieu_formation=None
    )
    assert (validate_general(action) == []) is valid


@pytest.mark.parametrize("funder", [Funder.ETAT_EMPLOI, Funder.ETAT_AUTRES])
def test_etat_requires_reference_convention(funder: Funder) -> None:
    action = make_valid_action(funder, reference_convention=None)
    assert keys(validate_general(action)) == {("reference_convention", None)}
    assert validate_general(make_valid_action(funder, justificatif=None)) == []


@pytest.mark.parametrize(("number", "valid"), [(1, True), (2, False), (3, False)])
def test_region_bon_de_commande_must_be_1(number: int, valid: bool) -> None:
    action = make_valid_action(Funder.REGION, numero_bon_commande=number)
    general = validate_general(action)
    assert (general == []) is valid
    if not valid:
        assert keys(general) == {("numero_bon_commande", None)}
        assert BON_COMMANDE_MESSAGE in general[0].message
        assert "Créez l'action pour le bon de commande n° 1 uniquement" in general[0].message
        # Reported once by validate_action though both checks find it.
        assert [p.key for p in validate_action(action, FACTORY_TODAY)] == ["numero_bon_commande"]


def test_general_blocks_sessions_is_validate_general() -> None:
    action = make_valid_action(Funder.REGION, intitule=None, heures_centre=0, heures_entreprise=0)
    assert general_blocks_sessions(action) == validate_general(action)
    assert keys(general_blocks_sessions(action)) == {("intitule", None), ("heures_centre", None)}
    assert general_blocks_sessions(make_valid_action(Funder.REGION)) == []


# Sessions ------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [s.key for s in SESSION_FIELDS if s.required])
def test_session_required_field(key: str) -> None:
    action = make_valid_action(Funder.AGEFIPH)
    action.sessions[1].set(key, None)
    label = next(s.label for s in SESSION_FIELDS if s.key == key)
    problems = validate_session(action, 1)
    assert problems == [
        Problem(f"Session n° 2 : {label} : ce champ est obligatoire.", key, 2, Section.SESSION)
    ]
    assert validate_session(action, 0) == []


@pytest.mark.parametrize("key", [s.key for s in SESSION_FIELDS if not s.required])
def test_session_optional_field(key: str) -> None:
    action = make_valid_action(Funder.AGEFIPH)
    action.sessions[0].set(key, None)
    assert validate_session(action, 0) == []


def test_session_invalid_value() -> None:
    action = make_valid_action(Funder.AGEFIPH)
    action.sessions[0].places = 0
    action.sessions[0].modalites_inscription = "x" * 256
    problems = validate_session(action, 0)
    assert keys(problems) == {("places", 1), ("modalites_inscription", 1)}
    assert all(p.message.startswith("Session n° 1 : ") for p in problems)
    assert all(p.section == Section.SESSION for p in problems)


@pytest.mark.parametrize(
    ("debut", "fin", "valid"),
    [
        (D(2027, 3, 15), D(2027, 3, 15), True),
        (D(2027, 3, 15), D(2027, 3, 16), True),
        (D(2027, 3, 15), D(2027, 3, 14), False),
    ],
)
def test_session_end_not_before_start(debut: date, fin: date, valid: bool) -> None:
    action = make_valid_action(Funder.ETAT_EMPLOI, sessions=[
        make_session(), make_session(debut, fin, inscription_fin=None),
    ])
    problems = validate_session(action, 1)
    assert (problems == []) is valid
    if not valid:
        assert keys(problems) == {("fin", 2)}
        assert problems[0].message.startswith("Session n° 2 : ")
        assert "14/03/2027" in problems[0].message and "15/03/2027" in problems[0].message


@pytest.mark.parametrize(
    ("start", "end", "valid"),
    [
        (D(2027, 1, 4), D(2027, 1, 4), True),
        (D(2027, 1, 4), D(2027, 3, 1), True),
        (D(2027, 1, 4), D(2027, 1, 3), False),
        (None, D(2027, 1, 3), True),
        (D(2027, 1, 4), None, True),
    ],
)
def test_registration_period(start: date | None, end: date | None, valid: bool) -> None:
    action = make_valid_action(Funder.POLE_EMPLOI, sessions=[
        make_session(inscription_debut=start, inscription_fin=end),
    ])
    problems = validate_session(action, 0)
    assert (problems == []) is valid
    if not valid:
        assert keys(problems) == {("inscription_fin", 1)}


# Région date rules ---------------------------------------------------------------------------

S = tuple[date, date]

REGION_CASES: list[tuple[str, str, list[S], set[tuple[str, int]]]] = [
    # Rule 1: semester boundaries.
    ("S1 last day", "S1 2027", [(D(2027, 6, 30), D(2027, 9, 30))], set()),
    ("S1 day after", "S1 2027", [(D(2027, 7, 1), D(2027, 9, 30))], {("debut", 1)}),
    ("S1 first day", "S1 2027", [(D(2027, 1, 1), D(2027, 3, 1))], set()),
    ("S1 day before", "S1 2027", [(D(2026, 12, 31), D(2027, 3, 1))], {("debut", 1)}),
    ("S2 first day", "S2 2027", [(D(2027, 7, 1), D(2027, 9, 30))], set()),
    ("S2 day before", "S2 2027", [(D(2027, 6, 30), D(2027, 9, 30))], {("debut", 1)}),
    ("S2 last day", "S2 2027", [(D(2027, 12, 31), D(2028, 3, 1))], set()),
    ("S2 day after", "S2 2027", [(D(2028, 1, 1), D(2028, 3, 1))], {("debut", 1)}),
    ("S1 next year", "S1 2028", [(D(2028, 1, 1), D(2028, 3, 1))], set()),
    ("wrong year", "S1 2028", [(D(2027, 3, 1), D(2027, 6, 1))], {("debut", 1)}),
    # Rules 2 and 3: 18 months to the day.
    ("18 months", "S1 2027", [(D(2027, 3, 15), D(2028, 9, 15))], set()),
    ("18 months + 1 day", "S1 2027", [(D(2027, 3, 15), D(2028, 9, 16))], {("fin", 1)}),
    ("clamped to 28/02", "S2 2027", [(D(2027, 8, 31), D(2029, 2, 28))], set()),
    ("clamped + 1 day", "S2 2027", [(D(2027, 8, 31), D(2029, 3, 1))], {("fin", 1)}),
    ("leap 29/02 limit", "S2 2026", [(D(2026, 8, 31), D(2028, 2, 29))], set()),
    ("leap 29/02 + 1", "S2 2026", [(D(2026, 8, 31), D(2028, 3, 1))], {("fin", 1)}),
    ("start 29/02", "S1 2028", [(D(2028, 2, 29), D(2029, 8, 29))], set()),
    ("start 29/02 + 1", "S1 2028", [(D(2028, 2, 29), D(2029, 8, 30))], {("fin", 1)}),
    ("31/12 start", "S2 2027", [(D(2027, 12, 31), D(2029, 6, 30))], set()),
    ("31/12 start + 1", "S2 2027", [(D(2027, 12, 31), D(2029, 7, 1))], {("fin", 1)}),
    # Several sessions: the earliest start and every session's end count.
    (
        "several ok",
        "S1 2027",
        [(D(2027, 3, 15), D(2027, 6, 30)), (D(2028, 3, 1), D(2028, 9, 15))],
        set(),
    ),
    (
        "last session too late",
        "S1 2027",
        [(D(2027, 3, 15), D(2027, 6, 30)), (D(2028, 3, 1), D(2028, 9, 16))],
        {("fin", 2)},
    ),
    (
        "first session listed second",
        "S1 2027",
        [(D(2027, 9, 1), D(2027, 12, 1)), (D(2027, 3, 15), D(2027, 6, 30))],
        set(),
    ),
    (
        "first session listed second, wrong semester",
        "S2 2027",
        [(D(2027, 9, 1), D(2027, 12, 1)), (D(2027, 3, 15), D(2027, 6, 30))],
        {("debut", 2)},
    ),
    (
        "limit counted from the earliest start",
        "S1 2027",
        [(D(2028, 1, 10), D(2028, 9, 16)), (D(2027, 3, 15), D(2027, 6, 30))],
        {("fin", 1)},
    ),
    (
        "two sessions too late and wrong semester",
        "S2 2027",
        [
            (D(2027, 3, 15), D(2027, 6, 30)),
            (D(2028, 3, 1), D(2028, 10, 1)),
            (D(2028, 6, 1), D(2028, 12, 1)),
        ],
        {("debut", 1), ("fin", 2), ("fin", 3)},
    ),
]


@pytest.mark.parametrize(
    ("semester", "sessions", "expected"),
    [case[1:] for case in REGION_CASES],
    ids=[case[0] for case in REGION_CASES],
)
def test_region_dates(semester: str, sessions: list[S], expected: set[tuple[str, int]]) -> None:
    action = make_valid_action(
        Funder.REGION,
        semestre_debut=semester,
        sessions=[make_session(debut, fin) for debut, fin in sessions],
    )
    problems = validate_region_dates(action)
    assert keys(problems) == expected
    for problem in problems:
        assert problem.section == Section.SESSION
        assert problem.message.startswith(f"Session n° {problem.session} : ")
    # The same problems come out of the whole validation.
    assert set(problems) <= set(validate_action(action, D(2026, 1, 1)))


def test_region_semester_message_names_the_semester_and_its_dates() -> None:
    action = make_valid_action(Funder.REGION, semestre_debut="S2 2027")
    [problem] = validate_region_dates(action)
    assert problem.message == (
        "Session n° 1 : le premier jour de la première session (15/03/2027) doit se situer dans "
        "le semestre de début prévu au bon de commande (S2 2027 : du 01/07/2027 au 31/12/2027)."
    )


def test_region_limit_message_names_the_limit_date() -> None:
    action = make_valid_action(Funder.REGION, sessions=[
        make_session(D(2027, 3, 15), D(2027, 6, 30)),
        make_session(D(2028, 3, 1), D(2028, 9, 16)),
    ])
    [problem] = validate_region_dates(action)
    assert problem.session == 2 and problem.key == "fin"
    assert "16/09/2028" in problem.message
    assert "au plus tard le 15/09/2028" in problem.message
    assert "15/03/2027" in problem.message


def test_region_rules_only_for_region() -> None:
    action = make_valid_action(
        Funder.POLE_EMPLOI,
        semestre_debut="S2 2030",
        numero_bon_commande=4,
        sessions=[make_session(D(2027, 3, 15), D(2030, 1, 1))],
    )
    assert validate_region_dates(action) == []


def test_region_without_semester_still_checks_18_months() -> None:
    action = make_valid_action(
        Funder.REGION, semestre_debut=None, sessions=[make_session(D(2027, 3, 15), D(2029, 1, 1))]
    )
    assert keys(validate_region_dates(action)) == {("fin", 1)}


def test_region_bon_de_commande_in_region_rules() -> None:
    action = make_valid_action(Funder.REGION, numero_bon_commande=2)
    assert keys(validate_region_dates(action)) == {("numero_bon_commande", None)}


def test_region_sessions_without_dates_are_skipped() -> None:
    action = make_valid_action(Funder.REGION, sessions=[make_session(None, None)])
    assert validate_region_dates(action) == []


@pytest.mark.parametrize(
    ("value", "bounds"),
    [
        ("S1 2027", (D(2027, 1, 1), D(2027, 6, 30))),
        ("S2 2027", (D(2027, 7, 1), D(2027, 12, 31))),
        (" s2 2028 ", (D(2028, 7, 1), D(2028, 12, 31))),
        ("S3 2027", None),
        ("2027", None),
        ("", None),
    ],
)
def test_semester_bounds(value: str, bounds: tuple[date, date] | None) -> None:
    assert semester_bounds(value) == bounds


@settings(max_examples=200)
@given(st.dates(min_value=D(2000, 1, 1), max_value=D(2100, 12, 31)))
def test_region_limit_is_18_months_to_the_day(start: date) -> None:
    limit = region_end_limit(start)
    assert (limit.year - start.year) * 12 + limit.month - start.month == 18
    assert limit.day == start.day or (limit.day < start.day and (limit.month, limit.day) in {
        (2, 28), (2, 29), (4, 30), (6, 30), (9, 30), (11, 30)
    })
    # Ending on the limit is allowed, one day later is not.
    semester = f"S{1 if start.month <= 6 else 2} {start.year}"
    on_limit = make_valid_action(
        Funder.REGION, semestre_debut=semester, sessions=[make_session(start, limit)]
    )
    assert validate_region_dates(on_limit) == []
    on_limit.sessions[0].fin = date.fromordinal(limit.toordinal() + 1)
    assert keys(validate_region_dates(on_limit)) == {("fin", 1)}


# The whole action ----------------------------------------------------------------------------


def test_action_needs_a_session() -> None:
    action = make_valid_action(Funder.AGEFIPH, sessions=[])
    problems = validate_action(action, FACTORY_TODAY)
    assert problems == [Problem(NO_SESSION_MESSAGE, None, None, Section.SESSION)]
    assert problems[0].message == "Ajoutez au moins une session."


def test_action_with_no_session_to_come_is_refused() -> None:
    action = make_valid_action(Funder.AGEFIPH)
    assert validate_action(action, D(2027, 9, 12)) == []
    problems = validate_action(action, D(2027, 9, 13))
    assert keys(problems) == {("debut", None)}
    assert "archivée" in problems[0].message
    assert problems[0].section == Section.SESSION


def test_permanent_action_started_but_not_ended_may_be_confirmed() -> None:
    action = make_valid_action(Funder.AGEFIPH, entrees_sorties="1")
    assert validate_action(action, D(2027, 12, 17)) == []
    assert keys(validate_action(action, D(2027, 12, 18))) == {("debut", None)}


def test_action_problems_name_fields_and_sessions() -> None:
    action = make_valid_action(Funder.REGION, intitule=None, semestre_debut="S2 2027")
    action.sessions[1].fin = D(2027, 9, 1)
    action.sessions[1].adresse_inscription = None
    problems = validate_action(action, FACTORY_TODAY)
    assert keys(problems) == {
        ("intitule", None), ("fin", 2), ("adresse_inscription", 2), ("debut", 1)
    }
    by_key = {(p.key, p.session): p for p in problems}
    assert by_key[("intitule", None)].section == Section.GENERAL
    assert by_key[("fin", 2)].message.startswith("Session n° 2 : ")
    assert all(p.section is not None for p in problems)


def test_missing_session_dates_do_not_add_the_archiving_problem() -> None:
    action = make_valid_action(Funder.AGEFIPH, sessions=[make_session(None, None)])
    assert keys(validate_action(action, FACTORY_TODAY)) == {("debut", 1), ("fin", 1)}


def test_lieu_formation_shortcut_value_is_an_address() -> None:
    action = make_valid_action(Funder.REGION, lieu_formation=make_address(ville="Albi"))
    assert validate_action(action, FACTORY_TODAY) == []



def test_sessions_are_capped_at_max_sessions() -> None:
    from domain.rules import MAX_SESSIONS, session_limit

    action = make_valid_action(Funder.REGION)
    action.sessions = [action.sessions[0]] * (MAX_SESSIONS - 1)
    assert session_limit(action) is None
    assert not any("au plus" in p.message for p in validate_action(action, FACTORY_TODAY))
    action.sessions.append(action.sessions[0])
    problem = session_limit(action)
    assert problem is not None and f"au plus {MAX_SESSIONS} sessions" in problem.message
    assert problem.section == Section.SESSION
    assert session_limit(action, adding=0) is None  # at the cap: valid, but no more may be added
    action.sessions.append(action.sessions[0])  # beyond it (an action stored before the cap)
    assert any(f"au plus {MAX_SESSIONS} sessions" in p.message for p in validate_action(action, FACTORY_TODAY))


def test_one_rule_says_whether_a_session_may_be_added() -> None:
    """Issue 15 item 3: the sessions screen and the récapitulatif both ask
    ``session_addition_problems``: general errors first, then the cap."""
    from domain.rules import MAX_SESSIONS, session_addition_problems

    action = make_valid_action(Funder.REGION)
    assert session_addition_problems(action) == []
    action.numero_bon_commande = 2
    assert [p.key for p in session_addition_problems(action)] == ["numero_bon_commande"]
    action.sessions = []
    assert [p.key for p in session_addition_problems(action)] == ["numero_bon_commande"]
    action.numero_bon_commande = 1
    assert session_addition_problems(action) == []
    action.sessions = [make_valid_action(Funder.REGION).sessions[0]] * MAX_SESSIONS
    [too_many] = session_addition_problems(action)
    assert f"au plus {MAX_SESSIONS} sessions" in too_many.message
