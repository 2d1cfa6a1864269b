"""« Tout saisir en un message »: a part of the form as one text to fill in, and that text read back.

``build(fields)`` writes one line per field, ``Label * [hint] :`` (the catalogue's label word for
word, the star of required fields, a short hint of the expected form for choices, codes, dates…);
``read(fields, text)`` finds each field's line again and gives its value to that field's own parser
(``FieldSpec.parse``): nothing is accepted here that the question would refuse.

Reading is lenient on what a copy adds and strict on what it loses: labels are matched whatever
the case, accents, quotes, bullets, spacing, hint or star; a value may run over several lines
(texts, addresses, contacts, lists); every line that is not understood is returned (``unknown``),
a label of another part of the form is named (``elsewhere``), a label given twice is refused
(``duplicates``: neither value is taken). Sessions are read by blocks (``read_blocks``), one per
« Session n° k » header. Pure functions; the French words of the report are the dialogs'.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from domain.catalogue import ALL_FIELDS, FieldSpec, Kind
from domain.errors import FieldError
from domain.text import fold

# A filled template is refused whole beyond this (a Telegram message is 4 096 characters; the
# console has no limit): every value's own limit is far below.
TEMPLATE_MAX_CHARS = 60_000
TEMPLATE_MAX_LINES = 1_500
# Unknown lines reported at most (the count of the others is given).
UNKNOWN_SHOWN = 10

_SEPARATORS = re.compile(r"[:：\t]")
_BULLET = re.compile(r"^[\s\-–—*•·◦▪▫■□●○‣⁃>#]+|^\s*\d{1,2}[.)]\s+")
_HINT = re.compile(r"\[[^\]]*\]")
_NON_WORD = re.compile(r"[^0-9a-z]+")
_SESSION_HEADER = re.compile(r"^session\s*(?:n\s*°|no|n|numero|nr)?\s*\.?\s*(\d{1,3})$")
_MULTILINE_KINDS = frozenset({Kind.ADDRESS, Kind.CONTACT, Kind.CODES, Kind.MULTI_CHOICE})
_LONG_TEXT = 256  # a text field whose limit is above this takes several lines


def hint(spec: FieldSpec) -> str:
    """The expected form of a field in a few words (« oui / non », « JJ/MM/AAAA »…), or ''."""
    if spec.kind is Kind.YESNO:
        return "oui / non"
    if spec.kind is Kind.DATE:
        return "JJ/MM/AAAA"
    if spec.kind is Kind.SEMESTER:
        return "S1 2027 ou S2 2027"
    if spec.kind is Kind.CHOICE:
        labels = [_short(c.label) for c in spec.choices]
        return " / ".join(labels) if len(labels) <= 4 else f"{' / '.join(labels[:3])} / …"
    if spec.kind is Kind.MULTI_CHOICE:
        return (
            f"{_short(spec.choices[0].label)}, … ; {spec.max_items} au plus" if spec.choices else ""
        )
    if spec.kind is Kind.CODES:
        return f"{spec.pattern_example}, … ; {spec.max_items} au plus"
    if spec.kind in (Kind.INTEGER, Kind.DIGITS, Kind.DECIMAL):
        return spec.pattern_example or ("4 500,50" if spec.kind is Kind.DECIMAL else "nombre")
    if spec.kind is Kind.ADDRESS:
        return "rue, code postal et ville"
    if spec.kind is Kind.CONTACT:
        return "nom prénom, téléphone, courriel"
    return ""


def _short(label: str) -> str:
    head, dot, _ = label.partition(". ")
    if dot and len(head) <= 30:
        return head
    return label if len(label) <= 32 else label[:31].rstrip(" ,") + "…"


def line_of(spec: FieldSpec) -> str:
    """``Label * [hint] :`` — the line the user fills in."""
    expected = hint(spec)
    return f"{spec.display_label}{f' [{expected}]' if expected else ''} :"


def writable(fields: Iterable[FieldSpec]) -> tuple[FieldSpec, ...]:
    """The fields a template carries: every field but a document (sent as a file)."""
    return tuple(f for f in fields if f.kind is not Kind.DOCUMENT)


def build(fields: Sequence[FieldSpec]) -> str:
    """The template of one part: one line per field, in the form's order."""
    return "\n".join(line_of(f) for f in writable(fields))


def session_header(number: int) -> str:
    return f"Session n° {number}"


def build_blocks(fields: Sequence[FieldSpec], first: int, count: int = 1) -> str:
    """The sessions' template: one block per session, each under its « Session n° k » header."""
    body = build(fields)
    return "\n\n".join(f"{session_header(first + i)}\n{body}" for i in range(count))


def label_key(text: str) -> str:
    """What a label is matched on: no bullet, hint, star, case, accent, quote or punctuation."""
    text = _BULLET.sub("", text)
    text = _HINT.sub(" ", text)
    return _NON_WORD.sub(" ", fold(text)).strip()


