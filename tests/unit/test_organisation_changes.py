"""What a write of the organisation may change in each status (``organisation_change_refusal``)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import ChangeNotAllowed
from domain.funders import Funder
from domain.lifecycle import (
    CONTENT_KEYS,
    SESSION_KEYS_AFTER_PUBLICATION,
    changes,
    confirm,
    ensure_organisation_may_store,
    organisation_change_refusal,
    organisation_may_modify,
)
from domain.models import Action, Document, Session, Status
from domain.sessions import update_session_dates
from tests.factories import FACTORY_TODAY, edited, make_valid_action, with_session_ids

NOW = datetime(2027, 1, 4, 10, 30, tzinfo=UTC)
LOCKED = (Status.SUBMITTED, Status.APPROVED, Status.REFUSED, Status.ARCHIVED)
SESSION_TEXT = {"modalites_inscription": "Sur rendez-vous.", "etat_recrutement": "2", "places": 20}


def stored(status: Status, funder: Funder = Funder.REGION, **overrides: Any) -> Action:
    data: dict[str, Any] = {"id": 5, "reference": "FB-000005", "version": 3, "status": status}
    if status is not Status.DRAFT:
        data["confirmed_at"] = NOW
    if status in (Status.PUBLISHED, Status.ARCHIVED):
        data.update(reference_carif="CO-1", published_at=NOW)
    if status is Status.ARCHIVED:
        data["archived_on"] = date(2027, 12, 20)
    data.update(overrides)
    return with_session_ids(make_valid_action(funder, **data), 50)


@pytest.mark.parametrize("status", [Status.DRAFT, Status.RETURNED])
def test_a_draft_or_returned_action_takes_any_field_and_session_change(status: Status) -> None:
    before = stored(status)
    after = edited(before, intitule="Autre titre", prix_total=None)
    after.sessions.append(Session(debut=date(2027, 11, 2)))
    del after.sessions[0]
    assert organisation_change_refusal(before, after, FACTORY_TODAY) is None


@pytest.mark.parametrize("status", LOCKED)
def test_a_locked_action_takes_no_change_from_the_organisation(status: Status) -> None:
    before = stored(status)
    assert organisation_change_refusal(before, edited(before, intitule="Réécrit")) is not None
    sessions = before.model_copy(deep=True)
    sessions.sessions[0].places = 99
    assert organisation_change_refusal(before, sessions) is not None
    with pytest.raises(ChangeNotAllowed) as caught:
        ensure_organisation_may_store(before, edited(before, intitule="Réécrit"))
    assert caught.value.changed == ("intitule",)


def test_a_published_action_takes_only_what_rules_md_lists_in_its_sessions() -> None:
    before = stored(Status.PUBLISHED)
    assert organisation_change_refusal(before, edited(before, intitule="Réécrit")) is not None
    for key, value in SESSION_TEXT.items():
        after = before.model_copy(deep=True)
        after.sessions[1].set(key, value)
        assert organisation_change_refusal(before, after) is None, key
    moved = before.model_copy(deep=True)
    update_session_dates(moved, 0, date(2027, 3, 8), date(2027, 6, 25), FACTORY_TODAY)
    assert organisation_change_refusal(before, moved) is None
    address = before.model_copy(deep=True)
    address.sessions[0].adresse_inscription = None
    assert organisation_change_refusal(before, address) is not None
    added = before.model_copy(deep=True)
    added.sessions.append(Session(debut=date(2027, 11, 2), fin=date(2027, 12, 2)))
    assert organisation_change_refusal(before, added) is not None  # the Carif-Oref adds sessions
    removed = before.model_copy(deep=True)
    del removed.sessions[1]
    assert organisation_change_refusal(before, removed) is not None


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.APPROVED, Status.REFUSED,
                                    Status.PUBLISHED, Status.DRAFT])
def test_the_etat_justification_may_be_sent_until_archiving(status: Status) -> None:
    before = stored(status, Funder.ETAT_EMPLOI)
    after = edited(before, justificatif=Document(file_id="F1", file_name="convention.pdf"))
    assert organisation_change_refusal(before, after) is None
    archived = stored(Status.ARCHIVED, Funder.ETAT_EMPLOI)
    assert organisation_change_refusal(
        archived, edited(archived, justificatif=Document(file_id="F1"))) is not None


@pytest.mark.parametrize("status", [Status.DRAFT, Status.RETURNED])
def test_the_status_changes_only_by_confirm(status: Status) -> None:
    before = stored(status, staff_comment="À revoir" if status is Status.RETURNED else None)
    confirmed = before.model_copy(deep=True)
    confirm(confirmed, FACTORY_TODAY, NOW)
    assert organisation_change_refusal(before, confirmed, FACTORY_TODAY) is None
    for forged in (
        edited(before, status=Status.PUBLISHED, reference_carif="CO-X", published_at=NOW),
        edited(before, status=Status.APPROVED),
        edited(before, status=Status.SUBMITTED),  # no confirmation date: not confirm's doing
        edited(before, justificatif_recu=True),
        edited(before, reference_carif="CO-X"),
    ):
        assert organisation_change_refusal(before, forged, FACTORY_TODAY) is not None
    incomplete = edited(confirmed, intitule=None)
    assert organisation_change_refusal(before, incomplete, FACTORY_TODAY) is not None


def test_a_new_action_is_a_draft_or_confirmed_at_once_never_anything_else() -> None:
    new = make_valid_action(Funder.REGION)
    assert organisation_change_refusal(None, new, FACTORY_TODAY) is None
    confirmed = new.model_copy(deep=True)
    confirm(confirmed, FACTORY_TODAY, NOW)
    assert organisation_change_refusal(None, confirmed, FACTORY_TODAY) is None
    published = edited(new, status=Status.PUBLISHED, reference_carif="CO-1", published_at=NOW)
    assert organisation_change_refusal(None, published, FACTORY_TODAY) is not None
    assert organisation_change_refusal(None, edited(new, justificatif_recu=True)) is not None


def test_the_organisation_and_funder_never_change() -> None:
    before = stored(Status.DRAFT)
    assert organisation_change_refusal(before, edited(before, organisation_id=8)) is not None
    assert organisation_change_refusal(before, edited(before, funder=Funder.AGEFIPH)) is not None


def test_storage_bookkeeping_is_not_a_change() -> None:
    before = stored(Status.SUBMITTED)
    after = edited(before, version=9, updated_at=NOW, reference="FB-000099")
    assert changes(before, after) == ()
    assert organisation_change_refusal(before, after) is None


def test_only_draft_and_returned_keep_a_form() -> None:
    assert {s for s in Status if organisation_may_modify(stored(s))} == {Status.DRAFT, Status.RETURNED}


# The property: whatever an organisation's write changes, it is stored only if its status allows it.

_GENERAL_VALUES = {"intitule": "Titre réécrit", "objectif": "Un autre objectif.", "places_financees": 3,
                   "prix_total": None, "rythme": "Autre rythme"}
_SESSION_VALUES = {"debut": date(2027, 3, 8), "places": 40, "adresse_inscription": None,
                   "modalites_inscription": "Autres modalités.", "etat_recrutement": "3"}


@st.composite
def organisation_writes(draw: st.DrawFn) -> tuple[Action, Action, set[str], set[str]]:
    status = draw(st.sampled_from(list(Status)))
    before = stored(status)
    after = before.model_copy(deep=True)
    general = draw(st.sets(st.sampled_from(sorted(_GENERAL_VALUES)), max_size=3))
    for key in general:
        after.set(key, _GENERAL_VALUES[key])
    session_keys = draw(st.sets(st.sampled_from(sorted(_SESSION_VALUES)), max_size=3))
    index = draw(st.integers(0, len(after.sessions) - 1))
    for key in session_keys:
        after.sessions[index].set(key, _SESSION_VALUES[key])
    return before, after, {k for k in general if before.get(k) != after.get(k)}, {
        k for k in session_keys if before.sessions[index].get(k) != after.sessions[index].get(k)
    }


@given(organisation_writes())
def test_a_write_is_allowed_exactly_when_the_status_allows_what_it_changes(
    write: tuple[Action, Action, set[str], set[str]],
) -> None:
    before, after, general, session = write
    refused = organisation_change_refusal(before, after, FACTORY_TODAY) is not None
    if (not general and not session) or before.status in (Status.DRAFT, Status.RETURNED):
        assert not refused
    elif before.status is Status.PUBLISHED:
        assert refused == bool(general or session - SESSION_KEYS_AFTER_PUBLICATION)
    else:
        assert refused
    # Whatever is refused names a content key it would have changed.
    if refused:
        assert any(c.split("].")[-1] in (*CONTENT_KEYS, *session) for c in changes(before, after))


@pytest.mark.parametrize("status", list(Status))
def test_where_the_form_was_saved_is_the_organisations_while_it_may_modify(status: Status) -> None:
    """``resume_at`` (issue 15 item 5) is a change like a field's: written on a draft or a returned
    action, refused on an action the organisation may no longer modify."""
    before = stored(status)
    after = edited(before, resume_at="sessions[0].fin")
    assert changes(before, after) == ("resume_at",)
    refused = organisation_change_refusal(before, after, FACTORY_TODAY) is not None
    assert refused == (not organisation_may_modify(before))
