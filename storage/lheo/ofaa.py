"""The France Travail (Ofaa) return file: ``reference_carif;reference_ofaa``, one action a line.

UTF-8 (a BOM is tolerated), ``;``-separated, a header line required. Good lines are kept; a bad
line (wrong number of fields, empty or over-long reference) or a reference the caller does not know
is reported with its line number, and the rest is still imported.
"""

from __future__ import annotations

import os

from domain.lheo import LheoImportError, Lookup, OfaaLine, OfaaResult, OfaaRow, resolve_ofaa

# Re-exported: the lines and their matching are the domain's (``domain.lheo``) since the use cases
# moved to ``domain.services.lheo``.
__all__ = [
    "HEADER", "MAX_REFERENCE", "Lookup", "OfaaLine", "OfaaResult", "OfaaRow", "parse_ofaa_csv",
    "read_ofaa_csv", "resolve_ofaa",
]

HEADER = ("reference_carif", "reference_ofaa")
MAX_REFERENCE = 100


def _cells(line: str) -> list[str]:
    """The ``;``-separated cells of a line, spaces and surrounding double quotes removed (the
    references never contain ``;`` nor quotes, so no CSV quoting rules are needed)."""
    return [cell.strip().strip('"').strip() for cell in line.split(";")]


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise LheoImportError(
            f"Fichier Ofaa refusé : il n'est pas en UTF-8 (octet {error.start + 1})."
        ) from error


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


def read_ofaa_csv(source: str | os.PathLike[str] | bytes, lookup: Lookup) -> OfaaResult:
    """Read the Ofaa return file; ``lookup`` finds an action by its Carif-Oref reference
    (a mapping, or a function returning None for an unknown reference)."""
    rows, errors = parse_ofaa_csv(source)
    return resolve_ofaa(rows, errors, lookup)
