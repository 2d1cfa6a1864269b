"""LHEO 2.3 export: valid against the XSD, in schema order, every catalogue field, atomic."""

from __future__ import annotations

import io
import os
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from lxml import etree

from domain.catalogue import ACTION_FIELDS, ORGANISATION_FIELDS, SESSION_FIELDS
from domain.funders import Funder
from domain.models import Action, Organisation, Status
from storage.lheo import validate as validate_module
from storage.lheo.errors import LeftOut, LheoExportError, NothingToExport
from storage.lheo.export import build_formation, in_scope, write_lheo
from storage.lheo.schema import LHEO_NS, lheo_schema, local_name, sequence_order
from storage.lheo.validate import AtomicLheoExport, export_lheo, validate_lheo
from tests.factories import FACTORY_TODAY, make_organisation, make_session, make_valid_action

NOW = datetime(2027, 1, 4, 5, 30, tzinfo=UTC)
NS = {"l": LHEO_NS}


def published(funder: Funder, number: int, **overrides: object) -> Action:
    data: dict[str, object] = {
        "id": number,
        "reference": f"FB-{number:06d}",
        "reference_carif": f"24_AF_{number:07d}",
        "status": Status.PUBLISHED,
        "created_at": datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
        "updated_at": datetime(2026, 12, 15, 9, 0, tzinfo=UTC),
    }
    data.update(overrides)
    return make_valid_action(funder, **data)


def every_funder() -> list[Action]:
    return [published(funder, n) for n, funder in enumerate(Funder, start=1)]


def export_bytes(actions: list[Action], organisation: Organisation | None = None) -> bytes:
    org = organisation or make_organisation(reference_carif="ORG-0007")
    out = io.BytesIO()
    write_lheo(out, [(a, org) for a in actions], now=NOW)
    return out.getvalue()


def formation_of(root: etree._Element, reference: str) -> etree._Element:
    found = root.find(f"l:offres/l:formation[@numero='{reference}']", NS)
    assert found is not None, reference
    return found


def test_every_funder_validates_against_the_xsd(tmp_path: Path) -> None:
    data = export_bytes(every_funder())
    root = etree.fromstring(data)
    assert lheo_schema().validate(root), lheo_schema().error_log
    assert len(root.findall("l:offres/l:formation", NS)) == len(Funder)
    # The streamed validator agrees.
    path = tmp_path / "export.xml"
    path.write_bytes(data)
    report = validate_lheo(path)
    assert report.valid and report.formations == len(Funder)


def _check_order(element: etree._Element) -> list[str]:
    errors: list[str] = []
    order = sequence_order(local_name(element.tag))
    if order:
        ranks = [order.index(local_name(c.tag)) for c in element if local_name(c.tag) in order]
        unknown = [local_name(c.tag) for c in element if local_name(c.tag) not in order]
        if unknown:
            errors.append(f"{local_name(element.tag)}: not in its sequence: {unknown}")
        if ranks != sorted(ranks):
            errors.append(f"{local_name(element.tag)}: {[local_name(c.tag) for c in element]}")
    for child in element:
        errors.extend(_check_order(child))
    return errors


def test_children_follow_the_xsd_sequence_order() -> None:
    root = etree.fromstring(export_bytes(every_funder()))
    assert sequence_order("action")[:3] == ("rythme-formation", "code-public-vise", "info-public-vise")
    assert _check_order(root) == []


def test_dates_are_aaaammjj_and_references_in_numero() -> None:
    action = published(Funder.AGEFIPH, 42)
    action.sessions[0].id = 901
    root = etree.fromstring(export_bytes([action]))
    formation = formation_of(root, "FB-000042")
    assert formation.get("datecrea") == "20261102"
    assert formation.get("datemaj") == "20261215"
    element = formation.find("l:action", NS)
    assert element is not None
    assert element.get("numero") == "24_AF_0000042"
    sessions = element.findall("l:session", NS)
    assert [s.get("numero") for s in sessions] == ["FB-000042-S901", "FB-000042-S2"]
    assert sessions[0].findtext("l:periode/l:debut", namespaces=NS) == "20270315"
    assert sessions[0].findtext("l:periode/l:fin", namespaces=NS) == "20270630"
    assert sessions[0].findtext("l:periode-inscription/l:periode/l:debut", namespaces=NS) == (
        "20270104"
    )
    for text in root.xpath("//l:debut/text() | //l:fin/text()", namespaces=NS):
        assert re.fullmatch(r"\d{8}", text)
    organisme = formation.find("l:organisme-formation-responsable", NS)
    assert organisme is not None and organisme.get("numero") == "ORG-0007"


