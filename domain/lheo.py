"""The LHEO exchanges as the use cases see them (``domain.services.lheo``): which actions an
export carries, what an export, an import or a validation reports, and their errors (French
messages, shown as they are). The files themselves are written and read by ``storage.lheo``,
behind the ``domain.ports.LheoFiles`` port.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal, Protocol

from domain.archiving import in_ofaa_export, is_public
from domain.models import Action, Document, Status

# A catalogue sent in the chat (an LHEO 2.2/2.3 file as a document) ---------------------------------

# The largest LHEO file a member may send in the chat: about a hundred offers (an offer takes 5 to
# 30 Ko). Checked on the size Telegram announces, before the file is downloaded, then on the bytes.
CATALOGUE_MAX_BYTES = 5 * 1024 * 1024
_XML_TYPES = frozenset({"text/xml", "application/xml"})


def is_catalogue(document: Document) -> bool:
    """Whether a file sent in the chat is offered as an LHEO catalogue: XML by its type or name."""
    mime = (document.mime_type or "").lower()
    name = (document.file_name or "").lower()
    return mime in _XML_TYPES or mime.endswith("+xml") or name.endswith(".xml")

# Progress ------------------------------------------------------------------------------------------


class Progress(Protocol):
    """What a long export, validation or import reports; the CLI draws it (rich) on a terminal."""

    def start(self, description: str, total: int | None = None) -> None: ...

    def advance(self, count: int = 1) -> None: ...

    def finish(self) -> None: ...


class NoProgress:
    """A ``Progress`` that shows nothing."""

    def start(self, description: str, total: int | None = None) -> None:
        return None

    def advance(self, count: int = 1) -> None:
        return None

    def finish(self) -> None:
        return None


# Errors --------------------------------------------------------------------------------------------

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


class CatalogueTooLarge(LheoError):
    """An LHEO file sent in the chat over ``CATALOGUE_MAX_BYTES``: nothing was read."""

    def __init__(self, size: int) -> None:
        megabytes = f"{size / (1024 * 1024):.1f}".replace(".", ",")
        super().__init__(
            f"Fichier trop lourd : {megabytes} Mo, {CATALOGUE_MAX_BYTES // (1024 * 1024)} Mo au plus "
            "pour un catalogue envoyé ici. Envoyez-le en plusieurs fichiers, ou demandez au "
            "Carif-Oref de l'importer."
        )
        self.size = size


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


# Export --------------------------------------------------------------------------------------------

Scope = Literal["public", "ofaa"]
EXPORT_PAGE = 500  # actions read at a time from the export's snapshot

# The statuses an export of each scope reads (``in_scope`` then says which of them it carries).
EXPORT_STATUSES: dict[Scope, tuple[Status, ...]] = {
    "public": (Status.PUBLISHED,),
    "ofaa": (Status.PUBLISHED, Status.ARCHIVED),
}


@dataclass(slots=True)
class ExportReport:
    formations: int = 0
    sessions: int = 0
    path: Path | None = None
    left_out: list[LeftOut] = field(default_factory=list)


def in_scope(action: Action, scope: Scope, today: date) -> bool:
    """Whether the daily export of ``scope`` carries the action on ``today``.

    ``public``: published actions still public (the national network); ``ofaa``: what France
    Travail receives (published and public, or archived less than 30 days ago).
    """
    if scope == "ofaa":
        return in_ofaa_export(action, today)
    return action.status is Status.PUBLISHED and is_public(action, today)


# Import --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class ReadDrafts:
    """An LHEO file read as drafts: the actions to store and the report, line by line (French)."""

    actions: list[Action]
    lines: list[str]


# Ofaa return file ----------------------------------------------------------------------------------

Lookup = Callable[[str], Action | None] | Mapping[str, Action]


@dataclass(frozen=True, slots=True)
class OfaaRow:
    """A well-formed line of the return file."""

    line: int
    reference_carif: str
    reference_ofaa: str


def _line_number(message: str) -> int:
    head = message.partition(" :")[0].removeprefix("ligne ")
    return int(head) if head.isdigit() else 0


@dataclass(frozen=True, slots=True)
class OfaaLine(OfaaRow):
    """A line whose Carif-Oref reference names a known action."""

    action: Action


@dataclass(slots=True)
class OfaaResult:
    matched: list[OfaaLine] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # « ligne 4 : … », bad lines
    unknown: list[str] = field(default_factory=list)  # « ligne 7 : référence … inconnue »

    @property
    def problems(self) -> list[str]:
        return sorted(self.errors + self.unknown, key=_line_number)


def _find(lookup: Lookup, reference: str) -> Action | None:
    if isinstance(lookup, Mapping):
        return lookup.get(reference)
    return lookup(reference)


def resolve_ofaa(rows: list[OfaaRow], errors: list[str], lookup: Lookup) -> OfaaResult:
    """Match the parsed lines with the actions ``lookup`` knows; the others are reported."""
    result = OfaaResult(errors=list(errors))
    for row in rows:
        action = _find(lookup, row.reference_carif)
        if action is None:
            result.unknown.append(
                f"ligne {row.line} : référence Carif-Oref « {row.reference_carif} » inconnue, "
                "ligne ignorée."
            )
            continue
        result.matched.append(OfaaLine(row.line, row.reference_carif, row.reference_ofaa, action))
    return result
