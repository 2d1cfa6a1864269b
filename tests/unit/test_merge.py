"""The three-way merge of a working copy with the action stored meanwhile (``domain.merge``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from domain.merge import Conflict, merge, take_theirs, value_of
from domain.models import Action, Document, Session, Status
from tests.factories import edited, make_valid_action, with_session_ids


def base_action() -> Action:
    return with_session_ids(make_valid_action(id=9, version=4, reference="FB-000009"), 90)


def test_different_fields_are_merged_silently() -> None:
    base = base_action()
    mine = edited(base, intitule="Mon titre")
    theirs = edited(base, objectif="Leur objectif.", version=5)
    result = merge(base, mine, theirs)
    assert result.conflicts == ()
    assert result.action.intitule == "Mon titre" and result.action.objectif == "Leur objectif."
    assert result.action.version == 5  # the stored bookkeeping
    assert result.theirs_changed == ("objectif",)


def test_the_same_field_changed_differently_is_a_conflict_holding_the_users_value() -> None:
    base = base_action()
    mine = edited(base, intitule="Mon titre")
    theirs = edited(base, intitule="Leur titre")
    result = merge(base, mine, theirs)
    assert result.conflicts == (Conflict("intitule"),)
    assert result.action.intitule == "Mon titre"
    take_theirs(result.action, theirs, result.conflicts[0])
    assert result.action.intitule == "Leur titre"


def test_the_same_change_on_both_sides_is_no_conflict() -> None:
    base = base_action()
    result = merge(base, edited(base, intitule="Pareil"), edited(base, intitule="Pareil"))
    assert result.conflicts == () and result.action.intitule == "Pareil"


def test_the_lifecycle_data_are_always_the_stored_ones() -> None:
    base = base_action()
    mine = edited(base, status=Status.SUBMITTED, intitule="Mon titre")  # a confirmation in progress
    theirs = edited(base, version=6)
    result = merge(base, mine, theirs)
    assert result.action.status is Status.DRAFT and result.action.intitule == "Mon titre"


def test_a_justification_attached_meanwhile_is_kept_with_the_users_answers() -> None:
    base = base_action()
    mine = edited(base, intitule="Mon titre")
    theirs = edited(base, justificatif=Document(file_id="F", file_name="c.pdf"), version=5)
    result = merge(base, mine, theirs)
    assert result.conflicts == () and result.theirs_changed == ("justificatif",)
    assert result.action.intitule == "Mon titre" and result.action.justificatif is not None


def test_sessions_are_matched_by_id_added_ones_kept_and_fields_merged() -> None:
    base = base_action()
    mine = base.model_copy(deep=True)
    mine.sessions[0].places = 30
    mine.sessions.append(Session(debut=date(2027, 11, 2)))
    theirs = base.model_copy(deep=True)
    theirs.sessions[0].modalites_inscription = "Sur rendez-vous."
    theirs.sessions[1].places = 5
    theirs.sessions.append(Session(id=99, debut=date(2028, 1, 10)))
    result = merge(base, mine, theirs)
    assert result.conflicts == ()
    by_debut = {s.debut: s for s in result.action.sessions}
    first = result.action.sessions[0]
    assert first.id == 90 and first.places == 30 and first.modalites_inscription == "Sur rendez-vous."
    assert result.action.sessions[1].places == 5
    assert date(2027, 11, 2) in by_debut and by_debut[date(2027, 11, 2)].id is None
    assert date(2028, 1, 10) in by_debut


def test_a_session_removed_on_one_side_goes_only_if_the_other_left_it_alone() -> None:
    base = base_action()
    mine = base.model_copy(deep=True)
    del mine.sessions[1]  # the user removed session 2
    theirs = base.model_copy(deep=True)
    assert [s.id for s in merge(base, mine, theirs).action.sessions] == [90]
    theirs.sessions[1].places = 7  # … but a colleague changed it meanwhile: it stays
    kept = merge(base, mine, theirs).action.sessions
    assert [s.id for s in kept] == [90, 91] and kept[1].places == 7


def test_a_session_field_conflict_is_resolved_on_that_session() -> None:
    base = base_action()
    mine = base.model_copy(deep=True)
    mine.sessions[1].places = 30
    theirs = base.model_copy(deep=True)
    theirs.sessions[1].places = 5
    result = merge(base, mine, theirs)
    assert result.conflicts == (Conflict("places", 91),)
    assert value_of(result.action, result.conflicts[0]) == 30
    take_theirs(result.action, theirs, result.conflicts[0])
    assert result.action.sessions[1].places == 5


def test_without_a_base_every_difference_is_the_users_choice() -> None:
    base = base_action()
    result = merge(None, edited(base, intitule="Mon titre"), edited(base, objectif="Leur objectif."))
    assert set(result.conflicts) == {Conflict("intitule"), Conflict("objectif")}


# Properties ---------------------------------------------------------------------------------------

GENERAL = {"intitule": ["A", "B", None], "objectif": ["Un.", "Deux.", None], "rythme": ["R1", "R2"],
           "places_financees": [1, 2, None], "contenu": ["C1", "C2"]}
SESSION = {"places": [1, 2, None], "modalites_inscription": ["M1", "M2", None], "etat_recrutement": ["1", "2"]}


def _edit(draw: st.DrawFn, base: Action) -> tuple[Action, dict[str, Any]]:
    """A copy of ``base`` with some general and session fields changed; what changed (key → value,
    ``(session id, key)`` for a session field)."""
    copy = base.model_copy(deep=True)
    changed: dict[Any, Any] = {}
    for key in draw(st.sets(st.sampled_from(sorted(GENERAL)), max_size=3)):
        value = draw(st.sampled_from(GENERAL[key]))
        copy.set(key, value)
        if value != base.get(key):
            changed[key] = value
    for session in copy.sessions:
        for key in draw(st.sets(st.sampled_from(sorted(SESSION)), max_size=2)):
            value = draw(st.sampled_from(SESSION[key]))
            before = next(s for s in base.sessions if s.id == session.id).get(key)
            session.set(key, value)
            if value != before:
                changed[(session.id, key)] = value
    return copy, changed


@st.composite
def three_versions(draw: st.DrawFn) -> tuple[Action, Action, dict[Any, Any], Action, dict[Any, Any]]:
    base = base_action()
    mine, mine_changed = _edit(draw, base)
    theirs, theirs_changed = _edit(draw, base)
    theirs.version = base.version + 1
    return base, mine, mine_changed, theirs, theirs_changed


def _value(action: Action, field: Any) -> Any:
    if isinstance(field, tuple):
        return next(s for s in action.sessions if s.id == field[0]).get(field[1])
    return action.get(field)


def _conflict_field(conflict: Conflict) -> Any:
    return conflict.key if conflict.session_id is None else (conflict.session_id, conflict.key)


@given(three_versions(), st.data())
def test_a_field_changed_by_one_side_only_ends_with_that_sides_value_and_no_answer_is_lost(
    versions: tuple[Action, Action, dict[Any, Any], Action, dict[Any, Any]], data: st.DataObject
) -> None:
    base, mine, mine_changed, theirs, theirs_changed = versions
    result = merge(base, mine, theirs)
    conflicts = {_conflict_field(c) for c in result.conflicts}
    # Conflicts are exactly the fields both changed to different values.
    assert conflicts == {f for f in mine_changed.keys() & theirs_changed.keys()
                         if mine_changed[f] != theirs_changed[f]}
    for field, value in mine_changed.items():
        if field not in theirs_changed:
            assert _value(result.action, field) == value
    for field, value in theirs_changed.items():
        if field not in mine_changed:
            assert _value(result.action, field) == value
    # The user chooses: a user-changed field loses the user's value only where they chose theirs.
    chosen_theirs = set()
    for conflict in result.conflicts:
        if data.draw(st.booleans()):
            take_theirs(result.action, theirs, conflict)
            chosen_theirs.add(_conflict_field(conflict))
    for field, value in mine_changed.items():
        if field in chosen_theirs:
            assert _value(result.action, field) == theirs_changed[field]
        else:
            assert _value(result.action, field) == value
    assert [s.id for s in result.action.sessions] == [s.id for s in base.sessions]
