"""LHEO 2.2/2.3 import: drafts from the examples, the anotea defects, unsafe files, round trip."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from domain.funders import Funder
from domain.models import Action, Status
from domain.values import Address
from storage.lheo import xml_input as xml_input_module
from storage.lheo.errors import LheoImportError
from storage.lheo.export import write_lheo
from storage.lheo.import_ import DEFAULT_FUNDER, describe, read_lheo
from tests.factories import FACTORY_TODAY, make_organisation, make_valid_action

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "lheo"  # copies of ../shared/lheo/examples
MINIMAL = EXAMPLES / "exemple-minimal-2.3-synthetique.xml"
ONISEP = EXAMPLES / "exemple-bts-onisep-2.2.xml"
AFPA = EXAMPLES / "intercarif-centre-afpa-2.2-pseudonymised.xml"
ANOTEA = EXAMPLES / "anotea-intercarif-data-test-2.2.xml"
ORG = 7


def test_examples_are_there() -> None:
    for path in (MINIMAL, ONISEP, AFPA, ANOTEA):
        assert path.is_file(), path


def test_minimal_23_example() -> None:
    result = read_lheo(MINIMAL, ORG, today=date(2024, 1, 1))
    assert result.version == "2.3" and result.formations == 1
    [draft] = result.drafts
    action = draft.action
    assert action.status is Status.DRAFT and action.organisation_id == ORG
    assert action.reference is None and action.reference_carif is None
    assert draft.formation_numero == "FOR-0001" and draft.action_numero == "ACT-0001-01"
    assert action.funder is Funder.REGION
    assert action.places_financees == 12
    assert action.intitule == "Développeur web et web mobile"
    assert action.certifiante is True and action.certifications == ("RNCP37674",)
    assert action.formacodes == ("31854",) and action.codes_rome == ("M1805",)
    assert action.niveau_entree == "14" and action.niveau_sortie == "15"
    assert action.heures_centre == 945 and action.heures_entreprise == 280
    assert action.contact_formation is not None
    assert action.contact_formation.nom == "EXEMPLE"
    assert action.contact_formation.courriel == "contact@example.org"
    assert action.lieu_formation == Address(
        lignes=("1 rue de l'Exemple",), code_postal="75001", ville="Paris"
    )
    [session] = action.sessions
    assert (session.debut, session.fin) == (date(2024, 9, 2), date(2025, 4, 30))
    assert session.inscription_debut is None  # 00000000: unknown
    assert session.inscription_fin == date(2024, 8, 15)
    assert session.etat_recrutement == "1"
    # 15031 is not a Formacode V14 « public visé »: dropped and reported, hence missing.
    assert action.publics is None
    assert any("15031" in d and "Public(s) visé(s)" in d for d in draft.dropped)
    assert any(p.key == "publics" for p in draft.problems)
    # Région fields are not in the file: reported before confirmation.
    assert {"numero_marche", "numero_bon_commande", "semestre_debut"} <= {
        p.key for p in draft.problems
    }


def test_onisep_22_example() -> None:
    result = read_lheo(ONISEP, ORG, today=date(2015, 6, 1))
    assert result.version == "2.2"
    [draft] = result.drafts
    action = draft.action
    assert action.intitule == "BTS négociation et relation client"
    assert action.formacodes == ("34582", "34076")
    assert action.codes_rome == ("D1402", "D1403", "D1408")
    assert action.certifications == ("RNCP474",)
    assert action.parcours == "4" and action.niveau_entree == "0"
    assert action.duree_indicative == "2 ans"
    assert action.lieu_formation is not None and action.lieu_formation.ville == "QUIMPERLÉ"
    assert action.sessions[0].debut == date(2015, 9, 1)
    # No code-financeur at all: the default funder, said in a note.
    assert action.funder is DEFAULT_FUNDER
    assert any("par défaut" in n for n in draft.notes)
    # Old level code 6 is not one formabot offers for the exit level.
    assert action.niveau_sortie is None
    assert any("Niveau de sortie" in d and "« 6 »" in d for d in draft.dropped)
    # An empty <coordonnees> gives no contact: reported as missing.
    assert action.contact_formation is None
    assert any(p.key == "contact_formation" for p in draft.problems)


def test_afpa_22_example_two_actions_and_funders() -> None:
    result = read_lheo(AFPA, ORG, today=date(2017, 1, 1))
    assert result.formations == 1
    first, second = result.drafts
    assert (first.action_numero, second.action_numero) == ("07_114782", "07_123324")
    # Both actions share the formation's data.
    for draft in (first, second):
        assert draft.action.intitule == "Titre professionnel plaquiste"
        assert draft.action.parcours == "3"
        assert draft.action.certifications == ("RNCP320",)
    # First action: funders 10 and 5, none of formabot's → default, both kept as co-funders.
    assert first.action.funder is DEFAULT_FUNDER
    assert first.action.cofinanceurs == ("10", "5")
    # Second action: code 2 is the Région, with its places.
    assert second.action.funder is Funder.REGION
    assert second.action.heures_centre == 585 and second.action.heures_entreprise == 112
    assert second.action.sessions[0].inscription_fin == date(2018, 5, 22)
    assert second.action.contact_formation is not None
    assert second.action.contact_formation.telephone is not None
    lines = describe(result)
    assert lines[0] == "Fichier LHEO 2.2 : 1 formation(s), 2 action(s) lue(s) comme brouillons."


def test_anotea_file_is_refused_with_its_four_defects() -> None:
    with pytest.raises(LheoImportError) as raised:
        read_lheo(ANOTEA, ORG, today=FACTORY_TODAY)
    error = raised.value
    assert "4 erreurs" in error.message and "Rien n'a été importé" in error.message
    assert len(error.details) == 4
    assert error.details[0].startswith("ligne 14 : élément coordonneFs : élément inattendu")
    assert error.details[1] == "ligne 434 : élément SIRET : 15 caractères, 14 au plus."
    assert error.details[2] == "ligne 521 : élément SIRET : 15 caractères, 14 au plus."
    assert error.details[3].startswith("ligne 528 : élément adresse : élément inattendu")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lheo [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lheo xmlns="http://lheo.gouv.fr/2.3"><offres><formation>
<intitule-formation>&lol9;</intitule-formation></formation></offres></lheo>
"""


