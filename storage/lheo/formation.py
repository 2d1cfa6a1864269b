"""The XML text of the ``<formation>`` of one action, with its ``<action>``, ``<session>``s and
``<organisme-formation-responsable>``, children in the order of the XSD sequences.

Each formation is assembled as text by the functions below (element names are constants of this
module, every value is escaped), then parsed by lxml into the ``<formation>`` element that the
``xmlfile`` stream writes: a well-formedness check for free, and faster than creating the 130
elements of a formation one ``SubElement`` at a time (figures: ``bench/README.md``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from lxml import etree

from domain.catalogue import ACTION_FIELDS, SESSION_FIELDS, FieldSpec, Kind, action_field
from domain.codes import canonical
from domain.models import Action, Document, Organisation, Session
from domain.values import Address, Contact
from storage.lheo.schema import EXTRAS_INFO, FORMACODE_VERSION, LHEO_NS
from storage.lheo.xml_text import Out, close_tag, leaf, open_tag, text_of

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


def _written_code(key: str, code: str | None) -> str | None:
    """The code the export writes for a choice: its table entry's first key (``domain.codes``)."""
    return canonical(action_field(key).choices, code) if code is not None else None


def lheo_date(day: date) -> str:
    """``AAAAMMJJ``, the LHEO date format."""
    return day.isoformat().replace("-", "")


def is_mobile(number: str) -> bool:
    """Whether a French number is a mobile one (06, 07): LHEO has ``portable`` for those."""
    return bool(_MOBILE.match(re.sub(r"[\s.\-()]", "", number)))


# Addresses, contacts and organisations repeat from action to action (the organisation's address
# is often the registration address of every session): their text is made once. Keys are the
# frozen value objects, or the organisation's values.
_CACHE_SIZE = 4096


@lru_cache(maxsize=_CACHE_SIZE)
def _address_xml(address: Address) -> str:
    out: Out = ["<adresse>"]
    for line in address.lignes:
        leaf(out, "ligne", line)
    leaf(out, "codepostal", address.code_postal)
    leaf(out, "ville", address.ville)
    out.append("</adresse>")
    return "".join(out)


def _address(out: Out, address: Address | None) -> None:
    if address is not None:
        out.append(_address_xml(address))


def _phone(out: Out, number: str | None) -> None:
    if number:
        holder = "portable" if is_mobile(number) else "telfixe"
        out.append(f"<{holder}>")
        leaf(out, "numtel", number)
        out.append(f"</{holder}>")


@lru_cache(maxsize=_CACHE_SIZE)
def _contact_xml(name: str, contact: Contact) -> str:
    # coordonnees: civilite, nom, prenom, ligne, adresse, telfixe, portable, fax, courriel, web
    out: Out = [f"<{name}><coordonnees>"]
    leaf(out, "nom", contact.nom)
    leaf(out, "prenom", contact.prenom)
    _phone(out, contact.telephone)
    leaf(out, "courriel", contact.courriel)
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
    return text_of(value)


def _extras(out: Out, pairs: Iterable[tuple[str, Any]]) -> None:
    opened = False
    for info, value in pairs:
        text = _extra_text(value)
        if text is None:
            continue
        if not opened:
            open_tag(out, "extras", info=EXTRAS_INFO)
            opened = True
        leaf(out, "extra", text, info=info)
    if opened:
        close_tag(out, "extras")


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
    open_tag(out, "session", numero=numero)
    out.append("<periode>")
    leaf(out, "debut", lheo_date(session.debut) if session.debut else None)
    leaf(out, "fin", lheo_date(session.fin) if session.fin else None)
    out.append("</periode><adresse-inscription>")
    _address(out, session.adresse_inscription)
    out.append("</adresse-inscription>")
    leaf(out, "modalites-inscription", session.modalites_inscription)
    start, end = session.inscription_debut, session.inscription_fin
    if start is not None or end is not None:
        # LHEO requires both ends of a period; formabot asks for each separately (both
        # optional), so a missing end is written with LHEO's documented « unknown » date.
        out.append("<periode-inscription><periode>")
        leaf(out, "debut", lheo_date(start) if start else UNKNOWN_START)
        leaf(out, "fin", lheo_date(end) if end else UNKNOWN_END)
        out.append("</periode></periode-inscription>")
    leaf(out, "etat-recrutement", session.etat_recrutement)
    _extras(out, ((_extra_info(s), session.get(s.key)) for s in SESSION_EXTRAS))
    close_tag(out, "session")


def _certification(out: Out, code: str) -> None:
    # LHEO: code-RNCP is « RNCP » + digits or digits alone; code-RS is « RS » + digits.
    out.append("<certification>")
    leaf(out, "code-RS" if code.upper().startswith("RS") else "code-RNCP", code)
    out.append("</certification>")