def test_values_funders_hours_and_code_tables() -> None:
    action = published(Funder.ETAT_EMPLOI, 3, cofinanceurs=("3", "16"), heures_centre=400,
                       heures_entreprise=35, certifications=("RNCP34567", "RS5678"))
    root = etree.fromstring(export_bytes([action]))
    element = root.find("l:offres/l:formation/l:action", NS)
    assert element is not None
    financeurs = element.findall("l:organisme-financeur", NS)
    assert [f.findtext("l:code-financeur", namespaces=NS) for f in financeurs] == ["11", "3", "16"]
    assert financeurs[0].findtext("l:nb-places-financees", namespaces=NS) == "12"
    assert financeurs[1].find("l:nb-places-financees", NS) is None
    assert element.findtext("l:nombre-heures-total", namespaces=NS) == "435"
    assert element.findtext("l:prix-total-TTC", namespaces=NS) == "4500.00"
    assert element.findtext("l:niveau-entree-obligatoire", namespaces=NS) == "0"
    formation = root.find("l:offres/l:formation", NS)
    assert formation is not None
    codes = formation.findall("l:domaine-formation/l:code-FORMACODE", NS)
    assert [(c.text, c.get("ref"), c.get("tag")) for c in codes] == [
        ("42752", "V14", "principal"), ("42745", "V14", None)
    ]
    certifications = [(local_name(c.tag), c.text) for c in formation.iterfind("l:certification/*", NS)]
    assert certifications == [("code-RNCP", "RNCP34567"), ("code-RS", "RS5678")]
    publics = element.findall("l:code-public-vise", NS)
    assert [(p.text, p.get("ref")) for p in publics] == [("80001", "V14"), ("80003", "V14")]


def _extras(element: etree._Element) -> dict[str, str]:
    return {
        str(e.get("info")): str(e.text)
        for e in element.iterfind("l:extras[@info='formabot']/l:extra", NS)
    }


def test_extras_carry_what_lheo_has_no_element_for() -> None:
    region = published(Funder.REGION, 1, reference_ofaa="OF-777")
    etat = published(Funder.ETAT_AUTRES, 2)
    pole = published(Funder.POLE_EMPLOI, 3)
    root = etree.fromstring(export_bytes([region, etat, pole]))

    def action_of(reference: str) -> etree._Element:
        found = formation_of(root, reference).find("l:action", NS)
        assert found is not None
        return found

    assert _extras(action_of("FB-000001")) == {
        "numero-marche": "2027-014 lot 3", "numero-bon-commande": "1",
        "semestre-debut": "S1 2027", "reference-ofaa": "OF-777",
    }
    assert _extras(action_of("FB-000002")) == {
        "reference-convention": "CONV-2027-0042",  # the justification document stays private
    }
    assert action_of("FB-000003").find("l:extras", NS) is None
    session = action_of("FB-000001").find("l:session", NS)
    assert session is not None and _extras(session) == {"places": "12"}


def _present(formation: etree._Element, lheo: str) -> bool:
    scope, _, rest = lheo.partition("/")
    if scope == "extras":
        return True  # checked by test_extras_carry_what_lheo_has_no_element_for
    base = {
        "formation": formation,
        "action": formation.find("l:action", NS),
        "session": formation.find("l:action/l:session", NS),
        "organisme-formation-responsable": formation.find("l:organisme-formation-responsable", NS),
    }[scope]
    assert base is not None
    return base.find("/".join(f"l:{p}" for p in rest.split("/")), NS) is not None


def test_every_catalogue_field_is_written_at_its_lheo_path() -> None:
    root = etree.fromstring(export_bytes([published(Funder.REGION, 1)]))
    formation = formation_of(root, "FB-000001")
    missing = [
        f"{spec.key} → {spec.lheo}"
        for spec in (*ORGANISATION_FIELDS, *ACTION_FIELDS, *SESSION_FIELDS)
        if not _present(formation, spec.lheo)
    ]
    assert missing == []


def test_mobile_numbers_go_to_portable() -> None:
    org = make_organisation(telephone="06 12 34 56 78")
    root = etree.fromstring(export_bytes([published(Funder.REGION, 1)], org))
    coordonnees = root.find(".//l:coordonnees-organisme/l:coordonnees", NS)
    assert coordonnees is not None
    assert coordonnees.findtext("l:portable/l:numtel", namespaces=NS) == "06 12 34 56 78"
    assert coordonnees.find("l:telfixe", NS) is None


