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
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, Literal

from lxml import etree

from domain.catalogue import ACTION_FIELDS, ORGANISATION_FIELDS, SESSION_FIELDS, FieldSpec, Kind
from domain.models import Action, Document, Organisation, Session
from domain.values import Address, Contact
from storage.lheo.errors import LeftOut, LheoExportError, ValidationIssue
from storage.lheo.schema import EXTRAS_INFO, FORMACODE_VERSION, LHEO_NS, Progress, q

Scope = Literal["public", "ofaa"]
Output = IO[bytes] | str | os.PathLike[str]

# Catalogue fields without an LHEO element: ``extras/<info>`` → ``<extra info="<info>">``.
# The justification document is for the Carif-Oref only: it never leaves in a public export.
ACTION_EXTRAS: tuple[FieldSpec, ...] = tuple(
    f for f in ACTION_FIELDS if f.lheo.startswith("extras/") and f.kind is not Kind.DOCUMENT
)
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
    left_out: list[LeftOut] = field(default_factory=list)


class _BadValue(Exception):
    """A value XML cannot carry (a control character)."""

    def __init__(self, element: str, error: str) -> None:
        super().__init__(f"{element}: {error}")
        self.element = element
        self.error = error


def lheo_date(day: date) -> str:
    """``AAAAMMJJ``, the LHEO date format."""
    return day.isoformat().replace("-", "")


def is_mobile(number: str) -> bool:
    """Whether a French number is a mobile one (06, 07): LHEO has ``portable`` for those."""
    return bool(_MOBILE.match(re.sub(r"[\s.\-()]", "", number)))


# --- the XML text of one formation ------------------------------------------------------------
#
# Each formation is assembled as text by the functions below (element names are constants of this
# module, every value is escaped), then parsed by lxml into the ``<formation>`` element that the
# ``xmlfile`` stream writes: a well-formedness check for free, and faster than creating the 130
# elements of a formation one ``SubElement`` at a time (figures: ``bench/README.md``).

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_TEXT_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;"))
_ATTR_ESCAPES = (*_TEXT_ESCAPES, ('"', "&quot;"), ("\n", "&#10;"), ("\t", "&#9;"))

Out = list[str]


def _replace(text: str, escapes: tuple[tuple[str, str], ...]) -> str:
    for char, entity in escapes:  # str.replace and ``in`` run in C: cheaper than translate
        if char in text:
            text = text.replace(char, entity)
    return text


_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _escape(name: str, text: str) -> str:
    if _SPECIAL.search(text) is None:  # the usual case, one C call
        return text
    if _ILLEGAL.search(text):
        raise _BadValue(name, "caractère interdit en XML (caractère de contrôle)")
    return _replace(text, _TEXT_ESCAPES)


_ATTR_SPECIAL = re.compile('[&<>"\r\n\t\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')


def _attrs(name: str, attributes: dict[str, str | None]) -> str:
    parts = []
    for key, value in attributes.items():
        if value is None:
            continue
        if _ATTR_SPECIAL.search(value) is not None:
            if _ILLEGAL.search(value):
                raise _BadValue(f"{name}/@{key}", "caractère interdit en XML")
            value = _replace(value, _ATTR_ESCAPES)
        parts.append(f' {key}="{value}"')
    return "".join(parts)


def _text_of(value: object) -> str:
    if type(value) is str:
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return format(value, "f")
    return value if isinstance(value, str) else str(value)


def _leaf(out: Out, name: str, value: object, **attributes: str | None) -> None:
    """``<name>value</name>`` when there is a value (booleans as 0/1, decimals with a point)."""
    if value is None or value == "":
        return
    text = _escape(name, _text_of(value))
    if attributes:
        out.append(f"<{name}{_attrs(name, attributes)}>{text}</{name}>")
    else:
        out.append(f"<{name}>{text}</{name}>")


def _open(out: Out, name: str, **attributes: str | None) -> None:
    out.append(f"<{name}{_attrs(name, attributes)}>" if attributes else f"<{name}>")


def _close(out: Out, name: str) -> None:
    out.append(f"</{name}>")


# Addresses, contacts and organisations repeat from action to action (the organisation's address
# is often the registration address of every session): their text is made once. Keys are the
# frozen value objects, or the organisation's values.
_CACHE_SIZE = 4096


