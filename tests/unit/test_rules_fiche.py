"""``fiche_problems``: what keeps the fiche organisme from being complete before a confirmation."""

from __future__ import annotations

from domain.catalogue import ORGANISATION_FIELDS, Section
from domain.models import Organisation
from domain.rules import fiche_problems
from tests.factories import make_organisation


def test_a_complete_fiche_has_no_problem() -> None:
    assert fiche_problems(make_organisation()) == []


def test_an_organisation_made_by_org_add_lacks_the_required_fields_in_catalogue_order() -> None:
    org = Organisation(raison_sociale="Forma Nord", nom_organisme="Forma Nord", siret="73282932000074")
    problems = fiche_problems(org)
    assert [p.key for p in problems] == ["numero_activite", "adresse", "courriel", "contact"]
    assert all(p.section == Section.ORGANISME for p in problems)
    labels = {f.key: f.label for f in ORGANISATION_FIELDS}
    assert problems[0].message == f"{labels['numero_activite']} : ce champ est obligatoire."


def test_optional_fields_may_stay_empty() -> None:
    assert fiche_problems(make_organisation(telephone=None, site_web=None)) == []


def test_a_stored_value_that_no_longer_passes_its_check_is_a_problem() -> None:
    problems = fiche_problems(make_organisation(numero_activite="123"))
    assert [p.key for p in problems] == ["numero_activite"]