def test_distance_only_action_has_no_place_and_partial_inscription_uses_neutral_dates() -> None:
    action = published(
        Funder.POLE_EMPLOI, 5, modalites_enseignement="2", lieu_formation=None,
        sessions=[make_session(inscription_debut=None, inscription_fin=date(2027, 3, 1)),
                  make_session(inscription_debut=date(2027, 1, 10), inscription_fin=None)],
    )
    root = etree.fromstring(export_bytes([action]))
    assert lheo_schema().validate(root), lheo_schema().error_log
    element = root.find("l:offres/l:formation/l:action", NS)
    assert element is not None
    assert element.find("l:lieu-de-formation", NS) is None
    periods = [
        (p.findtext("l:debut", namespaces=NS), p.findtext("l:fin", namespaces=NS))
        for p in element.iterfind("l:session/l:periode-inscription/l:periode", NS)
    ]
    assert periods == [("00000000", "20270301"), ("20270110", "99999999")]


# The export in a child process (the command line's) and in the caller's.
BOTH_WAYS = pytest.mark.parametrize("parallel", [True, False], ids=["child-process", "in-process"])


def _with_a_title_too_long(tmp_path: Path) -> tuple[Path, list[tuple[Action, Organisation]], Action]:
    """The file to write; an action of every funder, and FB-000042 whose title is forced in past the
    catalogue (last)."""
    bad = published(Funder.AGEFIPH, 42)
    bad.intitule = "x" * 300
    return tmp_path / "offre.xml", [(a, make_organisation()) for a in [*every_funder(), bad]], bad


@BOTH_WAYS
def test_invalid_action_is_left_out_named_and_every_other_one_exported(
    tmp_path: Path, parallel: bool
) -> None:
    """RULES.md « Exports never fail as a whole » (issue 13, finding 15)."""
    out, items, bad = _with_a_title_too_long(tmp_path)
    report = export_lheo(out, items, NOW, parallel=parallel)
    assert report.formations == len(Funder)
    assert report.left_out == [LeftOut(
        reference="FB-000042", action_id=42, organisation_id=bad.organisation_id, intitule=bad.intitule,
        issues=("élément intitule-formation : 300 caractères, 255 au plus.",), organisation="Organisme de démonstration",
    )]
    assert validate_lheo(out).valid
    numeros = etree.parse(str(out)).xpath("//l:formation/@numero", namespaces=NS)
    assert numeros == [a.reference for a in every_funder()]
    assert os.listdir(tmp_path) == ["offre.xml"]  # no temporary file left


def test_action_of_an_incomplete_fiche_is_left_out_before_it_is_built(tmp_path: Path) -> None:
    out = tmp_path / "offre.xml"
    bare = make_organisation(id=8, numero_activite=None, adresse=None, courriel="", contact=None)
    orphan = published(Funder.REGION, 43, organisation_id=8)
    items = [(orphan, bare), *((a, make_organisation()) for a in every_funder())]
    report = export_lheo(out, items, NOW, parallel=False)
    assert report.formations == len(Funder)
    [left] = report.left_out
    assert (left.reference, left.organisation_id, left.issues) == ("FB-000043", 8, ())
    assert left.missing == ("Numéro de déclaration d'activité", "Adresse du siège", "Courriel",
                            "Contact de l'organisme")
    assert str(left).startswith("Action FB-000043 : fiche organisme incomplète (Numéro de déclaration")
    assert "FB-000043" not in out.read_text(encoding="utf-8")
    assert validate_lheo(out).valid


@BOTH_WAYS
def test_without_per_action_check_one_invalid_action_refuses_the_file(
    tmp_path: Path, parallel: bool
) -> None:
    out, items, _ = _with_a_title_too_long(tmp_path)
    with pytest.raises(LheoExportError) as raised:
        export_lheo(out, items, NOW, parallel=parallel, check=False)
    message = str(raised.value)
    assert "Action FB-000042 : élément intitule-formation : 300 caractères, 255 au plus" in message
    assert raised.value.issues[0].reference == "FB-000042"
    assert raised.value.issues[0].element == "intitule-formation"
    assert not out.exists()
    assert os.listdir(tmp_path) == []  # no temporary file left either


def test_nothing_left_to_export_keeps_the_previous_file(tmp_path: Path) -> None:
    out = tmp_path / "offre.xml"
    export_lheo(out, [(a, make_organisation()) for a in every_funder()], NOW, parallel=False)
    before = out.read_bytes()
    bad = published(Funder.REGION, 9, sessions=[])  # LHEO requires a session
    with pytest.raises(NothingToExport) as raised:
        export_lheo(out, [(bad, make_organisation())], NOW, parallel=False)
    [left] = raised.value.left_out
    assert left.reference == "FB-000009"
    assert re.search(r"élément acces-handicapes : .* attendu : .*session", left.issues[0])
    assert out.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["offre.xml"]


