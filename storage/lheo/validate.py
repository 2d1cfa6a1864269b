"""XSD validation of an LHEO 2.3 file as a stream, and the atomic, validated export.

The file is read with ``iterparse``: each ``<formation>`` is validated against the schema (it is a
global element of the XSD) when its end tag is read, then dropped, so memory does not grow with the
file. The envelope (``<lheo>`` → ``<offres>`` → formations, then ``<extras>``) is checked by hand
with the same rules as the XSD sequences, and top-level ``<extras>`` are validated on their own.
Validating formation by formation keeps the line numbers and tells which action an error belongs
to (a whole-document streamed validation reports neither).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

from lxml import etree

from domain.lheo import ExportReport, LheoExportError, NothingToExport, Progress, ValidationIssue
from domain.models import Action, Organisation
from storage.lheo.export import LheoWriter
from storage.lheo.schema import LHEO_22_NS, LHEO_NS, lheo_schema, local_name, q

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


MAX_ISSUES_PER_ACTION = 5


def check_formation(element: etree._Element) -> list[str]:
    """The schema's objections to one ``<formation>`` (French, at most ``MAX_ISSUES_PER_ACTION``),
    none when it is valid: how the exports decide, action by action, what to leave out."""
    schema = lheo_schema()
    if schema.validate(element):
        return []
    issues = [issue_from_log(entry) for entry in schema.error_log][:MAX_ISSUES_PER_ACTION]
    return [
        f"élément {issue.element} : {issue.message}" if issue.element else issue.message
        for issue in issues
    ]


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
        if isinstance(sibling.tag, str) and sibling.tag not in (_FORMATION, _EXTRAS):
            issues.add(_unexpected(sibling, where))
        parent.remove(sibling)


_LHEO, _OFFRES, _FORMATION, _EXTRAS = q("lheo"), q("offres"), q("formation"), q("extras")


def validate_lheo(
    source: str | os.PathLike[str] | IO[bytes], *, progress: Progress | None = None,
    max_issues: int = MAX_ISSUES,
) -> ValidationReport:
    """Validate an LHEO 2.3 file (a path or a binary stream) against the XSD, streaming.

    Issues name the action (``numero`` of its formation) and the element, with the line.
    """
    schema = lheo_schema()
    report = ValidationReport()
    issues = _Collector(report, max_issues)
    if progress is not None:
        progress.start("Validation LHEO")
    context = etree.iterparse(
        source if not isinstance(source, str | os.PathLike) else str(source),
        events=("start", "end"), tag=("{*}lheo", _OFFRES, _FORMATION, _EXTRAS),
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
    )
    root: etree._Element | None = None
    offres_extras_seen = False
    try:
        if isinstance(source, str | os.PathLike):
            _check_root(source)  # refuse a foreign file before reading it all
        for event, element in context:
            if event == "start":
                if root is None:
                    root = element
                    _check_root_element(root)
                continue
            parent = element.getparent()
            parent_tag = parent.tag if parent is not None else None
            if element.tag == _FORMATION and parent_tag == _OFFRES:
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
            elif element.tag == _EXTRAS and parent_tag in (_OFFRES, _LHEO):
                if parent_tag == _OFFRES:
                    offres_extras_seen = True
                    _check_previous(element, "offres", issues)
                if not schema.validate(element):
                    for entry in schema.error_log:
                        issues.add(issue_from_log(entry))
                element.clear(keep_tail=True)
            elif element.tag == _OFFRES and parent_tag == _LHEO:
                for child in element:
                    if isinstance(child.tag, str) and child.tag not in (_FORMATION, _EXTRAS):
                        issues.add(_unexpected(child, "offres"))
                if report.formations == 0:
                    issues.add(ValidationIssue(
                        "aucune <formation> : il en faut au moins une.", "offres",
                        element.sourceline,
                    ))
        if root is None:  # no <lheo> at all: the root has another name
            _check_root_element(context.root)
        else:
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


def _check_root_element(element: etree._Element) -> None:
    if element.tag == _LHEO:
        return
    name = local_name(element.tag)
    if name == "lheo" and etree.QName(element).namespace == LHEO_22_NS:
        message = "fichier LHEO 2.2 : seul LHEO 2.3 (http://lheo.gouv.fr/2.3) est attendu ici."
    else:
        message = (f"la racine doit être <lheo> de LHEO 2.3 (espace de noms {LHEO_NS}), "
                   f"pas {element.tag}.")
    raise _RootError(ValidationIssue(message, name or None, element.sourceline))


def _check_root(path: str | os.PathLike[str]) -> None:
    """Refuse at once a file whose root is not LHEO 2.3 ``<lheo>`` (read up to the root only)."""
    for _event, element in etree.iterparse(
        str(path), events=("start",), resolve_entities=False, no_network=True, load_dtd=False,
    ):
        _check_root_element(element)
        return


def _check_envelope(root: etree._Element, issues: _Collector) -> None:
    """``<lheo>``: exactly one ``<offres>`` first, then ``<extras>`` only."""
    children = [c for c in root if isinstance(c.tag, str)]
    offres = [c for c in children if c.tag == _OFFRES]
    if len(offres) != 1:
        issues.add(ValidationIssue(
            f"{len(offres)} élément(s) <offres> : il en faut exactement un.", "lheo",
            root.sourceline,
        ))
    for index, child in enumerate(children):
        expected = _OFFRES if index == 0 else _EXTRAS
        if child.tag != expected:
            issues.add(_unexpected(child, "lheo"))


def report_to_json(report: ValidationReport) -> str:
    return json.dumps({
        "formations": report.formations, "truncated": report.truncated,
        "issues": [
            {"message": i.message, "element": i.element, "line": i.line,
             "reference": i.reference, "position": i.position}
            for i in report.issues
        ],
    })


def report_from_json(text: str) -> ValidationReport:
    data = json.loads(text)
    return ValidationReport(
        formations=int(data["formations"]), truncated=bool(data["truncated"]),
        issues=[ValidationIssue(**issue) for issue in data["issues"]],
    )


class ParallelValidator:
    """Validates, in a child process, the bytes of an export while they are being written.

    Writing (Python) and validating (libxml2) then run on the two cores side by side instead of
    one after the other. The child reads exactly the bytes written to the temporary file (see
    ``_Tee``), so the guarantee is the one of validating the file afterwards. ``result()`` is None
    when the child could not run to the end; the caller then validates the file itself.
    """

    def __init__(self) -> None:
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        self._process: subprocess.Popen[bytes] | None = subprocess.Popen(
            [sys.executable, "-m", "storage.lheo.validate"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
        )
        self.broken = False

    def write(self, data: bytes) -> None:
        if self.broken or self._process is None or self._process.stdin is None:
            return
        try:
            self._process.stdin.write(data)
        except OSError:  # the child is gone (BrokenPipeError): validate the file afterwards
            self.broken = True

    def result(self) -> ValidationReport | None:
        process, self._process = self._process, None
        if process is None:
            return None
        try:
            output, _ = process.communicate()
        except OSError:
            process.kill()
            process.wait()
            return None
        if self.broken or process.returncode != 0:
            return None
        try:
            return report_from_json(output.decode("utf-8"))
        except (ValueError, KeyError, TypeError):
            return None

    def cancel(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.communicate()


class _Tee:
    """The binary file ``xmlfile`` writes to: the temporary file, and the validator's input."""

    def __init__(self, file: IO[bytes], validator: ParallelValidator | None) -> None:
        self.file = file
        self.validator = validator

    def write(self, data: bytes) -> int:
        self.file.write(data)
        if self.validator is not None:
            self.validator.write(data)
        return len(data)