def _external_entity(target: Path) -> bytes:
    return (
        b'<?xml version="1.0"?>\n'
        b'<!DOCTYPE lheo [ <!ENTITY x SYSTEM "file://' + str(target).encode() + b'"> ]>\n'
        b'<lheo xmlns="http://lheo.gouv.fr/2.3"><offres><formation>'
        b"<intitule-formation>&x;</intitule-formation></formation></offres></lheo>\n"
    )


@pytest.fixture
def no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail if the file reaches the XML parser: an unsafe file is refused before."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the parser must not see this file")

    monkeypatch.setattr(xml_input_module.etree, "parse", refuse)
    monkeypatch.setattr(xml_input_module.etree, "fromstring", refuse)


@pytest.mark.usefixtures("no_parsing")
def test_billion_laughs_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "lol.xml"
    path.write_bytes(BILLION_LAUGHS)
    for source in (BILLION_LAUGHS, path):
        with pytest.raises(LheoImportError, match=r"refusé par sécurité.*entités XML"):
            read_lheo(source, ORG)


@pytest.mark.usefixtures("no_parsing")
def test_external_entity_is_refused_and_nothing_is_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-DO-NOT-LEAK")
    with pytest.raises(LheoImportError) as raised:
        read_lheo(_external_entity(secret), ORG)
    assert "refusé par sécurité" in raised.value.message
    assert "SECRET" not in str(raised.value)