@lru_cache(maxsize=_CACHE_SIZE)
def _address_xml(address: Address) -> str:
    out: Out = ["<adresse>"]
    for line in address.lignes:
        _leaf(out, "ligne", line)
    _leaf(out, "codepostal", address.code_postal)
    _leaf(out, "ville", address.ville)
    out.append("</adresse>")
    return "".join(out)


def _address(out: Out, address: Address | None) -> None:
    if address is not None:
        out.append(_address_xml(address))


def _phone(out: Out, number: str | None) -> None:
    if number:
        holder = "portable" if is_mobile(number) else "telfixe"
        out.append(f"<{holder}>")
        _leaf(out, "numtel", number)
        out.append(f"</{holder}>")


@lru_cache(maxsize=_CACHE_SIZE)
def _contact_xml(name: str, contact: Contact) -> str:
    # coordonnees: civilite, nom, prenom, ligne, adresse, telfixe, portable, fax, courriel, web
    out: Out = [f"<{name}><coordonnees>"]
    _leaf(out, "nom", contact.nom)
    _leaf(out, "prenom", contact.prenom)
    _phone(out, contact.telephone)
    _leaf(out, "courriel", contact.courriel)
    out.append(f"</coordonnees></{name}>")
    return "".join(out)


def _contact(out: Out, name: str, contact: Contact | None) -> None:
    if contact is not None:
        out.append(_contact_xml(name, contact))


def _extra_text(value: Any) -> str | None:
    if value is None or value == "" or value == ():
        return None
    if isinstance(value, date):
        return lheo_date(value)
    if isinstance(value, Document):
        # The file itself stays with formabot; the export says which one was received.
        return value.file_name or value.file_id
    if isinstance(value, tuple | list):
        return ";".join(str(v) for v in value)
    return _text_of(value)


def _extras(out: Out, pairs: Iterable[tuple[str, Any]]) -> None:
    opened = False
    for info, value in pairs:
        text = _extra_text(value)
        if text is None:
            continue
        if not opened:
            _open(out, "extras", info=EXTRAS_INFO)
            opened = True
        _leaf(out, "extra", text, info=info)
    if opened:
        _close(out, "extras")


def _extra_info(spec: FieldSpec) -> str:
    return spec.lheo.partition("/")[2]


def _stamps(created: datetime | None, updated: datetime | None, now: datetime) -> dict[str, str]:
    return {
        "datecrea": lheo_date((created or now).date()),
        "datemaj": lheo_date((updated or created or now).date()),
    }


def _session(out: Out, action: Action, session: Session, index: int) -> None:
    numero = None
    if action.reference:
        numero = f"{action.reference}-S{session.id if session.id is not None else index}"
    _open(out, "session", numero=numero)
    out.append("<periode>")
    _leaf(out, "debut", lheo_date(session.debut) if session.debut else None)
    _leaf(out, "fin", lheo_date(session.fin) if session.fin else None)
    out.append("</periode><adresse-inscription>")
    _address(out, session.adresse_inscription)
    out.append("</adresse-inscription>")
    _leaf(out, "modalites-inscription", session.modalites_inscription)
    start, end = session.inscription_debut, session.inscription_fin
    if start is not None or end is not None:
        # LHEO requires both ends of a period; formabot asks for each separately (both
        # optional), so a missing end is written with LHEO's documented « unknown » date.
        out.append("<periode-inscription><periode>")
        _leaf(out, "debut", lheo_date(start) if start else UNKNOWN_START)
        _leaf(out, "fin", lheo_date(end) if end else UNKNOWN_END)
        out.append("</periode></periode-inscription>")
    _leaf(out, "etat-recrutement", session.etat_recrutement)
    _extras(out, ((_extra_info(s), session.get(s.key)) for s in SESSION_EXTRAS))
    _close(out, "session")


def _certification(out: Out, code: str) -> None:
    # LHEO: code-RNCP is « RNCP » + digits or digits alone; code-RS is « RS » + digits.
    out.append("<certification>")
    _leaf(out, "code-RS" if code.upper().startswith("RS") else "code-RNCP", code)
    out.append("</certification>")


