"""French dates (``Kind.DATE``: « 15/03/2027 », « 15 mars 2027 », « le lundi 15 mars 27 »…) and
semesters (``Kind.SEMESTER``: « S1 2027 », « premier semestre 2027 »…)."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from typing import Any

from babel.dates import get_day_names, get_month_names

from domain.errors import FieldError
from domain.parsing.common import INPUT_MAX, clean, format_plain, unexpected
from domain.parsing.kinds import Spec
from domain.text import fold, quote

DATE_YEARS = (1900, 2100)
SEMESTER_YEARS = (2000, 2100)
DATE_EXAMPLE = "15/03/2027"


@cache
def _month_words() -> dict[str, int]:
    """Folded French month names (wide and abbreviated, from babel) and their unique prefixes."""
    words: dict[str, int] = {}
    wide = {fold(name): month for month, name in get_month_names("wide", locale="fr").items()}
    for month, name in get_month_names("abbreviated", locale="fr").items():
        words[fold(name).rstrip(".")] = month
    words.update(wide)
    for name, month in wide.items():
        for end in range(3, len(name)):
            prefix = name[:end]
            owners = {m for n, m in wide.items() if n.startswith(prefix)}
            if owners == {month}:
                words.setdefault(prefix, month)
    return words


@cache
def _day_words() -> frozenset[str]:
    return frozenset(fold(name) for name in get_day_names("wide", locale="fr").values())


_DATE_NUMERIC = re.compile(r"([0-9]{1,2})\s*([/.-])\s*([0-9]{1,2})\s*\2\s*([0-9]{4}|[0-9]{2})")
_DATE_SPACED = re.compile(r"([0-9]{1,2}) ([0-9]{1,2}) ([0-9]{4})")
_DATE_ISO = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_DATE_NAMED = re.compile(r"([0-9]{1,2})\s*(?:er)?\s*([a-z]+)\.?\s*([0-9]{4}|[0-9]{2})")


def parse_date(spec: Spec, text: str) -> date:
    folded = fold(text)
    words = folded.split(" ")
    if words and words[0] == "le":
        words = words[1:]
    if words and words[0].rstrip(",") in _day_words():
        words = words[1:]
    folded = " ".join(words)
    expected = f"Écrivez-la comme {DATE_EXAMPLE}"
    day = month = year = 0
    if (m := _DATE_NUMERIC.fullmatch(folded)) is not None:
        day, month, year = int(m.group(1)), int(m.group(3)), _year(m.group(4))
    elif (m := _DATE_SPACED.fullmatch(folded)) is not None:
        day, month, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
    elif (m := _DATE_ISO.fullmatch(folded)) is not None:
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    elif (m := _DATE_NAMED.fullmatch(folded)) is not None:
        found = _month_words().get(m.group(2))
        if found is None:
            raise FieldError(
                f"Mois non reconnu : {quote(m.group(2))}. {expected} ou 15 mars 2027",
                key=spec.key,
            )
        day, month, year = int(m.group(1)), found, _year(m.group(3))
    else:
        raise FieldError(
            f"Date non reconnue : {quote(text)}. {expected} ou 15 mars 2027", key=spec.key
        )
    try:
        return date(year, month, day)
    except ValueError as error:
        raise FieldError(f"Date invalide : {quote(text)}. {expected}", key=spec.key) from error


def _year(digits: str) -> int:
    return 2000 + int(digits) if len(digits) == 2 else int(digits)


def check_date(spec: Spec, value: Any) -> date:
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        raise unexpected(spec)
    low, high = DATE_YEARS
    if not low <= value.year <= high:
        raise FieldError(
            f"Année hors limites : {value.year}. Écrivez une date entre {low} et {high}, "
            f"comme {DATE_EXAMPLE}",
            key=spec.key,
        )
    return value


_SEMESTER_FORMS = (
    re.compile(r"s ?(?P<half>[12]) ?[/-]? ?(?P<year>[0-9]{4})"),
    re.compile(r"(?P<year>[0-9]{4}) ?[/-]? ?s ?(?P<half>[12])"),
    re.compile(
        r"(?P<half>[12]) ?(?:er|ere|re|e|eme|nd|nde)? ?semestre ?(?:de |/ ?|- ?)?(?P<year>[0-9]{4})"
    ),
    re.compile(
        r"(?P<word>premier|1er|second|seconde|deuxieme) semestre ?(?:de |/ ?|- ?)?(?P<year>[0-9]{4})"
    ),
)


def check_semester(spec: Spec, value: Any) -> str:
    if not isinstance(value, str):
        raise unexpected(spec)
    text = clean(value, spec.key, INPUT_MAX)
    folded = fold(text)
    expected = "Écrivez S1 2027 (janvier à juin) ou S2 2027 (juillet à décembre)"
    for form in _SEMESTER_FORMS:
        match = form.fullmatch(folded)
        if match is None:
            continue
        groups = match.groupdict()
        if groups.get("half"):
            half = groups["half"]
        else:
            half = "1" if groups["word"] in ("premier", "1er") else "2"
        year = int(groups["year"])
        low, high = SEMESTER_YEARS
        if not low <= year <= high:
            raise FieldError(
                f"Année hors limites : {year}. Entre {low} et {high}, par exemple S1 2027",
                key=spec.key,
            )
        return f"S{half} {year}"
    raise FieldError(f"Semestre non reconnu : {quote(text)}. {expected}", key=spec.key)


def format_date(spec: Spec, value: Any) -> str:
    if isinstance(value, date):
        return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"
    return format_plain(spec, value)
