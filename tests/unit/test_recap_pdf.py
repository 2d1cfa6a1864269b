"""The printed récapitulatif looked at as a reader would (issue 15, item 6): the PDF WeasyPrint makes
of ``recap_pdf`` is opened with pypdfium2, its pages' text and places are read and page 1 is rendered
to a bitmap (``tests/pdf_support.py``), so that a layout regression (no box, one column, no page
numbers, Letter paper...) fails."""

from __future__ import annotations

import re
from datetime import date

import pytest

from dialogs.printing import render_pdf
from dialogs.recap import recap_pdf
from domain.funders import Funder
from domain.models import Action, Organisation, Status
from domain.rules import validate_action
from tests.factories import make_organisation, make_session, make_valid_action
from tests.pdf_support import A4, band, find, opened, reddish, text_of

PRINTED = date(2026, 12, 4)


def _pdf(action: Action, organisation: Organisation | None = None) -> bytes:
    org = organisation or make_organisation(reference_carif="7320143")
    problems = validate_action(action, PRINTED)
    return render_pdf(recap_pdf(action, problems, organisation=org, printed_on=PRINTED).html)


def _draft(**overrides: object) -> Action:
    return make_valid_action(Funder.REGION, organisation_id=1, reference="FB-000042", **overrides)


def test_a4_with_the_header_and_the_problems_in_a_box_on_the_first_page() -> None:
    with opened(_pdf(_draft(intitule=None))) as document:
        page = document[0]
        width, height = page.get_size()
        assert (width, height) == pytest.approx(A4, abs=1.0)
        text = text_of(page)
        for expected in (
            "Organisme responsable ou gestionnaire de l'action".upper(),
            "Organisme de démonstration",
            "Référence Carif-Oref de l'organisme : 7320143",
            "Siège : 12 rue des Lilas, Bâtiment B, 31000 Toulouse",
            "Contact : Claire Martin",
            "Action n° FB-000042",
            "Financeur principal : Région",
            "Statut : En cours de création",
            "Imprimé le 04/12/2026",
        ):
            assert expected in text, expected
        # The header is at the top of the page, the box under it, in the upper third.
        header = find(page, "Action n° FB-000042")
        title = find(page, "À corriger avant de confirmer (1)")
        problem = find(page, "Intitulé de la formation : ce champ est obligatoire.")
        assert header is not None and title is not None and problem is not None
        assert header[3] > height - 100 and height * 2 / 3 < title[1] < header[1]
        # The box is drawn: its tint and frame around the problem's line, across the page.
        tinted = band(page, title[3] + 4, problem[1] - 4)
        assert sum(map(reddish, tinted)) > len(tinted) / 2, "no coloured box behind the problems"
        # The problem is not in the tables' red « — » only: the box holds it, on page 1 only.
        assert all("À corriger avant de confirmer" not in text_of(p) for p in list(document)[1:])


def test_no_problem_no_red_box() -> None:
    with opened(_pdf(_draft(intitule="Soudeur TIG"))) as document:
        page = document[0]
        assert "À corriger avant de confirmer" not in text_of(page)
        ok = find(page, "Aucune erreur relevée dans les données saisies.")
        assert ok is not None
        assert not any(map(reddish, band(page, ok[3] + 4, ok[1] - 4)))


def test_each_part_is_a_two_column_table_with_the_required_fields_marked() -> None:
    with opened(_pdf(_draft(intitule="Soudeur TIG"))) as document:
        page = document[0]
        labels = ["Objectif de la formation", "Résultats attendus", "Code(s) ROME"]
        values = ["Préparer et servir des repas", "Titre professionnel de cuisinier.", "G1602"]
        label_boxes = [find(page, label) for label in labels]
        value_boxes = [find(page, value) for value in values]
        assert None not in label_boxes and None not in value_boxes
        for label, value in zip(label_boxes, value_boxes, strict=True):
            assert label is not None and value is not None
            assert abs(label[3] - value[3]) < 2, "the value is not on its label's line"
            assert value[0] > label[2] + 20, "the value is not in a column of its own"
        # One column of labels, one of values, whatever their length.
        assert max(b[0] for b in label_boxes if b) - min(b[0] for b in label_boxes if b) < 1
        assert max(b[0] for b in value_boxes if b) - min(b[0] for b in value_boxes if b) < 1
        text = text_of(page)
        assert "Objectif de la formation *" in text  # required
        assert re.search(r"Code\(s\) ROME\s+G1602", text)  # optional: no mark
        assert "* donnée obligatoire" in text


def test_a_long_action_runs_over_numbered_pages() -> None:
    action = _draft(intitule="Soudeur TIG", sessions=[make_session() for _ in range(12)])
    with opened(_pdf(action)) as document:
        pages = list(document)
        assert len(pages) >= 3
        for number, page in enumerate(pages, start=1):
            text = text_of(page)
            assert f"page {number}/{len(pages)}" in text
            assert "Imprimé le 04/12/2026" in text
            if number > 1:  # the following pages name the action at their top
                assert "Récapitulatif · Action n° FB-000042" in text
        last = text_of(pages[-1])
        assert "Session n° 12" in last


def test_a_published_action_shows_its_carif_oref_number_and_a_new_one_says_it_has_none() -> None:
    published = _draft(intitule="Soudeur TIG", status=Status.PUBLISHED, reference_carif="CO-2027-000042")
    with opened(_pdf(published)) as document:
        text = text_of(document[0])
        assert "Référence Carif-Oref de l'action : CO-2027-000042" in text and "Statut : Publiée" in text
    new = make_valid_action(Funder.REGION, organisation_id=1, intitule="Soudeur TIG")
    bare = make_organisation()
    with opened(_pdf(new, bare)) as document:
        text = text_of(document[0])
        assert "Nouvelle action (pas encore enregistrée)" in text
        assert "Référence Carif-Oref de l'organisme : pas encore attribuée" in text
