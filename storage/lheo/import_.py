"""Import of an LHEO 2.2 or 2.3 file as draft actions of one organisation.

All or nothing: the whole file is parsed, checked against the LHEO 2.3 schema and mapped before
anything is returned, and a file with any schema error is refused as a whole, its errors listed
with their line numbers (« nothing is half-imported »: importing only the valid formations of an
invalid file would leave the organisation unsure of what was taken). The caller stores the drafts
of an accepted file in one transaction.

Each ``<action>`` of a ``<formation>`` becomes one draft ``Action`` (the formation's data copied into
each) with its sessions. Every value goes through the catalogue's ``FieldSpec.check``; a value it
refuses is dropped and reported, and ``domain.rules.validate_action`` lists what each draft still
lacks before it can be confirmed. The ``<organisme-formation-responsable>`` of the file is not
imported: the drafts belong to the organisation given by the caller.

LHEO 2.2 (``http://www.lheo.org/2.2``) is read as 2.3 after changing the namespace, which is the
official 2.2 → 2.3 conversion rule (dev.lheo.org, « Conversions »).

The parser is locked down: no entity substitution, no DTD loading, no network, no huge trees. A
file with an internal DTD subset (where entities are declared: billion laughs, external entities)
is refused before anything of it is used; an LHEO file never needs one.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from domain.catalogue import ACTION_FIELDS, SESSION_FIELDS, FieldSpec, Kind
from domain.errors import FieldError, Problem
from domain.funders import Funder
from domain.models import Action, Session, Status
from domain.values import Address, Contact
from storage.lheo.errors import LheoImportError
from storage.lheo.export import UNKNOWN_END, UNKNOWN_START
from storage.lheo.schema import (
    EXTRAS_INFO,
    LHEO_22_NS,
    LHEO_NS,
    Progress,
    lheo_schema,
    local_name,
    q,
)
from storage.lheo.validate import issue_from_log

# When no ``code-financeur`` of an action is one of formabot's five funders, the draft is created
# for the Région: it is the funder whose form formabot replaces first, and its own required
# fields (marché, bon de commande, semestre) are then reported missing, so the organisation has
# to look at the draft — and can change the funder — before confirming it. A Pôle emploi default
# would give a draft that may look complete and be proposed, unnoticed, to the wrong funder.
DEFAULT_FUNDER = Funder.REGION

MAX_ERRORS = 50
_NS = {"l": LHEO_NS}
_DIGITS = re.compile(r"\d+")
# Fields read by hand below (their LHEO form is not one element per value).
_SPECIAL = frozenset({"certifications", "places_financees", "cofinanceurs", "justificatif"})


@dataclass(slots=True)
class ImportedDraft:
    """One draft action read from the file, with what was dropped and what is still missing."""

    action: Action
    formation_numero: str | None
    action_numero: str | None
    line: int | None
    dropped: list[str] = field(default_factory=list)  # values refused by the catalogue
    notes: list[str] = field(default_factory=list)  # choices made for the user (funder…)
    problems: list[Problem] = field(default_factory=list)  # before it can be confirmed

    @property
    def title(self) -> str:
        name = self.action.intitule or "(sans intitulé)"
        source = self.action_numero or self.formation_numero or "sans numéro"
        return f"« {name} » (action {source}, ligne {self.line})"


@dataclass(slots=True)
class ImportResult:
    version: str  # "2.2" or "2.3"
    formations: int
    drafts: list[ImportedDraft]

    @property
    def actions(self) -> list[Action]:
        return [d.action for d in self.drafts]


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


def _to_23(root: etree._Element) -> str:
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


def _validate(tree: etree._ElementTree, version: str) -> None:
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


def _path(lheo: str) -> tuple[str, str]:
    """``formation/x/y`` → (``formation``, ``l:x/l:y``)."""
    scope, _, rest = lheo.partition("/")
    return scope, "/".join(f"l:{part}" for part in rest.split("/"))


def _text(element: etree._Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    text = element.text.strip()
    return text or None


def _texts(element: etree._Element, path: str) -> list[str]:
    return [t for t in (_text(e) for e in element.iterfind(path, _NS)) if t is not None]


def _address(element: etree._Element | None) -> Address | None:
    if element is None:
        return None
    return Address(
        lignes=tuple(_texts(element, "l:ligne")),
        code_postal=_text(element.find("l:codepostal", _NS)) or "",
        ville=_text(element.find("l:ville", _NS)) or "",
    )


def _contact(element: etree._Element | None) -> Contact | None:
    """``contact-*`` (or its ``coordonnees``) → Contact; the phone from telfixe, else portable."""
    if element is None:
        return None
    coordonnees = element.find("l:coordonnees", _NS)
    if coordonnees is None:
        coordonnees = element
    telephone = None
    for holder in ("l:telfixe/l:numtel", "l:portable/l:numtel"):
        telephone = telephone or _text(coordonnees.find(holder, _NS))
    nom = _text(coordonnees.find("l:nom", _NS))
    prenom = _text(coordonnees.find("l:prenom", _NS))
    courriel = _text(coordonnees.find("l:courriel", _NS))
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


def _convert(spec: FieldSpec, texts: list[str]) -> Any:
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


class _Mapper:
    """Maps one ``<formation>`` / ``<action>`` pair to a draft, collecting what it drops."""

    def __init__(self, formation: etree._Element, element: etree._Element,
                 organisation_id: int, default_funder: Funder) -> None:
        self.formation = formation
        self.element = element
        self.draft = ImportedDraft(
            action=Action(organisation_id=organisation_id, funder=default_funder,
                          status=Status.DRAFT),
            formation_numero=formation.get("numero"),
            action_numero=element.get("numero"),
            line=element.sourceline,
        )
        self.extras = self._extras(element)

    @staticmethod
    def _extras(element: etree._Element) -> dict[str, str]:
        values: dict[str, str] = {}
        for extras in element.iterfind("l:extras", _NS):
            if extras.get("info") != EXTRAS_INFO:
                continue
            for extra in extras.iterfind("l:extra", _NS):
                info, text = extra.get("info"), _text(extra)
                if info and text is not None:
                    values[info] = text
        return values

    def _drop(self, spec: FieldSpec, raw: object, message: str, session: int | None = None) -> None:
        where = f"session {session}, " if session is not None else ""
        shown = raw if not isinstance(raw, tuple) else ", ".join(map(str, raw))
        self.draft.dropped.append(
            f"{where}{spec.label} : valeur « {shown} » ignorée — {message}"
        )

    def checked(self, spec: FieldSpec, raw: Any, session: int | None = None) -> Any:
        """``spec.check(raw)``, or None (reported) when the catalogue refuses it."""
        if raw is None or raw == ():
            return None
        if spec.kind in (Kind.CODES, Kind.MULTI_CHOICE):
            return self._checked_items(spec, raw, session)
        try:
            return spec.check(raw)
        except FieldError as error:
            self._drop(spec, raw, error.message, session)
            return None

    def _checked_items(self, spec: FieldSpec, items: tuple[Any, ...], session: int | None) -> Any:
        """Keep the good items of a list (each checked alone), drop and report the others."""
        kept: list[Any] = []
        for item in items:
            try:
                kept.extend(spec.check((item,)))
            except FieldError as error:
                self._drop(spec, item, error.message, session)
        kept = list(dict.fromkeys(kept))
        if spec.max_items is not None and len(kept) > spec.max_items:
            self._drop(spec, tuple(kept[spec.max_items:]),
                       f"{spec.max_items} au plus ; les premiers sont gardés", session)
            kept = kept[:spec.max_items]
        if not kept:
            return None
        try:
            return spec.check(tuple(kept))
        except FieldError as error:
            self._drop(spec, tuple(kept), error.message, session)
            return None

    def read_field(self, spec: FieldSpec) -> Any:
        if spec.lheo.startswith("extras/"):
            raw_text = self.extras.get(spec.lheo.partition("/")[2])
            texts = [raw_text] if raw_text is not None else []
            if spec.kind in (Kind.CODES, Kind.MULTI_CHOICE) and raw_text is not None:
                texts = [t for t in raw_text.split(";") if t]
            return self._typed(spec, texts)
        scope, path = _path(spec.lheo)
        base = self.formation if scope == "formation" else self.element
        if spec.kind is Kind.ADDRESS:
            return _address(base.find(path, _NS))
        if spec.kind is Kind.CONTACT:
            return _contact(base.find(path, _NS))
        return self._typed(spec, _texts(base, path))

    def _typed(self, spec: FieldSpec, texts: list[str], session: int | None = None) -> Any:
        if not texts:
            return None
        try:
            return _convert(spec, texts)
        except (ValueError, InvalidOperation):
            self._drop(spec, texts[0], "format non reconnu", session)
            return None

    def map(self, today: date) -> ImportedDraft:
        action = self.draft.action
        self._funders()
        self._certifications()
        # First the unconditional fields, then those that depend on them (certifications,
        # lieu de formation), then the funder's own fields.
        for spec in sorted(ACTION_FIELDS, key=lambda s: s.condition is not None):
            if spec.key in _SPECIAL:
                continue
            if not spec.applies_to(action):
                if self.read_field(spec) is not None:
                    self.draft.notes.append(
                        f"{spec.label} : non repris, ce champ ne concerne pas cette action."
                    )
                continue
            value = self.checked(spec, self.read_field(spec))
            if value is not None:
                action.set(spec.key, value)
        if "justificatif" in self.extras:
            self.draft.notes.append(
                "Justificatif de financement : le document n'est pas dans le fichier ; "
                "envoyez-le dans la conversation."
            )
        for index, element in enumerate(self.element.iterfind("l:session", _NS), start=1):
            action.sessions.append(self._session(element, index))
        self.draft.problems = _problems(action, today)
        return self.draft

    def _funders(self) -> None:
        action = self.draft.action
        codes: list[tuple[str, etree._Element]] = []
        for financeur in self.element.iterfind("l:organisme-financeur", _NS):
            code = _text(financeur.find("l:code-financeur", _NS))
            if code is not None:
                codes.append((code, financeur))
        main = next(((c, f) for c, f in codes if Funder.from_lheo_code(c) is not None), None)
        if main is None:
            listed = ", ".join(c for c, _ in codes) or "aucun"
            self.draft.notes.append(
                f"Financeur principal : aucun des codes financeurs du fichier ({listed}) n'est "
                f"un financeur de formabot ; « {DEFAULT_FUNDER.label} » par défaut, à vérifier."
            )
        else:
            funder = Funder.from_lheo_code(main[0])
            assert funder is not None
            action.funder = funder
            spec = _action_spec("places_financees")
            places = self._typed(spec, _texts(main[1], "l:nb-places-financees"))
            value = self.checked(spec, places)
            if value is not None:
                action.places_financees = value
        others = tuple(c for c, f in codes if main is None or f is not main[1])
        value = self.checked(_action_spec("cofinanceurs"), others)
        if value is not None:
            action.cofinanceurs = value

    def _certifications(self) -> None:
        codes: list[str] = []
        for certification in self.formation.iterfind("l:certification", _NS):
            rncp = _text(certification.find("l:code-RNCP", _NS))
            rs = _text(certification.find("l:code-RS", _NS))
            # LHEO allows a bare number for RNCP (and in practice for RS); formabot keeps the prefix.
            if rncp:
                codes.append(f"RNCP{rncp}" if _DIGITS.fullmatch(rncp) else rncp)
            if rs:
                codes.append(f"RS{rs}" if _DIGITS.fullmatch(rs) else rs)
        spec = _action_spec("certifications")
        if codes and self.formation.findtext("l:certifiante", namespaces=_NS) == "1":
            value = self.checked(spec, tuple(codes))
            if value is not None:
                self.draft.action.certifications = value
        elif codes:
            self.draft.notes.append(
                f"{spec.label} : non reprises, la formation n'est pas certifiante."
            )

    def _session(self, element: etree._Element, index: int) -> Session:
        session = Session()
        extras = self._extras(element)
        for spec in SESSION_FIELDS:
            if spec.lheo.startswith("extras/"):
                text = extras.get(spec.lheo.partition("/")[2])
                raw = self._typed(spec, [text] if text is not None else [], index)
            elif spec.kind is Kind.ADDRESS:
                raw = _address(element.find(_path(spec.lheo)[1], _NS))
            else:
                raw = self._typed(spec, _texts(element, _path(spec.lheo)[1]), index)
            value = self.checked(spec, raw, index)
            if value is not None:
                session.set(spec.key, value)
        return session


def _action_spec(key: str) -> FieldSpec:
    return next(s for s in ACTION_FIELDS if s.key == key)


def _problems(action: Action, today: date) -> list[Problem]:
    try:
        from domain.rules import validate_action
    except ImportError:  # pragma: no cover - domain.rules is part of the package
        return []
    return validate_action(action, today)


def read_lheo(
    source: bytes | str | os.PathLike[str],
    organisation_id: int,
    *,
    today: date | None = None,
    default_funder: Funder = DEFAULT_FUNDER,
    progress: Progress | None = None,
) -> ImportResult:
    """Read an LHEO 2.2/2.3 file (path or bytes) as drafts of ``organisation_id``.

    Raises ``LheoImportError`` (French message and details) for a file refused as a whole; then
    nothing is imported. ``today`` is the day the drafts' problems are computed for.
    """
    tree = parse_secure(source)
    root = tree.getroot()
    version = _to_23(root)
    _validate(tree, version)
    day = today or date.today()
    formations = root.findall("l:offres/l:formation", _NS)
    if progress is not None:
        progress.start("Import LHEO", total=len(formations))
    drafts: list[ImportedDraft] = []
    for formation in formations:
        for element in formation.iterfind("l:action", _NS):
            drafts.append(_Mapper(formation, element, organisation_id, default_funder).map(day))
        if progress is not None:
            progress.advance()
    if progress is not None:
        progress.finish()
    return ImportResult(version=version, formations=len(formations), drafts=drafts)


def describe(result: ImportResult) -> list[str]:
    """The import report in French, draft by draft."""
    lines = [
        f"Fichier LHEO {result.version} : {result.formations} formation(s), "
        f"{len(result.drafts)} action(s) lue(s) comme brouillons."
    ]
    for number, draft in enumerate(result.drafts, start=1):
        lines.append(f"{number}. {draft.title} — financeur : {draft.action.funder.label}, "
                     f"{len(draft.action.sessions)} session(s)")
        lines.extend(f"   · {note}" for note in draft.notes)
        lines.extend(f"   ✗ {dropped}" for dropped in draft.dropped)
        if draft.problems:
            lines.append("   À compléter avant confirmation :")
            lines.extend(f"   - {problem.message}" for problem in draft.problems)
        else:
            lines.append("   Prête à être confirmée.")
    return lines

