"""LHEO 2.3 export, written as a stream: one ``<formation>`` element built, written, dropped at a time.

One formabot action is one LHEO ``<formation>`` holding one ``<action>`` with its ``<session>``s and
the ``<organisme-formation-responsable>`` built from the organisation's fiche. Every catalogue field
is written at the element its ``FieldSpec.lheo`` names; what LHEO has no element for (catalogue
paths ``extras/…``, the places of a session, the France Travail reference) goes into
``<extras info="formabot">``. Children are written in the order of the XSD sequences (the schema
rejects any other order; ``tests/integration/test_lheo_export.py`` checks it against the XSD).

References: ``<formation numero>`` is formabot's reference (« FB-000042 »), always known, so that any
schema error inside a formation names the action; ``<action numero>`` is the Carif-Oref reference
once published (formabot's before); ``<session numero>`` is « FB-000042-S<id> ».
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from copy import deepcopy
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, Literal

from lxml import etree

from domain.catalogue import ACTION_FIELDS, SESSION_FIELDS, FieldSpec
from domain.models import Action, Document, Organisation, Session
from domain.values import Address, Contact
from storage.lheo.errors import LheoExportError, ValidationIssue
from storage.lheo.schema import EXTRAS_INFO, FORMACODE_VERSION, LHEO_NS, Progress, q

Scope = Literal["public", "ofaa"]
Output = IO[bytes] | str | os.PathLike[str]

# Catalogue fields without an LHEO element: ``extras/<info>`` → ``<extra info="<info>">``.
ACTION_EXTRAS: tuple[FieldSpec, ...] = tuple(f for f in ACTION_FIELDS if f.lheo.startswith("extras/"))
SESSION_EXTRAS: tuple[FieldSpec, ...] = tuple(
    f for f in SESSION_FIELDS if f.lheo.startswith("extras/")
)
REFERENCE_OFAA_INFO = "reference-ofaa"

# LHEO's neutral dates (``debut`` / ``fin`` documentation in the GML): an unknown start is
# 00000000, an unknown end 99999999.
UNKNOWN_START = "00000000"
UNKNOWN_END = "99999999"

_MOBILE = re.compile(r"^(?:\+33|0033|0)[67]\d{8}$")


@dataclass(slots=True)
class ExportReport:
    formations: int = 0
    sessions: int = 0
    path: Path | None = None


class _BadValue(Exception):
    """A value lxml refuses to write (a character XML does not allow)."""

    def __init__(self, element: str, error: Exception) -> None:
        super().__init__(f"{element}: {error}")
        self.element = element
        self.error = error


def lheo_date(day: date) -> str:
    """``AAAAMMJJ``, the LHEO date format."""
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def _yes_no(value: bool) -> str:
    return "1" if value else "0"


def _decimal(value: Decimal) -> str:
    return format(value, "f")


class _Tags(dict[str, str]):
    """Qualified names computed once: ``T["ligne"]`` is ``{http://lheo.gouv.fr/2.3}ligne``."""

    def __missing__(self, name: str) -> str:
        self[name] = tag = q(name)
        return tag


T = _Tags()
_SubElement = etree.SubElement


def _sub(parent: etree._Element, name: str, text: object = None, **attrib: str) -> etree._Element:
    element = _SubElement(parent, T[name], attrib) if attrib else _SubElement(parent, T[name])
    if text is not None:
        try:
            element.text = text if isinstance(text, str) else str(text)
        except ValueError as error:  # a control character: lxml refuses it
            raise _BadValue(name, error) from error
    return element


def _opt(parent: etree._Element, name: str, value: object) -> None:
    """Write ``<name>value</name>`` when there is a value (booleans as 0/1)."""
    if value is None or value == "":
        return
    if isinstance(value, bool):
        value = _yes_no(value)
    elif isinstance(value, Decimal):
        value = _decimal(value)
    _sub(parent, name, value)


# Addresses, contacts and organisations repeat from action to action (the organisation's address
# is often the registration address of every session): their subtrees are built once and copied
# (one C call) instead of being rebuilt element by element. Keys are the frozen value objects.
_CACHE_SIZE = 4096


@lru_cache(maxsize=_CACHE_SIZE)
def _address_template(address: Address) -> etree._Element:
    element = etree.Element(T["adresse"], nsmap={None: LHEO_NS})
    for line in address.lignes:
        _sub(element, "ligne", line)
    _sub(element, "codepostal", address.code_postal)
    _sub(element, "ville", address.ville)
    return element


def _address(parent: etree._Element, address: Address | None) -> None:
    if address is not None:
        parent.append(deepcopy(_address_template(address)))


def is_mobile(number: str) -> bool:
    """Whether a French number is a mobile one (06, 07): LHEO has ``portable`` for those."""
    return bool(_MOBILE.match(re.sub(r"[\s.\-()]", "", number)))


def _phone(parent: etree._Element, number: str | None) -> None:
    if not number:
        return
    holder = _sub(parent, "portable" if is_mobile(number) else "telfixe")
    _sub(holder, "numtel", number)


@lru_cache(maxsize=_CACHE_SIZE)
def _contact_template(name: str, contact: Contact) -> etree._Element:
    element = etree.Element(T[name], nsmap={None: LHEO_NS})
    # coordonnees: civilite, nom, prenom, ligne, adresse, telfixe, portable, fax, courriel, web
    coordonnees = _sub(element, "coordonnees")
    _opt(coordonnees, "nom", contact.nom)
    _opt(coordonnees, "prenom", contact.prenom)
    _phone(coordonnees, contact.telephone)
    _opt(coordonnees, "courriel", contact.courriel)
    return element


def _contact(parent: etree._Element, name: str, contact: Contact | None) -> None:
    if contact is not None:
        parent.append(deepcopy(_contact_template(name, contact)))


def _extra_text(value: Any) -> str | None:
    if value is None or value == "" or value == ():
        return None
    if isinstance(value, bool):
        return _yes_no(value)
    if isinstance(value, date):
        return lheo_date(value)
    if isinstance(value, Decimal):
        return _decimal(value)
    if isinstance(value, Document):
        # The file itself stays with formabot; the export says which one was received.
        return value.file_name or value.file_id
    if isinstance(value, tuple | list):
        return ";".join(str(v) for v in value)
    return str(value)


def _extras(parent: etree._Element, pairs: Iterable[tuple[str, Any]]) -> None:
    extras: etree._Element | None = None
    for info, value in pairs:
        text = _extra_text(value)
        if text is None:
            continue
        if extras is None:
            extras = _sub(parent, "extras", info=EXTRAS_INFO)
        _sub(extras, "extra", text, info=info)


def _extra_info(spec: FieldSpec) -> str:
    return spec.lheo.partition("/")[2]


def _stamp(element: etree._Element, created: datetime | None, updated: datetime | None,
           now: datetime) -> None:
    element.set("datecrea", lheo_date((created or now).date()))
    element.set("datemaj", lheo_date((updated or created or now).date()))


def _session(parent: etree._Element, action: Action, session: Session, index: int) -> None:
    element = _sub(parent, "session")
    if action.reference:
        element.set("numero", f"{action.reference}-S{session.id if session.id is not None else index}")
    periode = _sub(element, "periode")
    _sub(periode, "debut", lheo_date(session.debut) if session.debut else None)
    _sub(periode, "fin", lheo_date(session.fin) if session.fin else None)
    _address(_sub(element, "adresse-inscription"), session.adresse_inscription)
    _opt(element, "modalites-inscription", session.modalites_inscription)
    if session.inscription_debut is not None or session.inscription_fin is not None:
        # LHEO requires both ends of a period; formabot asks for each separately (both
        # optional), so a missing end is written with LHEO's documented « unknown » date.
        inscription = _sub(_sub(element, "periode-inscription"), "periode")
        start, end = session.inscription_debut, session.inscription_fin
        _sub(inscription, "debut", lheo_date(start) if start else UNKNOWN_START)
        _sub(inscription, "fin", lheo_date(end) if end else UNKNOWN_END)
    _opt(element, "etat-recrutement", session.etat_recrutement)
    _extras(element, ((_extra_info(s), session.get(s.key)) for s in SESSION_EXTRAS))


def _certification(parent: etree._Element, code: str) -> None:
    element = _sub(parent, "certification")
    # LHEO: code-RNCP is « RNCP » + digits or digits alone; code-RS is « RS » + digits.
    _sub(element, "code-RS" if code.upper().startswith("RS") else "code-RNCP", code)


def _action(parent: etree._Element, action: Action, now: datetime) -> int:
    element = _sub(parent, "action")
    numero = action.reference_carif or action.reference
    if numero:
        element.set("numero", numero)
    _stamp(element, action.created_at, action.updated_at, now)
    _opt(element, "rythme-formation", action.rythme)
    for code in action.publics or ():
        _sub(element, "code-public-vise", code, ref=FORMACODE_VERSION)
    _opt(element, "info-public-vise", action.info_public)
    _opt(element, "niveau-entree-obligatoire", action.niveau_entree_obligatoire)
    _opt(element, "modalites-alternance", action.modalites_alternance)
    _opt(element, "modalites-enseignement", action.modalites_enseignement)
    _opt(element, "conditions-specifiques", action.conditions_specifiques)
    _opt(element, "prise-en-charge-frais-possible", action.prise_en_charge)
    if action.lieu_formation is not None and not action.is_distance_only:
        lieu = _sub(_sub(element, "lieu-de-formation"), "coordonnees")
        _address(lieu, action.lieu_formation)
    _opt(element, "modalites-entrees-sorties", action.entrees_sorties)
    for index, session in enumerate(action.sessions, start=1):
        _session(element, action, session, index)
    _opt(element, "acces-handicapes", action.acces_handicapes)
    _opt(element, "prix-total-TTC", action.prix_total)
    _opt(element, "duree-indicative", action.duree_indicative)
    _opt(element, "nombre-heures-centre", action.heures_centre)
    _opt(element, "nombre-heures-entreprise", action.heures_entreprise)
    _opt(element, "nombre-heures-total", action.heures_total)
    financeur = _sub(element, "organisme-financeur")
    _sub(financeur, "code-financeur", action.funder.lheo_code)
    _opt(financeur, "nb-places-financees", action.places_financees)
    for code in action.cofinanceurs or ():
        _sub(_sub(element, "organisme-financeur"), "code-financeur", code)
    pairs = [(_extra_info(s), action.get(s.key)) for s in ACTION_EXTRAS if s.applies_to(action)]
    pairs.append((REFERENCE_OFAA_INFO, action.reference_ofaa))
    _extras(element, pairs)
    return len(action.sessions)


_ORGANISATION_KEYS = (
    "reference_carif", "raison_sociale", "nom_organisme", "siret", "numero_activite", "adresse",
    "telephone", "courriel", "site_web", "contact",
)


def _organisation(parent: etree._Element, organisation: Organisation) -> None:
    key = tuple(organisation.get(k) for k in _ORGANISATION_KEYS)
    parent.append(deepcopy(_organisation_template(key)))


@lru_cache(maxsize=256)
def _organisation_template(key: tuple[Any, ...]) -> etree._Element:
    org = Organisation.model_construct(**dict(zip(_ORGANISATION_KEYS, key, strict=True)))
    element = etree.Element(T["organisme-formation-responsable"], nsmap={None: LHEO_NS})
    if org.reference_carif:
        element.set("numero", org.reference_carif)
    _opt(element, "numero-activite", org.numero_activite)
    _opt(_sub(element, "SIRET-organisme-formation"), "SIRET", org.siret)
    _opt(element, "nom-organisme", org.nom_organisme or org.raison_sociale)
    _opt(element, "raison-sociale", org.raison_sociale)
    coordonnees = _sub(_sub(element, "coordonnees-organisme"), "coordonnees")
    _address(coordonnees, org.adresse)
    _phone(coordonnees, org.telephone)
    _opt(coordonnees, "courriel", org.courriel)
    if org.site_web:
        _sub(_sub(coordonnees, "web"), "urlweb", org.site_web)
    _contact(element, "contact-organisme", org.contact)
    return element


def build_formation(action: Action, organisation: Organisation, now: datetime) -> etree._Element:
    """The ``<formation>`` element of one action (its sessions and organisation included)."""
    element = etree.Element(T["formation"], nsmap={None: LHEO_NS})
    if action.reference:
        element.set("numero", action.reference)
    _stamp(element, action.created_at, action.updated_at, now)
    domaine = _sub(element, "domaine-formation")
    for rank, code in enumerate(action.formacodes or ()):
        attrib = {"ref": FORMACODE_VERSION}
        if rank == 0:
            attrib["tag"] = "principal"
        _sub(domaine, "code-FORMACODE", code, **attrib)
    for code in action.codes_rome or ():
        _sub(domaine, "code-ROME", code)
    _opt(element, "intitule-formation", action.intitule)
    _opt(element, "objectif-formation", action.objectif)
    _opt(element, "resultats-attendus", action.resultats_attendus)
    _opt(element, "contenu-formation", action.contenu)
    _opt(element, "certifiante", action.certifiante)
    _contact(element, "contact-formation", action.contact_formation)
    _opt(element, "parcours-de-formation", action.parcours)
    _opt(element, "code-niveau-entree", action.niveau_entree)
    _opt(element, "objectif-general-formation", action.objectif_general)
    if action.certifiante:
        for code in action.certifications or ():
            _certification(element, code)
    _opt(element, "code-niveau-sortie", action.niveau_sortie)
    if action.url_formation:
        _sub(_sub(element, "url-formation"), "urlweb", action.url_formation)
    _action(element, action, now)
    _organisation(element, organisation)
    return element


class LheoWriter:
    """Writes an LHEO 2.3 document one action at a time (``with LheoWriter(out, now=…) as w``).

    Memory does not grow with the number of actions: each ``<formation>`` is built, serialised to
    ``out`` and dropped. An action lxml cannot write (a character XML forbids) raises
    ``LheoExportError`` naming the action and the element.
    """

    def __init__(self, out: Output, *, now: datetime, progress: Progress | None = None) -> None:
        self._out = out
        self._now = now
        self._progress = progress
        self._stack = ExitStack()
        self._xf: Any = None
        self.report = ExportReport()

    def __enter__(self) -> LheoWriter:
        xf = self._stack.enter_context(etree.xmlfile(self._out, encoding="UTF-8"))
        xf.write_declaration()
        self._stack.enter_context(xf.element(
            q("lheo"), nsmap={None: LHEO_NS},
            attrib={"horodatage-export": self._now.isoformat(timespec="seconds")},
        ))
        xf.write("\n")
        self._stack.enter_context(xf.element(q("offres")))
        xf.write("\n")
        self._xf = xf
        return self

    def write(self, action: Action, organisation: Organisation) -> None:
        try:
            element = build_formation(action, organisation, self._now)
        except _BadValue as bad:
            issue = ValidationIssue(
                message=f"caractère interdit en XML ({bad.error})", element=bad.element,
                reference=action.reference, position=self.report.formations + 1,
            )
            raise LheoExportError([issue]) from bad
        self._xf.write(element)
        self._xf.write("\n")
        self.report.formations += 1
        self.report.sessions += len(action.sessions)
        if self._progress is not None:
            self._progress.advance()

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self._xf.write("\n")
        self._stack.__exit__(exc_type, exc, tb)  # type: ignore[arg-type]
        self._xf = None


def write_lheo(
    out: Output,
    items: Iterable[tuple[Action, Organisation]],
    *,
    now: datetime,
    progress: Progress | None = None,
) -> ExportReport:
    """Write ``items`` as an LHEO 2.3 document to ``out`` (a binary file or a path), as a stream.

    No validation here: ``storage.lheo.validate.export_lheo`` writes, validates and publishes.
    """
    if progress is not None:
        progress.start("Export LHEO")
    with LheoWriter(out, now=now, progress=progress) as writer:
        for action, organisation in items:
            writer.write(action, organisation)
    if progress is not None:
        progress.finish()
    if isinstance(out, str | os.PathLike):
        writer.report.path = Path(out)
    return writer.report


def in_scope(action: Action, scope: Scope, today: date) -> bool:
    """Whether the daily export of ``scope`` carries the action on ``today``.

    ``public``: published actions still public (the national network); ``ofaa``: what France
    Travail receives (published and public, or archived less than 30 days ago).
    """
    from domain.archiving import in_ofaa_export, is_public
    from domain.models import Status

    if scope == "ofaa":
        return in_ofaa_export(action, today)
    return action.status is Status.PUBLISHED and is_public(action, today)


def select(
    items: Iterable[tuple[Action, Organisation]], scope: Scope, today: date
) -> Iterator[tuple[Action, Organisation]]:
    """The ``items`` of ``scope`` on ``today``, lazily."""
    return ((a, o) for a, o in items if in_scope(a, scope, today))