def _validate_stdin() -> int:
    """The child of ``ParallelValidator``: validate stdin, print the report as JSON."""
    stdin = sys.stdin.buffer
    report = validate_lheo(stdin)
    while stdin.read(1 << 16):  # stopped early (too many issues): drain, never block the writer
        pass
    sys.stdout.write(report_to_json(report))
    return 0


class AtomicLheoExport:
    """``with AtomicLheoExport(path, now=…) as writer: writer.write(action, organisation)``.

    Writes to a temporary file in the destination's directory; on a clean exit validates it and
    moves it to ``path`` with ``os.replace`` (atomic). An invalid file, or any error, leaves no
    file at ``path`` (an earlier export there is kept as it was) and no temporary file.

    ``check`` (default): each action is validated on its own before it is written
    (``check_formation``); one that does not validate, or whose organisation's fiche lacks a
    required field, is left out and listed in ``report.left_out`` — the export never fails as a
    whole because of one action. When no action at all is left to write, ``NothingToExport`` is
    raised (LHEO needs one ``<formation>``) and nothing is published.

    ``parallel`` (default): the bytes are validated by a child process while they are written
    (``ParallelValidator``); if it fails to run, the file is validated afterwards in this process.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, now: datetime, progress: Progress | None = None,
        parallel: bool = True, check: bool = True,
    ) -> None:
        self.path = Path(path)
        self._check = check
        self._now = now
        self._progress = progress
        self._parallel = parallel
        self._tmp: Path | None = None
        self._handle: IO[bytes] | None = None
        self._validator: ParallelValidator | None = None
        self._writer: LheoWriter | None = None
        self.report = ExportReport()
        self.validation: ValidationReport | None = None

    def __enter__(self) -> LheoWriter:
        fd, name = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.",
                                    suffix=".tmp")
        self._tmp = Path(name)
        self._handle = os.fdopen(fd, "wb")
        if self._parallel:
            try:
                self._validator = ParallelValidator()
            except OSError:
                self._validator = None
        if self._progress is not None:
            self._progress.start("Export LHEO")
        out = _Tee(self._handle, self._validator)
        self._writer = LheoWriter(out, now=self._now, progress=self._progress,  # type: ignore[arg-type]
                                  check=check_formation if self._check else None)
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
            if self._check and self._writer.report.formations == 0:
                raise NothingToExport(self._writer.report.left_out)
            report = self._validator.result() if self._validator is not None else None
            self._validator = None
            if report is None:
                report = validate_lheo(self._tmp, progress=self._progress)
            self.validation = report
            if not report.valid:
                raise LheoExportError(report.issues)
            os.chmod(self._tmp, 0o644)
            os.replace(self._tmp, self.path)
            self._tmp = None
            self.report = self._writer.report
            self.report.path = self.path
        finally:
            if self._validator is not None:
                self._validator.cancel()
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
    parallel: bool = True,
    check: bool = True,
) -> ExportReport:
    """Write ``items`` to ``path`` as LHEO 2.3, validated, atomically.

    An action that does not validate is left out (``report.left_out`` says why) and the others are
    written. Raises ``NothingToExport`` when no action is left to write, ``LheoExportError``
    (« Action FB-000042 : élément intitule-formation : … ») if the file still does not validate;
    then no file is published at ``path``. ``check=False``: no action is left out, one invalid
    action refuses the whole file (``LheoExportError``).
    """
    export = AtomicLheoExport(path, now=now, progress=progress, parallel=parallel, check=check)
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


if __name__ == "__main__":
    sys.exit(_validate_stdin())
