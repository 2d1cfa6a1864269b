"""« Tout saisir en un message »: every field of the catalogue written through its part's template.

Parametrised over the catalogue: each field's valid sample (``tests/samples.py``) comes back as
its parser's value, its invalid sample as its parser's message; then hostile templates.
"""

from __future__ import annotations

import pytest

from domain import catalogue
from domain.catalogue import ACTION_FIELDS, ALL_FIELDS, SESSION_FIELDS, FieldSpec, Kind, Section
from domain.errors import FieldError
from domain.template_entry import (
    TEMPLATE_MAX_CHARS,
    UNKNOWN_SHOWN,
    TemplateTooLong,
    build,
    build_blocks,
    read,
    read_blocks,
)
from tests.samples import INVALID_SAMPLES, VALID_SAMPLES, filled_template

PARTS = {section: tuple(f for f in ALL_FIELDS if f.section == section) for section in Section}
IDS = [f"{s.section}.{s.key}" for s in ALL_FIELDS]


def _filled(spec: FieldSpec, value: str) -> str:
    """The part's template with ``value`` written on ``spec``'s line (its further lines below)."""
    return filled_template(PARTS[spec.section], {spec.key: value})


def test_the_template_has_one_line_per_field_with_its_label_word_for_word_and_star() -> None:
    text = build(ACTION_FIELDS)
    assert text.splitlines()[0] == "Intitulé de la formation * :"
    assert "Formation certifiante ? * [oui / non] :" in text
    assert "Code(s) ROME [M1607, … ; 5 au plus] :" in text
    assert "Justificatif de financement" not in text  # a document is sent as a file
    assert len(text.splitlines()) == len([f for f in ACTION_FIELDS if f.kind is not Kind.DOCUMENT])


@pytest.mark.parametrize(
    "spec",
    [s for s in ALL_FIELDS if s.kind is not Kind.DOCUMENT],
    ids=lambda s: f"{s.section}.{s.key}",
)
def test_a_valid_sample_written_through_the_template_is_the_parsers_value(spec: FieldSpec) -> None:
    reading = read(PARTS[spec.section], _filled(spec, VALID_SAMPLES[spec.key]))
    assert reading.values == {spec.key: spec.parse(VALID_SAMPLES[spec.key])}
    assert (
        not reading.refused
        and not reading.unknown
        and not reading.duplicates
        and not reading.elsewhere
    )
    others = {f.key for f in PARTS[spec.section] if f.kind is not Kind.DOCUMENT} - {spec.key}
    assert set(reading.empty) == others


@pytest.mark.parametrize("spec", ALL_FIELDS, ids=IDS)
def test_an_invalid_sample_written_through_the_template_gets_the_parsers_message(
    spec: FieldSpec,
) -> None:
    sample = INVALID_SAMPLES[spec.key]
    reading = read(
        PARTS[spec.section],
        _filled(spec, sample) if spec.kind is not Kind.DOCUMENT else f"{spec.label} : {sample}",
    )
    assert spec.key not in reading.values
    if not sample.strip():
        assert spec.key in reading.empty  # nothing written: asked in turn as missing
        return
    with pytest.raises(FieldError) as refused:
        spec.parse(sample)
    assert reading.refused == {spec.key: refused.value.message}


def test_labels_match_whatever_a_copy_from_word_or_a_web_page_does_to_them() -> None:
    text = (
        "• INTITULE DE LA FORMATION* : Titre pro\n"
        "  - objectif   de la  formation\u00a0: Devenir secrétaire\n"
        "1. Résultats attendus\t Titre de niveau 4\n"
        "Le niveau d’entrée est-il obligatoire ? : non\n"
        "NOMBRE D'HEURES EN CENTRE * [nombre] ： 1 200\n"
        "▪ Code(s) formacode (22435) : 35054\n"
    )
    reading = read(ACTION_FIELDS, text)
    assert reading.values["intitule"] == "Titre pro"
    assert reading.values["objectif"] == "Devenir secrétaire"
    assert reading.values["resultats_attendus"] == "Titre de niveau 4"
    assert reading.values["niveau_entree_obligatoire"] is False
    assert reading.values["heures_centre"] == 1200
    # A changed label is not guessed: the line is reported.
    assert "formacodes" not in reading.values
    assert reading.unknown == ["▪ Code(s) formacode (22435) : 35054"]


