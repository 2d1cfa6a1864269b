"""The lifecycle: what each status allows, the transitions, their events and refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from domain.errors import ActionInvalid, OperationRefused
from domain.events import Event, EventKind, event_from_payload
from domain.funders import Circuit, Funder
from domain.lifecycle import (
    Operation,
    allowed_operations,
    approve,
    archive,
    confirm,
    copy_action,
    ensure_allowed,
    ensure_can_delete,
    funder_can_decide,
    mark_justification,
    publish,
    record_vote,
    refuse,
    return_for_correction,
    staff_operations,
)
from domain.models import Action, Status
from domain.sessions import update_session_dates
from tests.factories import FACTORY_TODAY, make_session, make_valid_action

D = date
NOW = datetime(2027, 1, 4, 10, 30, tzinfo=UTC)
ARCHIVED_ON = D(2026, 12, 1)
AFTER_LAST_START = D(2027, 9, 13)  # the factory's last session starts that day
Op = Operation


def at(funder: Funder, status: Status, **overrides: Any) -> Action:
    """A valid action of ``funder`` in ``status`` with the lifecycle data that status implies."""
    data: dict[str, Any] = {"id": 101, "reference": "FB-000101", "status": status}
    if status not in (Status.DRAFT,):
        data["confirmed_at"] = NOW
    if status in (Status.PUBLISHED, Status.ARCHIVED):
        data["reference_carif"] = "00042"
        data["published_at"] = NOW
    if status is Status.ARCHIVED:
        data["archived_on"] = ARCHIVED_ON
    data.update(overrides)
    return make_valid_action(funder, **data)


# What the organisation may do ----------------------------------------------------------------

COMMON = {
    Status.DRAFT: {Op.VIEW, Op.MODIFY, Op.CONFIRM, Op.DELETE},
    Status.SUBMITTED: {Op.VIEW},
    Status.APPROVED: {Op.VIEW},
    Status.REFUSED: {Op.VIEW},  # issue 15 item 4: only Région published or archived are copied
    Status.RETURNED: {Op.VIEW, Op.MODIFY, Op.CONFIRM},
    Status.PUBLISHED: {Op.VIEW, Op.UPDATE_DATES},
    Status.ARCHIVED: {Op.VIEW},
}
REGION_EXTRA = {Status.PUBLISHED: {Op.COPY}, Status.ARCHIVED: {Op.COPY}}


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("funder", list(Funder))
def test_organisation_operations_table(funder: Funder, status: Status) -> None:
    expected = set(COMMON[status])
    if funder is Funder.REGION:
        expected |= REGION_EXTRA.get(status, set())
    assert allowed_operations(at(funder, status), FACTORY_TODAY) == frozenset(expected)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (D(2027, 11, 30), {Op.VIEW, Op.COPY}),
        (D(2027, 12, 1), set()),  # one year after archiving: gone
    ],
)
def test_archived_viewable_for_one_year(today: date, expected: set[Operation]) -> None:
    action = at(Funder.REGION, Status.ARCHIVED)
    assert allowed_operations(action, today) == frozenset(expected)
    if not expected:
        with pytest.raises(OperationRefused, match="plus d'un an"):
            copy_action(action, today)


def test_staff_operations_are_not_organisation_operations() -> None:
    for status in Status:
        for funder in Funder:
            org = allowed_operations(at(funder, status), FACTORY_TODAY)
            staff = staff_operations(at(funder, status), AFTER_LAST_START)
            assert not org & staff
            assert {Op.APPROVE, Op.REFUSE, Op.RETURN, Op.PUBLISH, Op.RECORD_VOTE, Op.ARCHIVE}.isdisjoint(
                org
            )
    assert staff_operations(at(Funder.POLE_EMPLOI, Status.SUBMITTED), FACTORY_TODAY) == {
        Op.APPROVE, Op.REFUSE, Op.RETURN, Op.PUBLISH
    }


# Every status × every operation ----------------------------------------------------------------

ALL = set(Status)


def allowed_statuses(funder: Funder, op: Operation) -> set[Status]:
    region = funder is Funder.REGION
    return {
        Op.VIEW: ALL,
        Op.MODIFY: {Status.DRAFT, Status.RETURNED},
        Op.CONFIRM: {Status.DRAFT, Status.RETURNED},
        Op.DELETE: {Status.DRAFT},
        Op.COPY: {Status.PUBLISHED, Status.ARCHIVED} if region else set(),
        Op.UPDATE_DATES: {Status.DRAFT, Status.RETURNED, Status.PUBLISHED},
        Op.APPROVE: set() if region else {Status.SUBMITTED},
        Op.REFUSE: {Status.SUBMITTED},
        Op.RETURN: {Status.SUBMITTED, Status.APPROVED},
        Op.PUBLISH: {Status.APPROVED} | ({Status.SUBMITTED} if funder.circuit is Circuit.VALIDATORS else set()),
        Op.MARK_JUSTIFICATION: (
            {Status.DRAFT, Status.RETURNED, Status.SUBMITTED} if funder.circuit is Circuit.JUSTIFICATION else set()
        ),
        Op.RECORD_VOTE: {Status.SUBMITTED} if region else set(),
        Op.ARCHIVE: {Status.PUBLISHED},
    }[op]


RESULT = {
    Op.CONFIRM: Status.SUBMITTED,
    Op.APPROVE: Status.APPROVED,
    Op.REFUSE: Status.REFUSED,
    Op.RETURN: Status.RETURNED,
    Op.PUBLISH: Status.PUBLISHED,
    Op.RECORD_VOTE: Status.APPROVED,
    Op.ARCHIVE: Status.ARCHIVED,
}
EVENT = {
    Op.CONFIRM: EventKind.CONFIRMED,
    Op.APPROVE: EventKind.APPROVED,
    Op.REFUSE: EventKind.REFUSED,
    Op.RETURN: EventKind.RETURNED,
    Op.PUBLISH: EventKind.PUBLISHED,
    Op.RECORD_VOTE: EventKind.APPROVED,
    Op.ARCHIVE: EventKind.ARCHIVED,
    Op.MARK_JUSTIFICATION: EventKind.JUSTIFICATION_RECEIVED,
}


def run(op: Operation, action: Action) -> list[Event] | Action | None:
    if op in (Op.VIEW, Op.MODIFY):
        ensure_allowed(action, op, FACTORY_TODAY)
        return None
    if op is Op.CONFIRM:
        return confirm(action, FACTORY_TODAY, NOW)
    if op is Op.DELETE:
        ensure_can_delete(action)
        return None
    if op is Op.COPY:
        return copy_action(action, FACTORY_TODAY)
    if op is Op.UPDATE_DATES:
        return update_session_dates(action, 0, D(2027, 4, 1), D(2027, 6, 30), FACTORY_TODAY)
    if op is Op.APPROVE:
        return approve(action)
    if op is Op.REFUSE:
        return refuse(action, "Action hors du périmètre de l'appel d'offres.")
    if op is Op.RETURN:
        return return_for_correction(action, "Le Formacode principal ne convient pas.")
    if op is Op.PUBLISH:
        return publish(action, "00042", NOW)
    if op is Op.MARK_JUSTIFICATION:
        return mark_justification(action)
    if op is Op.RECORD_VOTE:
        return record_vote(action)
    if op is Op.ARCHIVE:
        return archive(action, AFTER_LAST_START)
    raise AssertionError(op)


@pytest.mark.parametrize("op", list(Operation))
@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("funder", list(Funder))
def test_every_status_and_operation(funder: Funder, status: Status, op: Operation) -> None:
    action = at(funder, status, justificatif_recu=op is not Op.MARK_JUSTIFICATION)
    before = action.model_dump()
    if status not in allowed_statuses(funder, op):
        with pytest.raises(OperationRefused) as refused:
            run(op, action)
        assert refused.value.message  # a French explanation
        assert action.model_dump() == before
        return
    result = run(op, action)
    assert action.status is RESULT.get(op, status)
    if op is Op.COPY:
        assert isinstance(result, Action) and result.status is Status.DRAFT
    elif op in EVENT:
        assert isinstance(result, list)
        assert [e.kind for e in result] == [EVENT[op]]
        assert all(e.action_id == 101 and e.organisation_id == 7 for e in result)
    elif op is Op.UPDATE_DATES:
        expected = [EventKind.SESSION_DATES_CHANGED] if status is Status.PUBLISHED else []
        assert isinstance(result, list) and [e.kind for e in result] == expected
    else:
        assert result is None


# Confirmation --------------------------------------------------------------------------------


def test_confirm_submits_and_sets_confirmed_at() -> None:
    action = at(Funder.REGION, Status.DRAFT, confirmed_at=None)
    events = confirm(action, FACTORY_TODAY, NOW)
    assert action.status is Status.SUBMITTED
    assert action.confirmed_at == NOW
    assert events == [event_from_payload(EventKind.CONFIRMED, 101, 7, {"funder": "region", "reference": "FB-000101"})]


def test_double_confirm_refused() -> None:
    action = at(Funder.AGEFIPH, Status.DRAFT)
    confirm(action, FACTORY_TODAY, NOW)
    with pytest.raises(OperationRefused, match="confirmée"):
        confirm(action, FACTORY_TODAY, NOW)
    assert action.status is Status.SUBMITTED


def test_confirm_invalid_raises_with_problems() -> None:
    action = at(Funder.REGION, Status.DRAFT, intitule=None, numero_bon_commande=2)
    action.sessions[1].fin = D(2027, 9, 1)
    with pytest.raises(ActionInvalid) as invalid:
        confirm(action, FACTORY_TODAY, NOW)
    found = {(p.key, p.session) for p in invalid.value.problems}
    assert found == {("intitule", None), ("numero_bon_commande", None), ("fin", 2)}
    assert "Intitulé de la formation : ce champ est obligatoire." in invalid.value.message
    assert "Session n° 2 : " in invalid.value.message
    assert action.status is Status.DRAFT and action.confirmed_at is None


def test_confirm_without_session_refused() -> None:
    action = at(Funder.POLE_EMPLOI, Status.DRAFT, sessions=[])
    with pytest.raises(ActionInvalid, match="Ajoutez au moins une session"):
        confirm(action, FACTORY_TODAY, NOW)


def test_confirm_with_no_session_to_come_refused() -> None:
    action = at(Funder.POLE_EMPLOI, Status.DRAFT)
    with pytest.raises(ActionInvalid, match="archivée"):
        confirm(action, AFTER_LAST_START, NOW)


def test_confirm_returned_action_clears_the_comment() -> None:
    action = at(Funder.POLE_EMPLOI, Status.SUBMITTED)
    return_for_correction(action, "  Précisez le rythme.  ")
    assert action.staff_comment == "Précisez le rythme."
    confirm(action, FACTORY_TODAY, NOW)
    assert action.status is Status.SUBMITTED and action.staff_comment is None


# Funders and staff ---------------------------------------------------------------------------


@pytest.mark.parametrize("funder", [Funder.ETAT_EMPLOI, Funder.ETAT_AUTRES])
def test_etat_approved_only_after_justification(funder: Funder) -> None:
    action = at(funder, Status.SUBMITTED)
    with pytest.raises(OperationRefused, match="justificatif"):
        approve(action)
    with pytest.raises(OperationRefused, match="validée"):
        publish(action, "00042", NOW)
    assert mark_justification(action)[0].kind is EventKind.JUSTIFICATION_RECEIVED
    assert action.justificatif_recu
    with pytest.raises(OperationRefused, match="déjà"):
        mark_justification(action)
    approve(action)
    assert action.status is Status.APPROVED


def test_region_is_approved_by_the_vote() -> None:
    action = at(Funder.REGION, Status.SUBMITTED)
    with pytest.raises(OperationRefused, match="commission permanente"):
        approve(action)
    with pytest.raises(OperationRefused, match="vote"):
        publish(action, "00042", NOW)
    assert record_vote(action) == [event_from_payload(EventKind.APPROVED, 101, 7, {"via": "vote"})]
    assert action.status is Status.APPROVED


@pytest.mark.parametrize("funder", [Funder.POLE_EMPLOI, Funder.AGEFIPH])
def test_carif_may_publish_without_the_funder_validation(funder: Funder) -> None:
    action = at(funder, Status.SUBMITTED)
    assert publish(action, " 00042 ", NOW) == [
        event_from_payload(EventKind.PUBLISHED, 101, 7, {"reference_carif": "00042"})
    ]
    assert action.status is Status.PUBLISHED
    assert action.reference_carif == "00042" and action.published_at == NOW


def test_refuse_needs_a_reason() -> None:
    action = at(Funder.AGEFIPH, Status.SUBMITTED)
    with pytest.raises(OperationRefused, match="motif"):
        refuse(action, "   ")
    assert action.status is Status.SUBMITTED
    events = refuse(action, "Public non prioritaire.")
    assert events == [event_from_payload(EventKind.REFUSED, 101, 7, {"reason": "Public non prioritaire."})]
    assert action.refusal_reason == "Public non prioritaire." and action.status is Status.REFUSED


def test_return_needs_a_comment() -> None:
    action = at(Funder.REGION, Status.APPROVED)
    with pytest.raises(OperationRefused, match="corriger"):
        return_for_correction(action, "")
    events = return_for_correction(action, "Formacode à revoir.")
    assert events == [event_from_payload(EventKind.RETURNED, 101, 7, {"comment": "Formacode à revoir."})]
    assert action.status is Status.RETURNED


def test_publish_needs_a_reference() -> None:
    action = at(Funder.REGION, Status.APPROVED)
    with pytest.raises(OperationRefused, match="référence"):
        publish(action, " ", NOW)
    assert action.status is Status.APPROVED and action.reference_carif is None


def test_archive_only_when_no_longer_public() -> None:
    action = at(Funder.REGION, Status.PUBLISHED)
    with pytest.raises(OperationRefused, match="session à venir"):
        archive(action, D(2027, 9, 12))
    assert archive(action, AFTER_LAST_START) == [
        event_from_payload(EventKind.ARCHIVED, 101, 7, {"archived_on": "13/09/2027"})
    ]
    assert action.status is Status.ARCHIVED and action.archived_on == AFTER_LAST_START


def test_funder_can_decide() -> None:
    submitted = at(Funder.POLE_EMPLOI, Status.SUBMITTED)
    assert funder_can_decide(Funder.POLE_EMPLOI, submitted)
    assert not funder_can_decide(Funder.AGEFIPH, submitted)
    for status in Status:
        if status is not Status.SUBMITTED:
            assert not funder_can_decide(Funder.POLE_EMPLOI, at(Funder.POLE_EMPLOI, status))


# Session dates -------------------------------------------------------------------------------


def test_update_dates_of_published_action() -> None:
    action = at(Funder.REGION, Status.PUBLISHED)
    events = update_session_dates(action, 1, D(2027, 10, 4), D(2028, 1, 28), FACTORY_TODAY)
    assert (action.sessions[1].debut, action.sessions[1].fin) == (D(2027, 10, 4), D(2028, 1, 28))
    assert events == [event_from_payload(EventKind.SESSION_DATES_CHANGED, 101, 7, {
        "session": "2", "debut": "04/10/2027", "fin": "28/01/2028",
        "old_debut": "13/09/2027", "old_fin": "17/12/2027",
    })]
    assert action.status is Status.PUBLISHED


@pytest.mark.parametrize(
    ("index", "debut", "fin", "key"),
    [
        (1, D(2027, 10, 4), D(2028, 9, 16), "fin"),  # 18 months after 15/03/2027 + 1 day
        (0, D(2027, 7, 1), D(2027, 8, 1), "debut"),  # first session leaves S1 2027
        (1, D(2027, 10, 4), D(2027, 10, 3), "fin"),  # end before start
    ],
)
def test_update_dates_checked_before_change(index: int, debut: date, fin: date, key: str) -> None:
    action = at(Funder.REGION, Status.PUBLISHED)
    before = action.model_dump()
    with pytest.raises(ActionInvalid) as invalid:
        update_session_dates(action, index, debut, fin, FACTORY_TODAY)
    assert key in {p.key for p in invalid.value.problems}
    assert action.model_dump() == before


def test_update_dates_limit_is_allowed() -> None:
    action = at(Funder.REGION, Status.PUBLISHED)
    update_session_dates(action, 1, D(2027, 10, 4), D(2028, 9, 15), FACTORY_TODAY)
    assert action.sessions[1].fin == D(2028, 9, 15)


def test_update_dates_of_missing_session() -> None:
    action = at(Funder.REGION, Status.PUBLISHED)
    with pytest.raises(OperationRefused, match="n° 3"):
        update_session_dates(action, 2, D(2027, 10, 4), D(2027, 12, 1), FACTORY_TODAY)


def test_update_dates_of_a_draft_emits_nothing() -> None:
    action = at(Funder.AGEFIPH, Status.DRAFT, sessions=[make_session(None, None)])
    assert update_session_dates(action, 0, D(2027, 4, 1), D(2027, 5, 1), FACTORY_TODAY) == []
    assert action.sessions[0].debut == D(2027, 4, 1)


def test_update_dates_ignores_other_problems_of_a_draft() -> None:
    action = at(Funder.REGION, Status.DRAFT, numero_bon_commande=2)
    action.sessions[0].adresse_inscription = None
    update_session_dates(action, 0, D(2027, 4, 1), D(2027, 5, 1), FACTORY_TODAY)
    assert action.sessions[0].debut == D(2027, 4, 1)


# Deleting ------------------------------------------------------------------------------------


def test_only_a_draft_may_be_deleted() -> None:
    ensure_can_delete(at(Funder.REGION, Status.DRAFT))
    with pytest.raises(OperationRefused, match="supprimer"):
        ensure_can_delete(at(Funder.REGION, Status.RETURNED))