# Runs of simple elements, each (element, attribute of the action), in the schema's order.
_PRESENTATION = (
    ("intitule-formation", "intitule"), ("objectif-formation", "objectif"),
    ("resultats-attendus", "resultats_attendus"), ("contenu-formation", "contenu"), ("certifiante", "certifiante"),
)
_ACCESS = (
    ("info-public-vise", "info_public"), ("niveau-entree-obligatoire", "niveau_entree_obligatoire"),
    ("modalites-alternance", "modalites_alternance"), ("modalites-enseignement", "modalites_enseignement"),
    ("conditions-specifiques", "conditions_specifiques"), ("prise-en-charge-frais-possible", "prise_en_charge"),
)
_COSTS = (
    ("acces-handicapes", "acces_handicapes"), ("prix-total-TTC", "prix_total"),
    ("duree-indicative", "duree_indicative"), ("nombre-heures-centre", "heures_centre"),
    ("nombre-heures-entreprise", "heures_entreprise"), ("nombre-heures-total", "heures_total"),
)


def _leaves(out: Out, source: object, elements: tuple[tuple[str, str], ...]) -> None:
    """``leaf`` for each (element, attribute of ``source``)."""
    for name, attribute in elements:
        leaf(out, name, getattr(source, attribute))


def _action(out: Out, action: Action, now: datetime) -> None:
    open_tag(out, "action", numero=action.reference_carif or action.reference,
          **_stamps(action.created_at, action.updated_at, now))
    leaf(out, "rythme-formation", action.rythme)
    for code in action.publics or ():
        leaf(out, "code-public-vise", code, ref=FORMACODE_VERSION)
    _leaves(out, action, _ACCESS)
    if action.lieu_formation is not None and not action.is_distance_only:
        out.append("<lieu-de-formation><coordonnees>")
        _address(out, action.lieu_formation)
        out.append("</coordonnees></lieu-de-formation>")
    leaf(out, "modalites-entrees-sorties", action.entrees_sorties)
    for index, session in enumerate(action.sessions, start=1):
        _session(out, action, session, index)
    _leaves(out, action, _COSTS)
    out.append("<organisme-financeur>")
    leaf(out, "code-financeur", action.funder.lheo_code)
    leaf(out, "nb-places-financees", action.places_financees)
    out.append("</organisme-financeur>")
    for code in action.cofinanceurs or ():
        out.append("<organisme-financeur>")
        leaf(out, "code-financeur", code)
        out.append("</organisme-financeur>")
    pairs = [(_extra_info(s), action.get(s.key)) for s in ACTION_EXTRAS if s.applies_to(action)]
    pairs.append((REFERENCE_OFAA_INFO, action.reference_ofaa))
    _extras(out, pairs)
    close_tag(out, "action")


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
    open_tag(out, "organisme-formation-responsable", numero=org.reference_carif)
    leaf(out, "numero-activite", org.numero_activite)
    out.append("<SIRET-organisme-formation>")
    leaf(out, "SIRET", org.siret)
    out.append("</SIRET-organisme-formation>")
    leaf(out, "nom-organisme", org.nom_organisme or org.raison_sociale)
    leaf(out, "raison-sociale", org.raison_sociale)
    out.append("<coordonnees-organisme><coordonnees>")
    _address(out, org.adresse)
    _phone(out, org.telephone)
    leaf(out, "courriel", org.courriel)
    if org.site_web:
        out.append("<web>")
        leaf(out, "urlweb", org.site_web)
        out.append("</web>")
    out.append("</coordonnees></coordonnees-organisme>")
    _contact(out, "contact-organisme", org.contact)
    close_tag(out, "organisme-formation-responsable")
    return "".join(out)


def formation_xml(action: Action, organisation: Organisation, now: datetime) -> str:
    """The text of the ``<formation>`` element of one action (its sessions and organisation)."""
    out: Out = []
    open_tag(out, "formation", xmlns=LHEO_NS, numero=action.reference,
          **_stamps(action.created_at, action.updated_at, now))
    out.append("<domaine-formation>")
    for rank, code in enumerate(action.formacodes or ()):
        leaf(out, "code-FORMACODE", code, ref=FORMACODE_VERSION,
              tag="principal" if rank == 0 else None)
    for code in action.codes_rome or ():
        leaf(out, "code-ROME", code)
    out.append("</domaine-formation>")
    _leaves(out, action, _PRESENTATION)
    _contact(out, "contact-formation", action.contact_formation)
    leaf(out, "parcours-de-formation", action.parcours)
    leaf(out, "code-niveau-entree", action.niveau_entree)
    # One code per entry of dict-AIS: « Perfectionnement… » (keys 2 and 3) is written 2.
    leaf(out, "objectif-general-formation", _written_code("objectif_general", action.objectif_general))
    if action.certifiante:
        for code in action.certifications or ():
            _certification(out, code)
    leaf(out, "code-niveau-sortie", action.niveau_sortie)
    if action.url_formation:
        out.append("<url-formation>")
        leaf(out, "urlweb", action.url_formation)
        out.append("</url-formation>")
    _action(out, action, now)
    _organisation(out, organisation)
    close_tag(out, "formation")
    return "".join(out)


def build_formation(action: Action, organisation: Organisation, now: datetime) -> etree._Element:
    """The ``<formation>`` element of one action (its sessions and organisation included)."""
    return etree.fromstring(formation_xml(action, organisation, now))
