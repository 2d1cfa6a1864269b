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
from datetime import date

from domain.funders import Funder
from domain.lheo import Progress
from storage.lheo.drafts import DEFAULT_FUNDER, DraftMapper, ImportedDraft, ImportResult
from storage.lheo.xml_input import (
    MAX_ERRORS,
    NS,
    lheo_day,
    parse_secure,
    to_lheo_23,
    validate_schema,
)

# Re-exported: the XML reading (``storage.lheo.xml_input``) and the mapping to drafts
# (``storage.lheo.drafts``) were written here before.
__all__ = [
    "DEFAULT_FUNDER",
    "MAX_ERRORS",
    "ImportResult",
    "ImportedDraft",
    "describe",
    "lheo_day",
    "parse_secure",
    "read_lheo",
]


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
    version = to_lheo_23(root)
    validate_schema(tree, version)
    day = today or date.today()
    formations = root.findall("l:offres/l:formation", NS)
    if progress is not None:
        progress.start("Import LHEO", total=len(formations))
    drafts: list[ImportedDraft] = []
    for formation in formations:
        for element in formation.iterfind("l:action", NS):
            drafts.append(DraftMapper(formation, element, organisation_id, default_funder).map(day))
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
