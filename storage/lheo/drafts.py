"""Mapping of the ``<formation>`` / ``<action>`` elements of a checked LHEO file to draft actions.

Each ``<action>`` of a ``<formation>`` becomes one draft ``Action`` (the formation's data copied into
each) with its sessions. Every value goes through the catalogue's ``FieldSpec.check``; a value it
refuses is dropped and reported, and ``domain.rules.validate_action`` lists what each draft still
lacks before it can be confirmed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import InvalidOperation
from typing import Any

from lxml import etree

from domain.catalogue import ACTION_FIELDS, SESSION_FIELDS, FieldSpec, Kind
from domain.errors import FieldError, Problem
from domain.funders import Funder
from domain.models import Action, Session, Status
from storage.lheo.schema import EXTRAS_INFO
from storage.lheo.xml_input import (
    NS,
    element_path,
    element_text,
    element_texts,
    read_address,
    read_contact,
    typed_value,
)

# When no ``code-financeur`` of an action is one of formabot's five funders, the draft is created
# for the Région: it is the funder whose form formabot replaces first, and its own required
# fields (marché, bon de commande, semestre) are then reported missing, so the organisation has
# to look at the draft — and can change the funder — before confirming it. A Pôle emploi default
# would give a draft that may look complete and be proposed, unnoticed, to the wrong funder.
DEFAULT_FUNDER = Funder.REGION

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


class DraftMapper:
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
        for extras in element.iterfind("l:extras", NS):
            if extras.get("info") != EXTRAS_INFO:
                continue
            for extra in extras.iterfind("l:extra", NS):
                info, text = extra.get("info"), element_text(extra)
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
        scope, path = element_path(spec.lheo)
        base = self.formation if scope == "formation" else self.element
        if spec.kind is Kind.ADDRESS:
            return read_address(base.find(path, NS))
        if spec.kind is Kind.CONTACT:
            return read_contact(base.find(path, NS))
        return self._typed(spec, element_texts(base, path))

    def _typed(self, spec: FieldSpec, texts: list[str], session: int | None = None) -> Any:
        if not texts:
            return None
        try:
            return typed_value(spec, texts)
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
        for index, element in enumerate(self.element.iterfind("l:session", NS), start=1):
            action.sessions.append(self._session(element, index))
        self.draft.problems = _problems(action, today)
        return self.draft

    def _funders(self) -> None:
        action = self.draft.action
        codes: list[tuple[str, etree._Element]] = []
        for financeur in self.element.iterfind("l:organisme-financeur", NS):
            code = element_text(financeur.find("l:code-financeur", NS))
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
            places = self._typed(spec, element_texts(main[1], "l:nb-places-financees"))
            value = self.checked(spec, places)
            if value is not None:
                action.places_financees = value
        others = tuple(c for c, f in codes if main is None or f is not main[1])
        value = self.checked(_action_spec("cofinanceurs"), others)
        if value is not None:
            action.cofinanceurs = value

    def _certifications(self) -> None:
        codes: list[str] = []
        for certification in self.formation.iterfind("l:certification", NS):
            rncp = element_text(certification.find("l:code-RNCP", NS))
            rs = element_text(certification.find("l:code-RS", NS))
            # LHEO allows a bare number for RNCP (and in practice for RS); formabot keeps the prefix.
            if rncp:
                codes.append(f"RNCP{rncp}" if _DIGITS.fullmatch(rncp) else rncp)
            if rs:
                codes.append(f"RS{rs}" if _DIGITS.fullmatch(rs) else rs)
        spec = _action_spec("certifications")
        if codes and self.formation.findtext("l:certifiante", namespaces=NS) == "1":
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
                raw = read_address(element.find(element_path(spec.lheo)[1], NS))
            else:
                raw = self._typed(spec, element_texts(element, element_path(spec.lheo)[1]), index)
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