def _action(out: Out, action: Action, now: datetime) -> None:
    _open(out, "action", numero=action.reference_carif or action.reference,
          **_stamps(action.created_at, action.updated_at, now))
    _leaf(out, "rythme-formation", action.rythme)
    for code in action.publics or ():
        _leaf(out, "code-public-vise", code, ref=FORMACODE_VERSION)
    _leaf(out, "info-public-vise", action.info_public)
    _leaf(out, "niveau-entree-obligatoire", action.niveau_entree_obligatoire)
    _leaf(out, "modalites-alternance", action.modalites_alternance)
    _leaf(out, "modalites-enseignement", action.modalites_enseignement)
    _leaf(out, "conditions-specifiques", action.conditions_specifiques)
    _leaf(out, "prise-en-charge-frais-possible", action.prise_en_charge)
    if action.lieu_formation is not None and not action.is_distance_only:
        out.append("<lieu-de-formation><coordonnees>")
        _address(out, action.lieu_formation)
        out.append("</coordonnees></lieu-de-formation>")
    _leaf(out, "modalites-entrees-sorties", action.entrees_sorties)
    for index, session in enumerate(action.sessions, start=1):
        _session(out, action, session, index)
    _leaf(out, "acces-handicapes", action.acces_handicapes)
    _leaf(out, "prix-total-TTC", action.prix_total)
    _leaf(out, "duree-indicative", action.duree_indicative)
    _leaf(out, "nombre-heures-centre", action.heures_centre)
    _leaf(out, "nombre-heures-entreprise", action.heures_entreprise)
    _leaf(out, "nombre-heures-total", action.heures_total)
    out.append("<organisme-financeur>")
    _leaf(out, "code-financeur", action.funder.lheo_code)
    _leaf(out, "nb-places-financees", action.places_financees)
    out.append("</organisme-financeur>")
    for code in action.cofinanceurs or ():
        out.append("<organisme-financeur>")
        _leaf(out, "code-financeur", code)
        out.append("</organisme-financeur>")
    pairs = [(_extra_info(s), action.get(s.key)) for s in ACTION_EXTRAS if s.applies_to(action)]
    pairs.append((REFERENCE_OFAA_INFO, action.reference_ofaa))
    _extras(out, pairs)
    _close(out, "action")


_ORGANISATION_KEYS = (
    "reference_carif", "raison_sociale", "nom_organisme", "siret", "numero_activite", "adresse",
    "telephone", "courriel", "site_web", "contact",
)


def _organisation(out: Out, organisation: Organisation) -> None:
    out.append(_organisation_xml(tuple(organisation.get(k) for k in _ORGANISATION_KEYS)))


@lru_cache(maxsize=_CACHE_SIZE)
def _organisation_xml(key: tuple[Any, ...]) -> str:
    org = Organisation.model_construct(**dict(zip(_ORGANISATION_KEYS, key, strict=True)))
    out: Out = []
    _open(out, "organisme-formation-responsable", numero=org.reference_carif)
    _leaf(out, "numero-activite", org.numero_activite)
    out.append("<SIRET-organisme-formation>")
    _leaf(out, "SIRET", org.siret)
    out.append("</SIRET-organisme-formation>")
    _leaf(out, "nom-organisme", org.nom_organisme or org.raison_sociale)
    _leaf(out, "raison-sociale", org.raison_sociale)
    out.append("<coordonnees-organisme><coordonnees>")
    _address(out, org.adresse)
    _phone(out, org.telephone)
    _leaf(out, "courriel", org.courriel)
    if org.site_web:
        out.append("<web>")
        _leaf(out, "urlweb", org.site_web)
        out.append("</web>")
    out.append("</coordonnees></coordonnees-organisme>")
    _contact(out, "contact-organisme", org.contact)
    _close(out, "organisme-formation-responsable")
    return "".join(out)


