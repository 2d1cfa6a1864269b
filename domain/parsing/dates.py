"""French dates (``Kind.DATE``: « 15/03/2027 », « 15 mars 2027 », « le lundi 15 mars 27 »…), periods
(both dates in one answer: « du 15/03/2027 au 30/10/2027 », ``split_period``) and semesters
(``Kind.SEMESTER``: « S1 2027 », « premier semestre 2027 »…)."""

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
    return _read_date(text, spec.key)


def _without_day_name(text: str) -> str:
    """« le lundi 15 mars 2027 » → « 15 mars 2027 », folded."""
    words = fold(text).split(" ")
    if words and words[0] == "le":
        words = words[1:]
    if words and words[0].rstrip(",") in _day_words():
        words = words[1:]
    return " ".join(words)


def _read_date(text: str, key: str | None) -> date:
    folded = _without_day_name(text)
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
                key=key,
            )
        day, month, year = int(m.group(1)), found, _year(m.group(3))
    else:
        raise FieldError(
            f"Date non reconnue : {quote(text)}. {expected} ou 15 mars 2027", key=key
        )
    try:
        return date(year, month, day)
    except ValueError as error:
        raise FieldError(f"Date invalide : {quote(text)}. {expected}", key=key) from error


# What may open a period (« du 15/03/2027 au… », « entre le… et le… »), and what separates its two
# dates: a word (« au », « à », « jusqu'au », « et ») or a dash or an arrow.
_PERIOD_START = re.compile(
    r"^\s*(?:p[ée]riode\s+)?(?:du|de|depuis\s+le|[àa]\s+partir\s+du|entre(?:\s+le)?)\s+", re.I
)
_PERIOD_WORD = re.compile(r"\s+(?:au|[àa]|jusqu['’]au|et)\s+", re.I)
_PERIOD_SIGN = re.compile(r"\s*(?:->|=>|[-–—‑‐→>])\s*")


def split_period(text: str) -> tuple[str, str] | None:
    """The two dates of a period typed in one answer, as typed, or None for anything else.

    « du 15/03/2027 au 30/10/2027 », « 15/03/2027 - 30/10/2027 », « 15/03/2027 au 30/10/2027 »,
    « 15 mars 2027 → 30 octobre 2027 », « entre le 15/03/2027 et le 30/10/2027 »… Each part is then
    read by its own field's parser (``FieldSpec.parse``), so both pass the same rules as when typed
    alone: a part written as a date but not one (« 31/02/2027 ») is split off all the same, and a
    start followed by something else (« du 15/03/2027 au lundi ») too: its parser says what is
    wrong. A single date (« 15-03-2027 »,
    « 2027-03-15 ») is not a period: a dash inside a date never splits it.
    """
    if not isinstance(text, str) or len(text) > INPUT_MAX:
        return None
    opened = _PERIOD_START.match(text)
    body = text[opened.end():] if opened else text.strip()
    fallback: tuple[str, str] | None = None
    separators = sorted([*_PERIOD_WORD.finditer(body), *_PERIOD_SIGN.finditer(body)], key=lambda m: m.start())
    for separator in separators:
        start, end = body[: separator.start()].strip(), body[separator.end() :].strip()
        if not start or not end or not _reads_as_date(start):
            continue
        if _reads_as_date(end):
            return start, end
        spaced = separator.group(0) != separator.group(0).strip()
        if fallback is None and (opened is not None or spaced):
            fallback = (start, end)
    return fallback


def _reads_as_date(text: str) -> bool:
    """Whether ``text`` is written as a date (31/02/2027 is: its parser then refuses it)."""
    folded = _without_day_name(text)
    return any(form.fullmatch(folded) for form in (_DATE_NUMERIC, _DATE_SPACED, _DATE_ISO, _DATE_NAMED))


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