def test_locked_parser_also_refuses_entities_without_the_precheck(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Second line of defence: with the text check disabled, the parser settings still refuse."""
    monkeypatch.setattr(xml_input_module, "_declares_entities", lambda head: False)
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-DO-NOT-LEAK")
    for data in (BILLION_LAUGHS, _external_entity(secret)):
        with pytest.raises(LheoImportError, match="refusé par sécurité") as raised:
            read_lheo(data, ORG)
        assert "SECRET" not in str(raised.value)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"<lheo xmlns='http://lheo.gouv.fr/2.3'><offres></lheo>",
         r"pas du XML bien formé \(ligne 1\)"),
        (b"", "pas du XML bien formé"),
        (b"<catalogue><offres/></catalogue>", "la racine est <catalogue>"),
        (b"<lheo xmlns='urn:autre'><offres/></lheo>", "espace de noms « urn:autre » inconnu"),
    ],
)
def test_malformed_or_foreign_files_are_refused(data: bytes, expected: str) -> None:
    with pytest.raises(LheoImportError, match=expected):
        read_lheo(data, ORG)


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(LheoImportError, match="Fichier illisible"):
        read_lheo(tmp_path / "absent.xml", ORG)


def test_bad_values_are_dropped_and_reported_not_crashing() -> None:
    action = make_valid_action(Funder.POLE_EMPLOI, reference="FB-000001")
    out = io.BytesIO()
    write_lheo(out, [(action, make_organisation())], now=datetime(2027, 1, 4, tzinfo=UTC))
    data = (
        out.getvalue()
        .replace(b"<code-ROME>G1602</code-ROME>", b"<code-ROME>Z9999</code-ROME>")
        .replace(b"<debut>20270913</debut>", b"<debut>20271300</debut>")
        .replace(b"<courriel>claire.martin@organisme.fr</courriel>", b"<courriel>pas-un-courriel</courriel>", 1)
    )
    [draft] = read_lheo(data, ORG, today=FACTORY_TODAY).drafts
    assert draft.action.codes_rome is None
    assert draft.action.sessions[1].debut is None
    assert draft.action.contact_formation is None
    assert any("Code(s) ROME" in d and "Z9999" in d for d in draft.dropped)
    assert any(d.startswith("session 2, Date de début") for d in draft.dropped)
    assert any("Contact pour la formation" in d for d in draft.dropped)
    assert {p.key for p in draft.problems} >= {"contact_formation", "debut"}


def _normalised(data: bytes) -> bytes:
    """The document without what may differ between runs: dates of the run, references."""
    root = etree.fromstring(data)
    for element in root.iter():
        for attribute in ("datecrea", "datemaj", "horodatage-export", "numero"):
            element.attrib.pop(attribute, None)
    # The justificatif itself stays with formabot: not in the file, so not re-imported.
    for extra in root.xpath("//*[local-name()='extra'][@info='justificatif' or @info='reference-ofaa']"):
        extra.getparent().remove(extra)
    return etree.tostring(root)


def _export(actions: list[Action], now: datetime) -> bytes:
    out = io.BytesIO()
    org = make_organisation()
    write_lheo(out, [(a, org) for a in actions], now=now)
    return out.getvalue()


def test_round_trip_export_import_export() -> None:
    originals = [
        make_valid_action(funder, reference=f"FB-{n:06d}", reference_carif=f"C-{n}",
                          reference_ofaa="OF-1" if n == 1 else None, status=Status.PUBLISHED,
                          prix_total=Decimal("4500.50") if n == 2 else Decimal("4500.00"))
        for n, funder in enumerate(Funder, start=1)
    ]
    first = _export(originals, datetime(2027, 1, 4, tzinfo=UTC))
    result = read_lheo(first, ORG, today=FACTORY_TODAY)
    assert [d.action.funder for d in result.drafts] == list(Funder)
    assert all(d.problems == [] for d in result.drafts), [d.problems for d in result.drafts]
    assert all(d.dropped == [] for d in result.drafts)
    second = _export(result.actions, datetime(2027, 2, 1, tzinfo=UTC))
    assert first != second  # run dates and references differ…
    assert _normalised(first) == _normalised(second)  # …and nothing else
    # Field by field, the drafts equal the originals (minus identity, references, document).
    ignore = {"reference", "reference_carif", "reference_ofaa", "status", "justificatif"}
    for original, draft in zip(originals, result.actions, strict=True):
        assert draft.model_dump(exclude=ignore) == original.model_dump(exclude=ignore)


def test_special_characters_survive_the_round_trip() -> None:
    original = make_valid_action(
        Funder.AGEFIPH, reference="FB-000009",
        intitule='R&D <avancé> « guillemets » "doubles" l\'été',
        objectif="Première ligne\nDeuxième ligne & fin > début",
    )
    data = _export([original], datetime(2027, 1, 4, tzinfo=UTC))
    assert b"R&amp;D &lt;avanc\xc3\xa9&gt;" in data
    [draft] = read_lheo(data, ORG, today=FACTORY_TODAY).drafts
    assert draft.action.intitule == original.intitule
    assert draft.action.objectif == original.objectif