def test_character_xml_cannot_carry_is_reported_not_crashing(tmp_path: Path) -> None:
    bad = published(Funder.REGION, 8, objectif="Bip\x07")
    report = export_lheo(tmp_path / "o.xml", [(bad, make_organisation()), (published(Funder.REGION, 9),
                                                                            make_organisation())], NOW)
    assert report.formations == 1
    [left] = report.left_out
    assert left.reference == "FB-000008"
    assert left.issues[0].startswith("élément objectif-formation : caractère interdit en XML")
    with pytest.raises(LheoExportError, match="Action FB-000008 : élément objectif-formation"):
        export_lheo(tmp_path / "p.xml", [(bad, make_organisation())], NOW, parallel=False, check=False)
    assert os.listdir(tmp_path) == ["o.xml"]


def test_valid_export_is_validated_by_the_child_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def not_here(*args: object, **kwargs: object) -> None:
        raise AssertionError("the child process validates, not this one")

    monkeypatch.setattr(validate_module, "validate_lheo", not_here)
    out = tmp_path / "offre.xml"
    export = AtomicLheoExport(out, now=NOW)
    with export as writer:
        for action in every_funder():
            writer.write(action, make_organisation())
    assert export.validation is not None and export.validation.valid
    assert export.validation.formations == len(Funder)
    assert out.exists()


def test_without_the_child_process_the_file_is_validated_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def cannot_start() -> None:
        raise OSError("no process for you")

    monkeypatch.setattr(validate_module, "ParallelValidator", cannot_start)
    bad = published(Funder.REGION, 7, certifiante=None)
    with pytest.raises(LheoExportError, match="Action FB-000007 : élément contact-formation"):
        export_lheo(tmp_path / "o.xml", [(bad, make_organisation())], NOW, check=False)
    assert os.listdir(tmp_path) == []


def test_valid_export_is_published_readable(tmp_path: Path) -> None:
    out = tmp_path / "offre.xml"
    report = export_lheo(out, [(a, make_organisation()) for a in every_funder()], NOW)
    assert report.formations == len(Funder) and report.sessions == 2 * len(Funder)
    assert report.path == out
    assert out.stat().st_mode & 0o777 == 0o644
    assert validate_lheo(out).valid


def test_scopes_use_the_archiving_policy() -> None:
    public = published(Funder.REGION, 1)
    draft = make_valid_action(Funder.REGION)
    archived = published(Funder.REGION, 2, status=Status.ARCHIVED, archived_on=date(2026, 12, 20))
    assert in_scope(public, "public", FACTORY_TODAY) and in_scope(public, "ofaa", FACTORY_TODAY)
    assert not in_scope(draft, "public", FACTORY_TODAY)
    assert not in_scope(archived, "public", FACTORY_TODAY)
    assert in_scope(archived, "ofaa", FACTORY_TODAY)


def test_validator_reports_envelope_problems(tmp_path: Path) -> None:
    path = tmp_path / "bad.xml"
    formation = etree.tostring(build_formation(published(Funder.REGION, 1), make_organisation(), NOW))
    path.write_bytes(
        b'<lheo xmlns="http://lheo.gouv.fr/2.3"><offres><intrus/>' + formation
        + b"</offres><autre/></lheo>"
    )
    issues = [str(i) for i in validate_lheo(path).issues]
    assert issues == [
        "Fichier : élément intrus : élément inattendu dans <offres>. (ligne 1)",
        "Fichier : élément autre : élément inattendu dans <lheo>. (ligne 1)",
    ]
    path.write_bytes(b'<lheo xmlns="http://www.lheo.org/2.2"><offres/></lheo>')
    assert "LHEO 2.2" in str(validate_lheo(path).issues[0])


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def start(self, description: str, total: int | None = None) -> None:
        self.calls.append(("start", description))

    def advance(self, count: int = 1) -> None:
        self.calls.append(("advance", count))

    def finish(self) -> None:
        self.calls.append(("finish", None))


def test_progress_is_reported_per_action(tmp_path: Path) -> None:
    recorder = Recorder()
    export_lheo(tmp_path / "o.xml", [(a, make_organisation()) for a in every_funder()], NOW,
                progress=recorder, parallel=False)
    assert recorder.calls[0] == ("start", "Export LHEO")
    assert recorder.calls.count(("advance", 1)) == 2 * len(Funder)  # written, then validated
    assert ("start", "Validation LHEO") in recorder.calls
    assert recorder.calls[-1] == ("finish", None)


def test_cli_progress_bar_only_on_a_terminal() -> None:
    from bot.commands.lheo import RichProgress, make_progress
    from domain.lheo import NoProgress

    class Stream(io.StringIO):
        def __init__(self, tty: bool) -> None:
            super().__init__()
            self.tty = tty

        def isatty(self) -> bool:
            return self.tty

    assert isinstance(make_progress(Stream(False)), NoProgress)
    assert isinstance(make_progress(Stream(True)), RichProgress)
