"""XSD validation of an LHEO 2.3 file as a stream, and the atomic, validated export.

The file is read with ``iterparse``: each ``<formation>`` is validated against the schema (it is a
global element of the XSD) when its end tag is read, then dropped, so memory does not grow with the
file. The envelope (``<lheo>`` → ``<offres>`` → formations, then ``<extras>``) is checked by hand
with the same rules as the XSD sequences, and top-level ``<extras>`` are validated on their own.
Validating formation by formation keeps the line numbers and tells which action an error belongs
to (a whole-document streamed validation reports neither).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

from lxml import etree

from domain.models import Action, Organisation
from storage.lheo.errors import LheoExportError, ValidationIssue
from storage.lheo.export import ExportReport, LheoWriter
from storage.lheo.schema import LHEO_22_NS, LHEO_NS, Progress, lheo_schema, local_name, q

MAX_ISSUES = 100

_ELEMENT = re.compile(r"^Element '(?:\{[^}]*\})?([^']+)'(?:, attribute '([^']+)')?: ")
_NS = re.compile(r"\{[^}'\s]*\}")  # {namespace}, not an enumeration set {'0', '1'}
_TRANSLATIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\[facet 'maxLength'\] The value has a length of '(\d+)'; this exceeds the "
                r"allowed maximum length of '(\d+)'\."),
     r"\1 caractères, \2 au plus."),
    (re.compile(r"\[facet 'minLength'\] The value has a length of '(\d+)'; this underruns the "
                r"allowed minimum length of '(\d+)'\."),
     r"\1 caractère(s), \2 au moins."),
    (re.compile(r"\[facet 'length'\] The value '([^']*)' has a length of '(\d+)'; this differs "
                r"from the allowed length of '(\d+)'\."),
     r"« \1 » a \2 caractères au lieu de \3."),
    (re.compile(r"\[facet 'enumeration'\] The value '([^']*)' is not an element of the set "
                r"\{(.*)\}\."),
     r"la valeur « \1 » n'est pas dans la table de codes (attendu : \2)."),
    (re.compile(r"\[facet 'pattern'\] The value '([^']*)' is not accepted by the pattern "
                r"'[^']*'\."),
     r"la valeur « \1 » n'a pas le format attendu."),
    (re.compile(r"'([^']*)' is not a valid value of the atomic type 'xs:long'\."),
     r"« \1 » n'est pas un nombre entier."),
    (re.compile(r"This element is not expected\. Expected is(?: one of)? \( ?(.*?) ?\)\."),
     r"élément inattendu à cet endroit ; attendu : \1."),
    (re.compile(r"This element is not expected\."), "élément inattendu à cet endroit."),
    (re.compile(r"Missing child element\(s\)\. Expected is(?: one of)? \( ?(.*?) ?\)\."),
     r"élément(s) manquant(s) : \1."),
    (re.compile(r"The attribute '([^']*)' is not allowed\."), r"attribut « \1 » non autorisé."),
    (re.compile(r"No matching global declaration available for the validation root\."),
     "élément inconnu de LHEO 2.3."),
)


def french(message: str) -> str:
    """A libxml2 schema message, namespaces stripped and translated when its form is known."""
    text = _NS.sub("", message.strip())
    for pattern, replacement in _TRANSLATIONS:
        if pattern.search(text):
            return pattern.sub(replacement, text)
    return text


def issue_from_log(entry: etree._LogEntry, reference: str | None = None,
                   position: int | None = None) -> ValidationIssue:
    """A located, French ``ValidationIssue`` from one libxml2 error."""
    message = entry.message or ""
    element: str | None = None
    match = _ELEMENT.match(message)
    if match:
        element = match.group(1)
        if match.group(2):
            element = f"{element}/@{match.group(2)}"
        message = message[match.end():]
    return ValidationIssue(
        message=french(message), element=element, line=entry.line or None,
        reference=reference, position=position,
    )


@dataclass(slots=True)
class ValidationReport:
    formations: int = 0
    issues: list[ValidationIssue] = field(default_factory=list)
    truncated: bool = False  # stopped after ``MAX_ISSUES`` issues

    @property
    def valid(self) -> bool:
        return not self.issues


class _Collector:
    def __init__(self, report: ValidationReport, limit: int) -> None:
        self.report = report
        self.limit = limit

    def add(self, issue: ValidationIssue) -> None:
        self.report.issues.append(issue)
        if len(self.report.issues) >= self.limit:
            self.report.truncated = True
            raise _Enough


class _Enough(Exception):
    pass


def _unexpected(element: etree._Element, where: str) -> ValidationIssue:
    return ValidationIssue(
        message=f"élément inattendu dans <{where}>.", element=local_name(element.tag) or None,
        line=element.sourceline,
    )


def _check_previous(element: etree._Element, where: str, issues: _Collector) -> None:
    """Report the unexpected siblings before ``element`` and drop the processed ones."""
    parent = element.getparent()
    if parent is None:
        return
    for sibling in list(element.itersiblings(preceding=True)):
        if isinstance(sibling.tag, str) and sibling.tag not in (q("formation"), q("extras")):
            issues.add(_unexpected(sibling, where))
        parent.remove(sibling)


def validate_lheo(
    path: str | os.PathLike[str], *, progress: Progress | None = None, max_issues: int = MAX_ISSUES
) -> ValidationReport:
    """Validate an LHEO 2.3 file against the XSD, streaming; issues name the action and element."""
    schema = lheo_schema()
    report = ValidationReport()
    issues = _Collector(report, max_issues)
    if progress is not None:
        progress.start("Validation LHEO")
    context = etree.iterparse(
        str(path), events=("start", "end"),
        tag=(q("lheo"), q("offres"), q("formation"), q("extras")),
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
    )
    root: etree._Element | None = None
    offres_extras_seen = False
    try:
        _check_root(path)
        for event, element in context:
            parent = element.getparent()
            parent_tag = parent.tag if parent is not None else None
            if event == "start":
                if root is None:
                    root = element
                continue
            if element.tag == q("formation") and parent_tag == q("offres"):
                report.formations += 1
                if offres_extras_seen:
                    issues.add(ValidationIssue(
                        "une formation après les <extras> de <offres>.", "formation",
                        element.sourceline, element.get("numero"), report.formations,
                    ))
                if not schema.validate(element):
                    for entry in schema.error_log:
                        issues.add(issue_from_log(entry, element.get("numero"), report.formations))
                _check_previous(element, "offres", issues)
                element.clear(keep_tail=True)
                if progress is not None:
                    progress.advance()
            elif element.tag == q("extras") and parent_tag in (q("offres"), q("lheo")):
                if parent_tag == q("offres"):
                    offres_extras_seen = True
                    _check_previous(element, "offres", issues)
                if not schema.validate(element):
                    for entry in schema.error_log:
                        issues.add(issue_from_log(entry))
                element.clear(keep_tail=True)
            elif element.tag == q("offres") and parent_tag == q("lheo"):
                for child in element:
                    if isinstance(child.tag, str) and child.tag not in (
                        q("formation"), q("extras")
                    ):
                        issues.add(_unexpected(child, "offres"))
                if report.formations == 0:
                    issues.add(ValidationIssue(
                        "aucune <formation> : il en faut au moins une.", "offres",
                        element.sourceline,
                    ))
        if root is not None:
            _check_envelope(root, issues)
    except _Enough:
        pass
    except etree.XMLSyntaxError as error:
        report.issues.append(ValidationIssue(
            f"XML mal formé : {error.msg}", line=error.lineno or None,
        ))
    except _RootError as error:
        report.issues.append(error.issue)
    finally:
        if progress is not None:
            progress.finish()
    return report


class _RootError(Exception):
    def __init__(self, issue: ValidationIssue) -> None:
        super().__init__(issue.message)
        self.issue = issue


def _check_root(path: str | os.PathLike[str]) -> None:
    """Refuse at once a file whose root is not LHEO 2.3 ``<lheo>`` (read up to the root only)."""
    for _event, element in etree.iterparse(
        str(path), events=("start",), resolve_entities=False, no_network=True, load_dtd=False,
    ):
        if element.tag == q("lheo"):
            return
        name = local_name(element.tag)
        if name == "lheo" and etree.QName(element).namespace == LHEO_22_NS:
            message = "fichier LHEO 2.2 : seul LHEO 2.3 (http://lheo.gouv.fr/2.3) est attendu ici."
        else:
            message = (f"la racine doit être <lheo> de LHEO 2.3 (espace de noms {LHEO_NS}), "
                       f"pas {element.tag}.")
        raise _RootError(ValidationIssue(message, name or None, element.sourceline))


def _check_envelope(root: etree._Element, issues: _Collector) -> None:
    """``<lheo>``: exactly one ``<offres>`` first, then ``<extras>`` only."""
    children = [c for c in root if isinstance(c.tag, str)]
    offres = [c for c in children if c.tag == q("offres")]
    if len(offres) != 1:
        issues.add(ValidationIssue(
            f"{len(offres)} élément(s) <offres> : il en faut exactement un.", "lheo",
            root.sourceline,
        ))
    for index, child in enumerate(children):
        expected = q("offres") if index == 0 else q("extras")
        if child.tag != expected:
            issues.add(_unexpected(child, "lheo"))


def ensure_valid(path: str | os.PathLike[str], progress: Progress | None = None) -> ValidationReport:
    """Validate ``path``; raise ``LheoExportError`` (naming the actions) if it is not valid."""
    report = validate_lheo(path, progress=progress)
    if not report.valid:
        raise LheoExportError(report.issues)
    return report


class AtomicLheoExport:
    """``with AtomicLheoExport(path, now=…) as writer: writer.write(action, organisation)``.

    Writes to a temporary file in the destination's directory; on a clean exit validates it and
    moves it to ``path`` with ``os.replace`` (atomic). An invalid file, or any error, leaves no
    file at ``path`` (an earlier export there is kept as it was) and no temporary file.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, now: datetime, progress: Progress | None = None
    ) -> None:
        self.path = Path(path)
        self._now = now
        self._progress = progress
        self._tmp: Path | None = None
        self._handle: IO[bytes] | None = None
        self._writer: LheoWriter | None = None
        self.report = ExportReport()

    def __enter__(self) -> LheoWriter:
        fd, name = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.",
                                    suffix=".tmp")
        self._tmp = Path(name)
        self._handle = os.fdopen(fd, "wb")
        if self._progress is not None:
            self._progress.start("Export LHEO")
        self._writer = LheoWriter(self._handle, now=self._now, progress=self._progress)
        return self._writer.__enter__()

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        assert self._writer is not None and self._tmp is not None and self._handle is not None
        try:
            self._writer.__exit__(exc_type, exc, tb)
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
            if self._progress is not None:
                self._progress.finish()
            if exc_type is not None:
                return
            ensure_valid(self._tmp, self._progress)
            os.chmod(self._tmp, 0o644)
            os.replace(self._tmp, self.path)
            self._tmp = None
            self.report = self._writer.report
            self.report.path = self.path
        finally:
            if not self._handle.closed:
                self._handle.close()
            if self._tmp is not None:
                self._tmp.unlink(missing_ok=True)


def export_lheo(
    path: str | os.PathLike[str],
    items: Iterable[tuple[Action, Organisation]],
    now: datetime,
    *,
    progress: Progress | None = None,
) -> ExportReport:
    """Write ``items`` to ``path`` as LHEO 2.3, validated, atomically.

    Raises ``LheoExportError`` (« Action FB-000042 : élément intitule-formation : … ») when the file
    does not validate; then no file is published at ``path``.
    """
    export = AtomicLheoExport(path, now=now, progress=progress)
    with export as writer:
        for action, organisation in items:
            writer.write(action, organisation)
    return export.report


def iter_issues(report: ValidationReport) -> Iterator[str]:
    """The issues as French lines, and a last line when the list was cut."""
    for issue in report.issues:
        yield str(issue)
    if report.truncated:
        yield f"… arrêt après {len(report.issues)} erreurs."
