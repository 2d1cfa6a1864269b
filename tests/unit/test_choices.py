"""Choice lists show each choice once (issue 15, item 9).

One button per entry of the official LHEO table: dict-AIS gives « Perfectionnement, élargissement
des compétences » two keys (2 and 3), formabot offers it once and writes 2; 3 is still read.
« Autres financeurs » never offers the principal funder again.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.catalogue import FieldSpec, action_field
from domain.codes import canonical, lheo_table
from domain.errors import FieldError
from domain.funders import Funder
from domain.rules import validate_general
from storage.lheo.formation import formation_xml
from tests.factories import make_organisation, make_valid_action
from tests.samples import CHOICE_FIELDS

PERFECTIONNEMENT = "Perfectionnement, élargissement des compétences"


def test_the_ais_entry_with_two_keys_is_one_choice_written_2() -> None:
    table = lheo_table("dict-AIS")
    entries = [c for c in table if c.label == PERFECTIONNEMENT]
    assert len(entries) == 1
    assert (entries[0].code, entries[0].aliases) == ("2", ("3",))
    assert canonical(table, "3") == "2" and canonical(table, "6") == "6"


def test_the_other_key_of_an_entry_is_read_as_its_code() -> None:
    spec = action_field("objectif_general")
    assert spec.check("3") == "2"
    assert spec.parse("3") == "2"
    assert spec.format("3") == PERFECTIONNEMENT
    with pytest.raises(FieldError):
        spec.check("1")  # « Code(s) obsolète(s) » is not offered


def test_the_export_writes_the_entry_s_code() -> None:
    action = make_valid_action(Funder.REGION, id=1, reference="FB-000001")
    action.objectif_general = "3"  # stored by an older version (its second button)
    xml = formation_xml(action, make_organisation(), datetime(2027, 1, 4, 9, 0))
    assert "<objectif-general-formation>2</objectif-general-formation>" in xml


@given(spec=st.sampled_from(CHOICE_FIELDS), funder=st.sampled_from(list(Funder)))
def test_no_two_buttons_of_a_choice_field_have_the_same_label(spec: FieldSpec, funder: Funder) -> None:
    action = make_valid_action(funder)
    labels = [spec.choices[i].label for i in spec.offered(action)]
    assert len(labels) == len(set(labels)), spec.key
    assert labels, spec.key


@pytest.mark.parametrize("funder", list(Funder))
def test_other_funders_never_offer_the_principal_funder(funder: Funder) -> None:
    spec = action_field("cofinanceurs")
    action = make_valid_action(funder)
    offered = {spec.choices[i].code for i in spec.offered(action)}
    assert funder.lheo_code not in offered
    assert len(offered) == len(spec.choices) - 1
    with pytest.raises(FieldError, match="financeur principal"):
        spec.check_for(action, (funder.lheo_code,))
    assert spec.check_for(action, ("16",)) == ("16",)  # OPCO


def test_the_principal_funder_among_other_funders_is_a_problem_of_the_action() -> None:
    action = make_valid_action(Funder.POLE_EMPLOI, cofinanceurs=("4", "16"))
    problems = [p for p in validate_general(action) if p.key == "cofinanceurs"]
    assert len(problems) == 1 and "« Pôle emploi » est le financeur principal" in problems[0].message