def test_values_over_several_lines_and_on_the_line_after_the_label() -> None:
    text = (
        "Contenu de la formation * :\n"
        "Module 1 : accueil.\n\n"
        "Module 2 : gestion.\n"
        "Objectif de la formation * : Acquérir\n"
        "les compétences du métier.\n"
        "Lieu de formation * : Centre Formasud\n5 avenue de l'Europe\n31400 Toulouse\n"
        "Nombre d'heures en centre * : 1200\n"
        "une ligne perdue\n"
    )
    expected = {
        "contenu": "Module 1 : accueil.\n\nModule 2 : gestion.",
        "objectif": "Acquérir\nles compétences du métier.",
        "lieu_formation": catalogue.action_field("lieu_formation").parse(
            "Centre Formasud\n5 avenue de l'Europe\n31400 Toulouse"
        ),
        "heures_centre": 1200,
    }
    reading = read(ACTION_FIELDS, text)
    assert reading.values == expected
    assert reading.unknown == ["une ligne perdue"]  # after a one-line field: reported


def test_period_labels_holding_a_colon_are_read_whole() -> None:
    reading = read(
        SESSION_FIELDS,
        "Période d'inscription : début : 01/01/2027\nPériode d'inscription : fin : 01/03/2027",
    )
    assert reading.values == {
        "inscription_debut": catalogue.session_field("inscription_debut").parse("01/01/2027"),
        "inscription_fin": catalogue.session_field("inscription_fin").parse("01/03/2027"),
    }


def test_a_duplicated_label_takes_neither_value_and_is_reported() -> None:
    reading = read(
        ACTION_FIELDS,
        "Intitulé de la formation : A\nIntitulé de la formation * : B\nRythme de la formation : 35 h",
    )
    assert reading.duplicates == ["intitule"] and "intitule" not in reading.values
    assert reading.values == {"rythme": "35 h"}


def test_another_parts_labels_are_named_and_not_taken_nor_reported_as_unknown() -> None:
    reading = read(
        ACTION_FIELDS,
        "Date de début : 15/03/2027\nSIRET : 732 829 320 00074\nsuite\nRythme de la formation : 35 h",
    )
    assert [s.key for s in reading.elsewhere] == ["debut", "siret"]
    assert reading.values == {"rythme": "35 h"} and not reading.unknown


def test_empty_values_injections_and_unknown_lines() -> None:
    text = (
        "Intitulé de la formation * :\n"
        "Objectif de la formation * : <b>gras</b> ${{7*7}} '; DROP TABLE actions; --\n"
        "Rythme de la formation * : \x00\n"
        "Nombre d'heures en centre * : 12\n"
        "Nom du formateur : Jean\n" + "bavardage\n" * (UNKNOWN_SHOWN + 5)
    )
    reading = read(ACTION_FIELDS, text)
    assert "intitule" in reading.empty
    # Plain text, escaped on output.
    assert reading.values["objectif"] == "<b>gras</b> ${{7*7}} '; DROP TABLE actions; --"
    assert "Caractère non accepté" in reading.refused["rythme"]
    assert len(reading.unknown) == UNKNOWN_SHOWN and reading.unknown_more == 6
    assert reading.unknown[0] == "Nom du formateur : Jean"
    # After a text of several lines, the lines go with it (kept in its value, shown back: not lost).
    assert read(ACTION_FIELDS, "Rythme de la formation : 35 h\nNom du formateur : Jean").values == {
        "rythme": "35 h\nNom du formateur : Jean"
    }


def test_a_huge_template_is_refused_whole() -> None:
    with pytest.raises(TemplateTooLong):
        read(ACTION_FIELDS, "Intitulé de la formation : " + "x" * TEMPLATE_MAX_CHARS)
    with pytest.raises(TemplateTooLong):
        read(ACTION_FIELDS, "\n" * 5000)
    # Under the limit, an over-long value is refused by its own parser.
    reading = read(ACTION_FIELDS, "Intitulé de la formation : " + "x" * 5000)
    assert "255 au plus" in reading.refused["intitule"]


def test_several_sessions_one_block_each() -> None:
    template = build_blocks(SESSION_FIELDS, first=1, count=2)
    assert template.startswith("Session n° 1\nDate de début * [JJ/MM/AAAA] :")
    text = (
        "SESSION N°1\nDate de début : 15/03/2027\nDate de fin : 30/10/2027\nNombre de places : 12\n\n"
        "Session 2 :\nDate de début : 02/11/2027\nDate de fin : 31/12/2027\nNombre de places : 0\n"
    )
    first, second = read_blocks(SESSION_FIELDS, text)
    assert (first.number, second.number) == (1, 2)
    assert first.values["places"] == 12 and first.values["debut"].isoformat() == "2027-03-15"
    assert second.values["fin"].isoformat() == "2027-12-31" and "places" in second.refused
    only = read_blocks(SESSION_FIELDS, "Date de début : 15/03/2027")
    assert len(only) == 1 and only[0].number is None
