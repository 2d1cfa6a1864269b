"""What the LHEO export, validation and import report: French messages, named after the action.

They are the domain's (``domain.lheo``: the use cases handle them); re-exported here, where the
writer and the readers raise them.
"""

from domain.lheo import (
    LeftOut,
    LheoError,
    LheoExportError,
    LheoImportError,
    NothingToExport,
    ValidationIssue,
)

__all__ = [
    "LeftOut",
    "LheoError",
    "LheoExportError",
    "LheoImportError",
    "NothingToExport",
    "ValidationIssue",
]
