"""The France Travail (Ofaa) return file: ``reference_carif;reference_ofaa``, one action a line.

UTF-8 (a BOM is tolerated), ``;``-separated, a header line required. Good lines are kept; a bad
line (wrong number of fields, empty or over-long reference) or a reference the caller does not know
is reported with its line number, and the rest is still imported.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from domain.models import Action
from storage.lheo.errors import LheoImportError

HEADER = ("reference_carif", "reference_ofaa")
MAX_REFERENCE = 100

Lookup = Callable[[str], Action | None] | Mapping[str, Action]


@dataclass(frozen=True, slots=True)
class OfaaLine:
    line: int
    reference_carif: str
    reference_ofaa: str
    action: Action


@dataclass(slots=True)
class OfaaResult:
    matched: list[OfaaLine] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # « ligne 4 : … », bad lines
    unknown: list[str] = field(default_factory=list)  # « ligne 7 : référence … inconnue »

    @property
    def problems(self) -> list[str]:
        return sorted(self.errors + self.unknown, key=_line_number)


def _line_number(message: str) -> int:
    head = message.partition(" :")[0].removeprefix("ligne ")
    return int(head) if head.isdigit() else 0


def _cells(line: str) -> list[str]:
    """The ``;``-separated cells of a line, spaces and surrounding double quotes removed (the
    references never contain ``;`` nor quotes, so no CSV quoting rules are needed)."""
    return [cell.strip().strip('"').strip() for cell in line.split(";")]


def _find(lookup: Lookup, reference: str) -> Action | None:
    if isinstance(lookup, Mapping):
        return lookup.get(reference)
    return lookup(reference)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise LheoImportError(
            f"Fichier Ofaa refusé : il n'est pas en UTF-8 (octet {error.start + 1})."
        ) from error


@dataclass(frozen=True, slots=True)
class OfaaRow:
    line: int
    reference_carif: str
    reference_ofaa: str


def parse_ofaa_csv(source: str | os.PathLike[str] | bytes) -> tuple[list[OfaaRow], list[str]]:
    """The well-formed lines of the file, and the bad ones (« ligne 4 : … »).

    A file without the header line, or not in UTF-8, is refused as a whole (``LheoImportError``).
    The same Carif-Oref reference given twice is reported on its second line.
    """
    if isinstance(source, bytes):
        data = source
    else:
        try:
            with open(source, "rb") as handle:
                data = handle.read()
        except OSError as error:
            raise LheoImportError(f"Fichier Ofaa illisible : {error.strerror or error}.") from error
    lines = _decode(data).splitlines()
    header = _cells(lines[0]) if lines else None
    if header is None or tuple(h.lower() for h in header) != HEADER:
        found = lines[0] if lines else "fichier vide"
        raise LheoImportError(
            f"Fichier Ofaa refusé : la première ligne doit être « {';'.join(HEADER)} » "
            f"(trouvé : « {found} »)."
        )
    rows: list[OfaaRow] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for number, text in enumerate(lines[1:], start=2):
        row = _cells(text)
        if all(not cell for cell in row):
            continue  # blank lines are harmless
        if len(row) != 2:
            errors.append(
                f"ligne {number} : {len(row)} champ(s) au lieu de 2 (reference_carif;reference_ofaa)."
            )
            continue
        carif, ofaa = row
        if not carif or not ofaa:
            missing = "reference_carif" if not carif else "reference_ofaa"
            errors.append(f"ligne {number} : {missing} vide.")
            continue
        if len(carif) > MAX_REFERENCE or len(ofaa) > MAX_REFERENCE:
            errors.append(f"ligne {number} : référence de plus de {MAX_REFERENCE} caractères.")
            continue
        if carif in seen:
            errors.append(
                f"ligne {number} : référence Carif-Oref « {carif} » déjà donnée ligne {seen[carif]}."
            )
            continue
        seen[carif] = number
        rows.append(OfaaRow(number, carif, ofaa))
    return rows, errors


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


def read_ofaa_csv(source: str | os.PathLike[str] | bytes, lookup: Lookup) -> OfaaResult:
    """Read the Ofaa return file; ``lookup`` finds an action by its Carif-Oref reference
    (a mapping, or a function returning None for an unknown reference)."""
    rows, errors = parse_ofaa_csv(source)
    return resolve_ofaa(rows, errors, lookup)
