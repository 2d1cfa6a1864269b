"""What the LHEO export, validation and import report: French messages, named after the action."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ValidationIssue:
    """One schema error of an LHEO file, located: the action (its ``numero``), the element, the line.

    ``reference`` is the ``numero`` of the enclosing ``<formation>`` (formabot's reference, « FB-000042 »,
    in formabot's own exports); ``position`` the 1-based rank of that formation in the file, for files
    whose formations carry no ``numero``.
    """

    message: str
    element: str | None = None
    line: int | None = None
    reference: str | None = None
    position: int | None = None

    def __str__(self) -> str:
        if self.reference:
            where = f"Action {self.reference}"
        elif self.position is not None:
            where = f"Formation n° {self.position} (sans numéro)"
        else:
            where = "Fichier"
        element = f"élément {self.element} : " if self.element else ""
        line = f" (ligne {self.line})" if self.line else ""
        return f"{where} : {element}{self.message}{line}"


@dataclass(frozen=True, slots=True)
class LeftOut:
    """An action an export left out (RULES.md « Exports never fail as a whole »), and why.

    ``missing``: the labels of its organisation's required fiche fields that are empty (the
    action is then not even built); ``issues``: what the LHEO schema objects to (French lines).
    """

    reference: str | None
    action_id: int | None
    organisation_id: int
    intitule: str | None = None
    missing: tuple[str, ...] = ()
    issues: tuple[str, ...] = ()
    organisation: str | None = None  # its name (nom or raison sociale), for staff

    def __str__(self) -> str:
        where = f"Action {self.reference or self.action_id}"
        if self.missing:
            return f"{where} : fiche organisme incomplète ({', '.join(self.missing)})"
        return f"{where} : {'; '.join(self.issues)}"


class LheoError(Exception):
    """Base of the LHEO errors: a French message, and the details line by line."""

    def __init__(self, message: str, details: Sequence[str] = ()) -> None:
        super().__init__("\n".join([message, *details]) if details else message)
        self.message = message
        self.details = list(details)


class LheoExportError(LheoError):
    """An export that does not validate: nothing was published. ``issues`` name the actions."""

    def __init__(self, issues: Sequence[ValidationIssue], message: str | None = None) -> None:
        count = len(issues)
        headline = message or (
            f"Export LHEO refusé, aucun fichier publié : {count} erreur{'s' if count > 1 else ''}."
        )
        super().__init__(headline, [str(i) for i in issues])
        self.issues = list(issues)


class NothingToExport(LheoExportError):
    """No action of the export could be written (none in scope, or every one left out): LHEO needs
    at least one ``<formation>``, so no file is published. ``left_out`` says why, per action."""

    def __init__(self, left_out: Sequence[LeftOut]) -> None:
        self.left_out = list(left_out)
        super().__init__([], message=(
            f"Export LHEO : aucune action exportable ({len(self.left_out)} laissée(s) de côté), "
            "aucun fichier publié."
        ))
        self.details = [str(item) for item in self.left_out]


class LheoImportError(LheoError):
    """A file refused as a whole (unsafe, malformed, not LHEO, not valid): nothing is imported."""
