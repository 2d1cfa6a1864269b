"""Copying an action: a new draft with the general data of its source but its purchase order, and nothing else."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.catalogue import ACTION_FIELDS, FieldSpec, Kind
from domain.errors import OperationRefused
from domain.funders import Funder
from domain.lifecycle import copy_action
from domain.models import Action, Document, Status
from domain.rules import validate_general
from tests.factories import FACTORY_TODAY, make_address, make_contact, make_valid_action

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
LIFECYCLE = {
    "id": 55,
    "reference": "FB-000055",
    "reference_carif": "00555",
    "reference_ofaa": "OF-99",
    "created_at": NOW,
    "updated_at": NOW,
    "confirmed_at": NOW,
    "published_at": NOW,
    "copied_from": 12,
    "staff_comment": "Commentaire",
    "refusal_reason": "Motif",
    "justificatif_recu": True,
    "version": 4,
}


def _values(spec: FieldSpec) -> st.SearchStrategy[Any]:
    """Valid and invalid values of the field's type (never of another type)."""
    kind = spec.kind
    if kind is Kind.TEXT:
        return st.one_of(st.text(max_size=20), st.just("x" * ((spec.max_len or 10) + 1)))
    if kind is Kind.INTEGER:
        return st.integers(-3, 100_002)
    if kind is Kind.DECIMAL:
        return st.decimals(-10, 10**7, places=2, allow_nan=False, allow_infinity=False)
    if kind is Kind.YESNO:
        return st.booleans()
    if kind is Kind.CHOICE:
        return st.sampled_from([c.code for c in spec.choices] + ["zz"])
    if kind is Kind.MULTI_CHOICE:
        codes = [c.code for c in spec.choices[:6]] + ["zz"]
        return st.lists(st.sampled_from(codes), max_size=12, unique=True).map(tuple)
    if kind is Kind.CODES:
        codes = ["RNCP34567", "RS5678", "42752", "M1607", "Z999", "1234"]
        return st.lists(st.sampled_from(codes), max_size=6).map(tuple)
    if kind is Kind.ADDRESS:
        return st.sampled_from([make_address(), make_address(code_postal="3100"), make_address(ville="")])
    if kind is Kind.CONTACT:
        return st.sampled_from([make_contact(), make_contact(nom=""), make_contact(courriel=None)])
    if kind is Kind.URL:
        return st.sampled_from(["https://www.organisme.fr", "ftp://x", "x"])
    if kind is Kind.SEMESTER:
        return st.sampled_from(["S1 2027", "S2 2028", "S3 2027"])
    if kind is Kind.DOCUMENT:
        return st.just(Document(file_id="doc-9", file_name="accord.pdf"))
    raise AssertionError(kind)


@st.composite
def sources(draw: st.DrawFn) -> Action:
    # Issue 15 item 4: only the Région's published or archived actions are copied.
    status = draw(st.sampled_from([Status.PUBLISHED, Status.ARCHIVED]))
    action = make_valid_action(
        Funder.REGION, status=status, archived_on=date(2026, 12, 1) if status is Status.ARCHIVED else None,
        **LIFECYCLE,
    )
    for spec in draw(st.lists(st.sampled_from(ACTION_FIELDS), max_size=8, unique_by=lambda s: s.key)):
        action.set(spec.key, draw(st.one_of(st.none(), _values(spec))))
    return action


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(sources())
def test_copy_validates_as_its_source(source: Action) -> None:
    """Every general field recopied but those of the purchase order (emptied: asked again), so the
    copy's problems are its source's, but for those two fields."""
    copy = copy_action(source, FACTORY_TODAY)
    per_order = {spec.key for spec in ACTION_FIELDS if spec.per_order}
    assert per_order == {"numero_bon_commande", "semestre_debut"}
    assert [p for p in validate_general(copy) if p.key not in per_order] == [
        p for p in validate_general(source) if p.key not in per_order
    ]
    assert {p.key for p in validate_general(copy)} >= per_order
    for spec in ACTION_FIELDS:
        assert copy.get(spec.key) == (None if spec.per_order else source.get(spec.key))
    assert copy.funder is source.funder and copy.organisation_id == source.organisation_id
    assert copy.copied_from == 55
    assert copy.sessions == []
    assert copy.status is Status.DRAFT
    for key in LIFECYCLE:
        if key != "copied_from":
            assert copy.get(key) == Action.model_fields[key].default, key
    assert copy.archived_on is None


def test_copy_of_valid_region_action_is_a_draft_without_sessions_nor_purchase_order() -> None:
    source = make_valid_action(Funder.REGION, status=Status.PUBLISHED, id=9, reference_carif="0009")
    copy = copy_action(source, FACTORY_TODAY)
    # Issue 15 item 4: the new order's number and semester are asked (« ce champ est obligatoire »).
    assert {p.key for p in validate_general(copy)} == {"numero_bon_commande", "semestre_debut"}
    assert copy.numero_marche == source.numero_marche
    assert copy.copied_from == 9 and copy.reference_carif is None and copy.id is None
    assert copy.prix_total == Decimal("4500.00")
    # The copy is independent of its source.
    copy.intitule = "Autre intitulé"
    assert source.intitule == "Cuisinier en restauration collective"


@pytest.mark.parametrize("funder", [f for f in Funder if f is not Funder.REGION])
@pytest.mark.parametrize("status", [Status.PUBLISHED, Status.ARCHIVED])
def test_only_region_published_or_archived_may_be_copied(funder: Funder, status: Status) -> None:
    source = make_valid_action(funder, status=status, id=9, archived_on=date(2026, 12, 1))
    with pytest.raises(OperationRefused, match="Région"):
        copy_action(source, FACTORY_TODAY)


@pytest.mark.parametrize("status", [Status.DRAFT, Status.SUBMITTED, Status.APPROVED, Status.RETURNED])
def test_unfinished_actions_cannot_be_copied(status: Status) -> None:
    with pytest.raises(OperationRefused):
        copy_action(make_valid_action(Funder.REGION, status=status), FACTORY_TODAY)


@pytest.mark.parametrize("funder", list(Funder))
def test_refused_actions_cannot_be_copied(funder: Funder) -> None:
    """Issue 15 item 4 (the guide: « si le financeur est la Région et si l'action existe en
    publication ou en archivage »): a refused action, of any funder, is not copied."""
    with pytest.raises(OperationRefused, match="Refusée par le financeur"):
        copy_action(make_valid_action(funder, status=Status.REFUSED), FACTORY_TODAY)