_INDEX: dict[str, tuple[FieldSpec, ...]] = {}
for _spec in ALL_FIELDS:
    _INDEX[label_key(_spec.label)] = (*_INDEX.get(label_key(_spec.label), ()), _spec)


@dataclass
class Reading:
    """What one filled template (or one session block) said, field by field."""

    values: dict[str, Any] = field(default_factory=dict)  # accepted, parsed by the field's parser
    empty: list[str] = field(default_factory=list)  # keys whose line was left empty
    refused: dict[str, str] = field(default_factory=dict)  # key -> the parser's French message
    duplicates: list[str] = field(default_factory=list)  # keys given on several lines: none taken
    unknown: list[str] = field(default_factory=list)  # lines not understood, as written (cut)
    unknown_more: int = 0  # unknown lines beyond those kept
    elsewhere: list[FieldSpec] = field(default_factory=list)  # labels of another part of the form
    number: int | None = None  # a session block's « Session n° k »

    @property
    def given(self) -> set[str]:
        return set(self.values) | set(self.empty) | set(self.refused) | set(self.duplicates)

    def note_unknown(self, line: str) -> None:
        if len(self.unknown) < UNKNOWN_SHOWN:
            shown = " ".join(line.split())
            self.unknown.append(shown if len(shown) <= 80 else shown[:79] + "…")
        else:
            self.unknown_more += 1


class TemplateTooLong(ValueError):
    """The filled template is over ``TEMPLATE_MAX_CHARS`` or ``TEMPLATE_MAX_LINES``."""


def _match(line: str) -> tuple[tuple[FieldSpec, ...], str] | None:
    """The fields a line's label names and the value after it; None for a line without a label."""
    whole = label_key(line)
    if whole in _INDEX and not _SEPARATORS.search(_HINT.sub("", line)):
        return _INDEX[whole], ""
    found: tuple[tuple[FieldSpec, ...], str] | None = None
    for separator in _SEPARATORS.finditer(line):
        if "[" in line[: separator.start()] and "]" not in line[: separator.start()]:
            continue  # a separator inside the hint
        key = label_key(line[: separator.start()])
        if key in _INDEX:
            found = (_INDEX[key], line[separator.end() :])
    return found


def _multiline(spec: FieldSpec) -> bool:
    return spec.kind in _MULTILINE_KINDS or (
        spec.kind is Kind.TEXT and (spec.max_len or 0) >= _LONG_TEXT
    )


def _lines(text: str) -> list[str]:
    if len(text) > TEMPLATE_MAX_CHARS:
        raise TemplateTooLong(text)
    lines = text.replace("\u00a0", " ").replace("\u202f", " ").splitlines()
    if len(lines) > TEMPLATE_MAX_LINES:
        raise TemplateTooLong(text)
    return lines


def read(fields: Sequence[FieldSpec], text: str) -> Reading:
    """Read one filled template of the part made of ``fields``. Raises ``TemplateTooLong``."""
    return _read_lines(fields, _lines(text))


def read_blocks(fields: Sequence[FieldSpec], text: str) -> list[Reading]:
    """Read several session blocks, each under its « Session n° k » header (none: one block)."""
    blocks: list[tuple[int | None, list[str]]] = [(None, [])]
    for line in _lines(text):
        header = _SESSION_HEADER.match(label_key(line))
        if header is not None:
            blocks.append((int(header.group(1)), []))
        else:
            blocks[-1][1].append(line)
    if not any(line.strip() for line in blocks[0][1]):
        blocks.pop(0)
    readings = []
    for number, lines in blocks:
        reading = _read_lines(fields, lines)
        reading.number = number
        readings.append(reading)
    return readings


def _read_lines(fields: Sequence[FieldSpec], lines: list[str]) -> Reading:
    mine = {f.key: f for f in fields}
    reading = Reading()
    raw: dict[str, list[str]] = {}
    current: FieldSpec | None = None  # the field whose value the following lines continue
    elsewhere = False  # the following lines continue another part's value: not reported twice
    for line in lines:
        matched = _match(line)
        if matched is not None:
            specs, value = matched
            spec = next((s for s in specs if mine.get(s.key) is s), None)
            if spec is None:
                if specs[0] not in reading.elsewhere:
                    reading.elsewhere.append(specs[0])
                current, elsewhere = None, True
                continue
            if spec.key in raw:
                if spec.key not in reading.duplicates:
                    reading.duplicates.append(spec.key)
            else:
                raw[spec.key] = []
            raw[spec.key].append(value.strip())
            current, elsewhere = spec, False
        elif current is not None and _multiline(current):
            raw[current.key].append(line.rstrip())
        elif line.strip() and not elsewhere:
            reading.note_unknown(line)
    for key, parts in raw.items():
        if key in reading.duplicates:
            continue
        _take(reading, mine[key], "\n".join(parts).strip())
    return reading


def _take(reading: Reading, spec: FieldSpec, value: str) -> None:
    if not value.strip():
        reading.empty.append(spec.key)
        return
    try:
        reading.values[spec.key] = spec.parse(value)
    except FieldError as error:
        reading.refused[spec.key] = error.message
