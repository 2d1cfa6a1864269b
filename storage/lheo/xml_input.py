"""Reading an untrusted LHEO 2.2 or 2.3 file: the locked-down parser, the check of the root and
its version (2.2 moved to the 2.3 namespace), the schema check, and the readers of element values.

The parser is locked down: no entity substitution, no DTD loading, no network, no huge trees. A
file with an internal DTD subset (where entities are declared: billion laughs, external entities)
is refused before anything of it is used; an LHEO file never needs one.
"""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from typing import Any

from lxml import etree

from domain.catalogue import FieldSpec, Kind
from domain.values import Address, Contact
from storage.lheo.errors import LheoImportError
from storage.lheo.formation import UNKNOWN_END, UNKNOWN_START
from storage.lheo.schema import LHEO_22_NS, LHEO_NS, lheo_schema, local_name, q
from storage.lheo.validate import issue_from_log

MAX_ERRORS = 50
NS = {"l": LHEO_NS}


def _secure_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
        dtd_validation=False, remove_comments=True, remove_pis=True,
    )


_UNSAFE = (
    "Fichier refusé par sécurité : il déclare ou utilise des entités XML (DOCTYPE), ce qu'un "
    "fichier LHEO ne fait jamais. Aucune entité n'a été lue ni développée."
)
_HEAD = 1 << 16


def _declares_entities(head: bytes) -> bool:
    """Whether the start of the file declares entities (any encoding XML allows without a BOM
    is ASCII-compatible; UTF-16 files start with a BOM)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", errors="ignore")
        return "<!ENTITY" in text
    return b"<!ENTITY" in head


def parse_secure(source: bytes | str | os.PathLike[str]) -> etree._ElementTree:
    """Parse an untrusted XML file; refuse (``LheoImportError``) anything unsafe or malformed.

    Entity declarations are refused before the parser sees the file (so no external entity is
    ever fetched); the parser is locked down as a second line of defence.
    """
    try:
        if isinstance(source, bytes):
            head = source[:_HEAD]
        else:
            with open(source, "rb") as handle:
                head = handle.read(_HEAD)
    except OSError as error:
        raise LheoImportError(f"Fichier illisible : {error.strerror or error}.") from error
    if _declares_entities(head):
        raise LheoImportError(_UNSAFE)
    parser = _secure_parser()
    try:
        if isinstance(source, bytes):
            tree = etree.ElementTree(etree.fromstring(source, parser))
        else:
            tree = etree.parse(str(source), parser)
    except etree.XMLSyntaxError as error:
        if "entit" in str(error.msg).lower():
            raise LheoImportError(_UNSAFE) from error
        where = f" (ligne {error.lineno})" if error.lineno else ""
        raise LheoImportError(
            f"Fichier refusé : ce n'est pas du XML bien formé{where}.", [str(error.msg)]
        ) from error
    if tree.docinfo.internalDTD is not None or _has_entities(tree.getroot()):
        raise LheoImportError(_UNSAFE)
    return tree


def _has_entities(root: etree._Element) -> bool:
    return any(isinstance(node, etree._Entity) for node in root.iter())


def to_lheo_23(root: etree._Element) -> str:
    """Check the root; move a 2.2 document to the 2.3 namespace in place. Returns the version."""
    name = local_name(root.tag)
    namespace = etree.QName(root).namespace
    if name != "lheo":
        raise LheoImportError(
            f"Fichier refusé : la racine est <{name}>, un fichier LHEO commence par <lheo>."
        )
    if namespace == LHEO_NS:
        return "2.3"
    if namespace != LHEO_22_NS:
        raise LheoImportError(
            f"Fichier refusé : espace de noms « {namespace or 'aucun'} » inconnu ; attendu LHEO 2.3 "
            f"({LHEO_NS}) ou 2.2 ({LHEO_22_NS})."
        )
    prefix = f"{{{LHEO_22_NS}}}"
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.startswith(prefix):
            element.tag = q(element.tag[len(prefix):])
    return "2.2"


def validate_schema(tree: etree._ElementTree, version: str) -> None:
    schema = lheo_schema()
    if schema.validate(tree):
        return
    entries = list(schema.error_log)
    lines = []
    for entry in entries[:MAX_ERRORS]:
        issue = issue_from_log(entry)
        element = f"élément {issue.element} : " if issue.element else ""
        lines.append(f"ligne {issue.line} : {element}{issue.message}")
    if len(entries) > MAX_ERRORS:
        lines.append(f"… et {len(entries) - MAX_ERRORS} autres erreurs.")
    raise LheoImportError(
        f"Fichier LHEO {version} refusé : {len(entries)} erreur{'s' if len(entries) > 1 else ''} "
        "de conformité au schéma LHEO 2.3. Rien n'a été importé ; corrigez le fichier puis "
        "recommencez.",
        lines,
    )


# --- reading values ---------------------------------------------------------------------------


def element_path(lheo: str) -> tuple[str, str]:
    """``formation/x/y`` → (``formation``, ``l:x/l:y``)."""
    scope, _, rest = lheo.partition("/")
    return scope, "/".join(f"l:{part}" for part in rest.split("/"))


def element_text(element: etree._Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    text = element.text.strip()
    return text or None


def element_texts(element: etree._Element, path: str) -> list[str]:
    return [t for t in (element_text(e) for e in element.iterfind(path, NS)) if t is not None]


def read_address(element: etree._Element | None) -> Address | None:
    if element is None:
        return None
    return Address(
        lignes=tuple(element_texts(element, "l:ligne")),
        code_postal=element_text(element.find("l:codepostal", NS)) or "",
        ville=element_text(element.find("l:ville", NS)) or "",
    )


def read_contact(element: etree._Element | None) -> Contact | None:
    """``contact-*`` (or its ``coordonnees``) → Contact; the phone from telfixe, else portable."""
    if element is None:
        return None
    coordonnees = element.find("l:coordonnees", NS)
    if coordonnees is None:
        coordonnees = element
    telephone = None
    for holder in ("l:telfixe/l:numtel", "l:portable/l:numtel"):
        telephone = telephone or element_text(coordonnees.find(holder, NS))
    nom = element_text(coordonnees.find("l:nom", NS))
    prenom = element_text(coordonnees.find("l:prenom", NS))
    courriel = element_text(coordonnees.find("l:courriel", NS))
    if not any((nom, prenom, telephone, courriel)):
        return None
    return Contact(nom=nom or "", prenom=prenom, telephone=telephone, courriel=courriel)


def lheo_day(text: str | None) -> date | None:
    """``AAAAMMJJ`` → date; the « unknown » dates 00000000 / 99999999 → None."""
    if text is None or text in (UNKNOWN_START, UNKNOWN_END):
        return None
    if len(text) != 8 or not text.isdigit():
        raise ValueError(text)
    return date(int(text[:4]), int(text[4:6]), int(text[6:]))


def typed_value(spec: FieldSpec, texts: list[str]) -> Any:
    """The typed value of one field from its element texts (before the catalogue check)."""
    if spec.kind in (Kind.CODES, Kind.MULTI_CHOICE):
        return tuple(texts)
    text = texts[0]
    if spec.kind is Kind.INTEGER:
        return int(text)
    if spec.kind is Kind.DECIMAL:
        return Decimal(text.replace(",", ".").replace(" ", ""))
    if spec.kind is Kind.YESNO:
        if text not in ("0", "1"):
            raise ValueError(text)
        return text == "1"
    if spec.kind is Kind.DATE:
        return lheo_day(text)
    return text