def formation_xml(action: Action, organisation: Organisation, now: datetime) -> str:
    """The text of the ``<formation>`` element of one action (its sessions and organisation)."""
    out: Out = []
    _open(out, "formation", xmlns=LHEO_NS, numero=action.reference,
          **_stamps(action.created_at, action.updated_at, now))
    out.append("<domaine-formation>")
    for rank, code in enumerate(action.formacodes or ()):
        _leaf(out, "code-FORMACODE", code, ref=FORMACODE_VERSION,
              tag="principal" if rank == 0 else None)
    for code in action.codes_rome or ():
        _leaf(out, "code-ROME", code)
    out.append("</domaine-formation>")
    _leaf(out, "intitule-formation", action.intitule)
    _leaf(out, "objectif-formation", action.objectif)
    _leaf(out, "resultats-attendus", action.resultats_attendus)
    _leaf(out, "contenu-formation", action.contenu)
    _leaf(out, "certifiante", action.certifiante)
    _contact(out, "contact-formation", action.contact_formation)
    _leaf(out, "parcours-de-formation", action.parcours)
    _leaf(out, "code-niveau-entree", action.niveau_entree)
    _leaf(out, "objectif-general-formation", action.objectif_general)
    if action.certifiante:
        for code in action.certifications or ():
            _certification(out, code)
    _leaf(out, "code-niveau-sortie", action.niveau_sortie)
    if action.url_formation:
        out.append("<url-formation>")
        _leaf(out, "urlweb", action.url_formation)
        out.append("</url-formation>")
    _action(out, action, now)
    _organisation(out, organisation)
    _close(out, "formation")
    return "".join(out)


def build_formation(action: Action, organisation: Organisation, now: datetime) -> etree._Element:
    """The ``<formation>`` element of one action (its sessions and organisation included)."""
    return etree.fromstring(formation_xml(action, organisation, now))


_FICHE_REQUIRED: tuple[FieldSpec, ...] = tuple(f for f in ORGANISATION_FIELDS if f.required)


def missing_fiche_fields(organisation: Organisation) -> tuple[str, ...]:
    """The labels of the fiche organisme's required fields (``*`` in FIELDS.md) that are empty."""
    return tuple(
        spec.label for spec in _FICHE_REQUIRED if organisation.get(spec.key) in (None, "", ())
    )


# Checks one built ``<formation>``: the schema's objections, as French lines (none: valid).
FormationCheck = Callable[[etree._Element], list[str]]


class LheoWriter:
    """Writes an LHEO 2.3 document one action at a time (``with LheoWriter(out, now=…) as w``).

    Memory does not grow with the number of actions: each ``<formation>`` is built, serialised to
    ``out`` and dropped.

    Without ``check``, an action lxml cannot write (a character XML forbids) raises
    ``LheoExportError`` naming the action and the element. With ``check`` (what the exports use,
    ``storage.lheo.validate.check_formation``), an action is left out of the file, and listed in
    ``report.left_out`` with the reason, when its organisation's fiche lacks a required field, when
    it holds a character XML forbids, or when ``check`` finds schema errors in its formation; every
    other action is written.
    """

    def __init__(
        self, out: Output, *, now: datetime, progress: Progress | None = None,
        check: FormationCheck | None = None,
    ) -> None:
        self._out = out
        self._now = now
        self._progress = progress
        self._check = check
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

    def write(self, action: Action, organisation: Organisation) -> bool:
        """Write the action's formation; False when it was left out (see the class)."""
        check = self._check
        if check is not None:
            missing = missing_fiche_fields(organisation)
            if missing:
                return self._leave_out(action, organisation, missing=missing)
        try:
            element = build_formation(action, organisation, self._now)
        except _BadValue as bad:
            issue = ValidationIssue(
                message=f"caractère interdit en XML ({bad.error})", element=bad.element,
                reference=action.reference, position=self.report.formations + 1,
            )
            if check is not None:
                return self._leave_out(
                    action, organisation, issues=(f"élément {bad.element} : {issue.message}",)
                )
            raise LheoExportError([issue]) from bad
        if check is not None:
            issues = check(element)
            if issues:
                return self._leave_out(action, organisation, issues=tuple(issues))
        self._xf.write(element)
        self._xf.write("\n")
        self.report.formations += 1
        self.report.sessions += len(action.sessions)
        if self._progress is not None:
            self._progress.advance()
        return True

    def _leave_out(
        self, action: Action, organisation: Organisation, *, missing: tuple[str, ...] = (),
        issues: tuple[str, ...] = (),
    ) -> bool:
        self.report.left_out.append(LeftOut(
            reference=action.reference, action_id=action.id,
            organisation_id=action.organisation_id, intitule=action.intitule,
            missing=missing, issues=issues,
            organisation=organisation.nom_organisme or organisation.raison_sociale,
        ))
        if self._progress is not None:
            self._progress.advance()
        return False

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
