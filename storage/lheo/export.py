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
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from lxml import etree

from domain.catalogue import ORGANISATION_FIELDS, FieldSpec
from domain.lheo import (
    ExportReport,
    LeftOut,
    LheoExportError,
    Progress,
    Scope,
    ValidationIssue,
    in_scope,
)
from domain.models import Action, Organisation
from storage.lheo.formation import (
    ACTION_EXTRAS,
    REFERENCE_OFAA_INFO,
    SESSION_EXTRAS,
    UNKNOWN_END,
    UNKNOWN_START,
    build_formation,
    formation_xml,
    is_mobile,
    lheo_date,
)
from storage.lheo.schema import LHEO_NS, q
from storage.lheo.xml_text import BadValue

# Re-exported: the formation's text (``storage.lheo.formation``) was written here before.
__all__ = [
    "ACTION_EXTRAS",
    "REFERENCE_OFAA_INFO",
    "SESSION_EXTRAS",
    "UNKNOWN_END",
    "UNKNOWN_START",
    "ExportReport",
    "FormationCheck",
    "LheoWriter",
    "Output",
    "Scope",
    "build_formation",
    "formation_xml",
    "in_scope",
    "is_mobile",
    "lheo_date",
    "missing_fiche_fields",
    "select",
    "write_lheo",
]

Output = IO[bytes] | str | os.PathLike[str]


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
        except BadValue as bad:
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


def select(
    items: Iterable[tuple[Action, Organisation]], scope: Scope, today: date
) -> Iterator[tuple[Action, Organisation]]:
    """The ``items`` of ``scope`` on ``today``, lazily."""
    return ((a, o) for a, o in items if in_scope(a, scope, today))
