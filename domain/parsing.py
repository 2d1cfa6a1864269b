"""Parsing and checking of one answer, per field of the catalogue.

``FieldSpec.parse``, ``FieldSpec.check`` and ``FieldSpec.format`` delegate here:

- ``parse_answer(spec, raw)`` turns what the user typed into the normalised value of the field,
- ``check_value(spec, value)`` checks an already typed value (a button's, a stored one) with the same
  rules, and ``parse_answer`` ends by calling it, so both always agree,
- ``format_value(spec, value)`` writes the value as the recap shows it.

Every refusal is a ``FieldError`` whose French message says what is wrong and what is expected;
no user input raises anything else. Long inputs are refused on their length before any parsing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, TypeVar

import phonenumbers
from babel.dates import get_day_names, get_month_names
from email_validator import EmailNotValidError, validate_email
from pydantic import ValidationError
from stdnum.fr import siret as stdnum_siret

from domain.catalogue import FieldSpec, Kind
from domain.codes import Code
from domain.errors import FieldError
from domain.models import Document
from domain.text import (
    bad_character,
    euros,
    fold,
    has_long_combining_run,
    number,
    plural,
    quote,
)
from domain.values import Address, Contact

__all__ = [
    "ADDRESS_LINES_MAX",
    "ADDRESS_LINE_MAX",
    "DOCUMENT_MAX_BYTES",
    "PERSON_NAME_MAX",
    "VILLE_MAX",
    "check_value",
    "format_value",
    "parse_address_lines",
    "parse_answer",
    "parse_code_postal",
    "parse_email",
    "parse_person_name",
    "parse_phone",
    "parse_ville",
]

ADDRESS_LINES_MAX = 4
ADDRESS_LINE_MAX = 50
VILLE_MAX = 50
PERSON_NAME_MAX = 50
PHONE_MAX = 25
EMAIL_MIN, EMAIL_MAX = 3, 160
URL_MIN, URL_MAX = 3, 400
DOCUMENT_MAX_BYTES = 20 * 1024 * 1024
DATE_YEARS = (1900, 2100)
SEMESTER_YEARS = (2000, 2100)
TEXT_DEFAULT_MAX = 3000
# Any answer of a non-text kind longer than this is refused before it is parsed.
INPUT_MAX = 2000

REQUIRED = "Ce champ est obligatoire"
DATE_EXAMPLE = "15/03/2027"
PHONE_EXAMPLE = "05 61 00 00 00 ou +32 2 555 12 12"
EMAIL_EXAMPLE = "contact@organisme.fr"
URL_EXAMPLE = "https://www.exemple.fr"
ADDRESS_EXAMPLE = "12 rue des Lilas, 31000 Toulouse"
CONTACT_EXAMPLE = "Martin Claire, 05 61 00 00 00, claire.martin@exemple.fr"

_NONE_WORDS = frozenset({"aucun", "aucune", "neant", "sans", "rien", "-"})
_YES = frozenset({"oui", "o", "yes", "y", "1", "vrai", "v", "true", "ok", "ouais"})
_NO = frozenset({"non", "n", "no", "0", "faux", "f", "false"})

# Words used in « 11 publics choisis : 10 au plus » (singular, plural), per field key.
_ITEM_NOUNS: dict[str, tuple[str, str]] = {
    "publics": ("public choisi", "publics choisis"),
    "cofinanceurs": ("financeur choisi", "financeurs choisis"),
    "formacodes": ("code Formacode", "codes Formacode"),
    "codes_rome": ("code ROME", "codes ROME"),
    "certifications": ("certification", "certifications"),
}
# For CODES: how an item is called, and what it looks like.
_CODE_NAMES: dict[str, tuple[str, str]] = {
    "formacodes": ("Code Formacode", "5 chiffres"),
    "codes_rome": ("Code ROME", "une lettre de A à N puis 4 chiffres"),
    "certifications": ("Code de certification", "RNCP ou RS suivi du numéro"),
}

_WHITESPACE = re.compile(r"\s+")


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------


def parse_answer(spec: FieldSpec, raw: str) -> Any:
    """Turn a typed answer into the normalised value of ``spec``, or raise ``FieldError``."""
    if not isinstance(raw, str):
        raise FieldError("Réponse illisible : écrivez votre réponse en texte.", key=spec.key)
    if spec.kind is Kind.TEXT:
        return check_value(spec, raw)
    if spec.kind is Kind.DOCUMENT:
        raise FieldError("Envoyez le justificatif comme fichier (PDF ou photo).", key=spec.key)
    text = _clean(raw, spec.key, INPUT_MAX, spec.help)
    if not text:
        if _is_required(spec):
            raise FieldError(f"{REQUIRED}. {spec.help}", key=spec.key)
        return None
    if spec.kind in (Kind.MULTI_CHOICE, Kind.CODES) and fold(text) in _NONE_WORDS:
        return check_value(spec, ())
    parser = _PARSERS.get(spec.kind)
    value = parser(spec, text) if parser is not None else text
    return check_value(spec, value)


def check_value(spec: FieldSpec, value: Any) -> Any:
    """Check an already typed value with the rules of ``spec``; return it normalised."""
    if value is None:
        if _is_required(spec):
            raise FieldError(f"{REQUIRED}. {spec.help}", key=spec.key)
        return None
    checker = _CHECKERS.get(spec.kind)
    if checker is None:
        raise FieldError("Ce type de réponse n'est pas pris en charge.", key=spec.key)
    return checker(spec, value)


def format_value(spec: FieldSpec, value: Any) -> str:
    """The value as the recap shows it, in French; ``None`` is « — »."""
    if value is None:
        return "—"
    try:
        return _format(spec, value)
    except (TypeError, ValueError, ArithmeticError, AttributeError):
        return str(value)


# --------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------


def _is_required(spec: FieldSpec) -> bool:
    if spec.kind is Kind.TEXT:
        return (spec.min_len or 0) >= 1
    return spec.required or spec.min_items >= 1


def _unexpected(spec: FieldSpec) -> FieldError:
    return FieldError(f"Valeur non reconnue pour ce champ. {spec.help}", key=spec.key)


def _clean(raw: str, key: str | None, cap: int, expected: str = "") -> str:
    """Refuse an over-long answer or one with control characters; NFC, outer spaces removed."""
    if len(raw) > cap:
        hint = f" {expected}" if expected else ""
        raise FieldError(
            f"Réponse trop longue : {plural(len(raw), 'caractère')}, {number(cap)} au plus.{hint}",
            key=key,
        )
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    bad = bad_character(text)
    if bad is not None:
        raise FieldError(
            f"Caractère non accepté (U+{ord(bad):04X}) : écrivez du texte simple ; "
            "les retours à la ligne sont acceptés.",
            key=key,
        )
    if has_long_combining_run(text):
        raise FieldError(
            "Texte illisible : trop d'accents ou de signes combinés à la suite. "
            "Écrivez du texte simple.",
            key=key,
        )
    return unicodedata.normalize("NFC", text).strip()


def _length_message(count: int, minimum: int | None, maximum: int | None) -> str | None:
    """« 3 120 caractères : 3 000 au plus », or None when the count is within the limits."""
    if maximum is not None and count > maximum:
        return f"{plural(count, 'caractère')} : {number(maximum)} au plus"
    if minimum is not None and count < minimum:
        return f"{plural(count, 'caractère')} : {number(minimum)} au moins"
    return None


def _split_items(text: str, separators: str) -> list[str]:
    return [part.strip() for part in re.split(separators, text) if part.strip()]


# --------------------------------------------------------------------------------------------
# TEXT
# --------------------------------------------------------------------------------------------


def _check_text(spec: FieldSpec, value: Any) -> str | None:
    if not isinstance(value, str):
        raise _unexpected(spec)
    maximum = spec.max_len if spec.max_len is not None else TEXT_DEFAULT_MAX
    # NFC can at most divide a length by 3 (Hangul jamo): beyond this, the answer is too long anyway.
    cap = 4 * maximum + 100
    if len(value) > cap:
        value = value.strip()
        if len(value) > cap:
            raise FieldError(
                f"{plural(len(value), 'caractère')} : {number(maximum)} au plus", key=spec.key
            )
    text = _clean(value, spec.key, cap)
    if not text:
        if _is_required(spec):
            raise FieldError(f"{REQUIRED} : écrivez au moins un caractère.", key=spec.key)
        return None
    message = _length_message(len(text), spec.min_len, maximum)
    if message is not None:
        raise FieldError(message, key=spec.key)
    return text


# --------------------------------------------------------------------------------------------
# INTEGER and DECIMAL
# --------------------------------------------------------------------------------------------


def _parse_integer(spec: FieldSpec, text: str) -> int:
    compact = _WHITESPACE.sub("", text)
    example = number(1200)
    if re.fullmatch(r"[+-]?[0-9]+", compact) is None:
        if re.fullmatch(r"[+-]?[0-9]*[.,][0-9]+", compact) is not None:
            raise FieldError(
                f"Nombre entier attendu, sans virgule ni point : {quote(text)}. Par exemple {example}",
                key=spec.key,
            )
        raise FieldError(
            f"Nombre non reconnu : {quote(text)}. Écrivez un nombre entier, par exemple {example}",
            key=spec.key,
        )
    digits = compact.lstrip("+-").lstrip("0")
    if len(digits) > 15:
        limit = f" : {number(spec.max_value)} au plus" if spec.max_value is not None else ""
        raise FieldError(f"Nombre trop grand{limit}", key=spec.key)
    return int(compact)


def _check_integer(spec: FieldSpec, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _unexpected(spec)
    if abs(value) >= 10**15:
        limit = f" : {number(spec.max_value)} au plus" if spec.max_value is not None else ""
        raise FieldError(f"Nombre trop grand{limit}", key=spec.key)
    if spec.min_value is not None and value < spec.min_value:
        raise FieldError(f"{number(value)} : {number(spec.min_value)} au moins", key=spec.key)
    if spec.max_value is not None and value > spec.max_value:
        raise FieldError(f"{number(value)} : {number(spec.max_value)} au plus", key=spec.key)
    return value


_CENT = Decimal("0.01")


def _parse_decimal(spec: FieldSpec, text: str) -> Decimal:
    compact = _WHITESPACE.sub("", text)
    folded = compact.casefold()
    for suffix in ("euros", "euro", "eur", "€"):
        if folded.endswith(suffix):
            compact = compact[: -len(suffix)]
            break
    compact = compact.removeprefix("€")
    example = "4 500 ou 4 500,50"
    match = re.fullmatch(r"([+-]?)([0-9]+)(?:[.,]([0-9]+))?", compact)
    if match is None:
        if "," in compact and "." in compact:
            raise FieldError(
                f"Montant non reconnu : {quote(text)}. Écrivez-le sans point des milliers, "
                f"par exemple {example}",
                key=spec.key,
            )
        raise FieldError(
            f"Montant non reconnu : {quote(text)}. Écrivez-le comme {example}", key=spec.key
        )
    sign, whole, fraction = match.group(1), match.group(2), match.group(3) or ""
    fraction = fraction.rstrip("0")
    if len(fraction) > 2:
        raise FieldError(
            f"{plural(len(fraction), 'décimale')} : 2 au plus (les centimes), par exemple 4 500,50",
            key=spec.key,
        )
    if len(whole.lstrip("0")) > 20:
        raise FieldError(f"Montant trop grand : {quote(text)}", key=spec.key)
    return Decimal(f"{sign}{whole}.{fraction or '0'}")


def _check_decimal(spec: FieldSpec, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise _unexpected(spec)
    amount = Decimal(value)
    if not amount.is_finite():
        raise FieldError("Montant non reconnu. Écrivez-le comme 4 500 ou 4 500,50", key=spec.key)
    if amount != 0 and amount.adjusted() >= 20:
        raise FieldError("Montant trop grand.", key=spec.key)
    try:
        rounded = amount.quantize(_CENT)
    except InvalidOperation as error:  # pragma: no cover - bounded above
        raise FieldError("Montant non reconnu.", key=spec.key) from error
    if rounded != amount:
        raise FieldError("2 décimales au plus (les centimes), par exemple 4 500,50", key=spec.key)
    if rounded == 0:
        rounded = Decimal("0.00")
    if spec.min_value is not None and rounded < spec.min_value:
        raise FieldError(
            f"{euros(rounded)} : {euros(Decimal(spec.min_value))} au moins", key=spec.key
        )
    if spec.max_value is not None and rounded > spec.max_value:
        raise FieldError(
            f"{euros(rounded)} : {euros(Decimal(spec.max_value))} au plus", key=spec.key
        )
    if spec.max_len is not None and len(f"{rounded:f}") > spec.max_len:
        largest = Decimal(10) ** (spec.max_len - 3) - _CENT
        raise FieldError(f"Montant trop grand : {euros(rounded)}, {euros(largest)} au plus", key=spec.key)
    return rounded


# --------------------------------------------------------------------------------------------
# DATE
# --------------------------------------------------------------------------------------------


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


def _parse_date(spec: FieldSpec, text: str) -> date:
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


def _check_date(spec: FieldSpec, value: Any) -> date:
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        raise _unexpected(spec)
    low, high = DATE_YEARS
    if not low <= value.year <= high:
        raise FieldError(
            f"Année hors limites : {value.year}. Écrivez une date entre {low} et {high}, "
            f"comme {DATE_EXAMPLE}",
            key=spec.key,
        )
    return value


# --------------------------------------------------------------------------------------------
# YESNO
# --------------------------------------------------------------------------------------------


def _parse_yesno(spec: FieldSpec, text: str) -> bool:
    folded = fold(text).strip(" .!")
    if folded in _YES:
        return True
    if folded in _NO:
        return False
    raise FieldError(f"Répondez par oui ou par non (vous avez écrit : {quote(text)}).", key=spec.key)


def _check_yesno(spec: FieldSpec, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _unexpected(spec)
    return value


# --------------------------------------------------------------------------------------------
# CHOICE and MULTI_CHOICE
# --------------------------------------------------------------------------------------------


def _short_label(label: str) -> str:
    """« Niveau 4. Capacité à… » → « Niveau 4 »; long labels are cut."""
    head, dot, _ = label.partition(". ")
    if dot and len(head) <= 30:
        return head
    return quote(label, 45)


def _labels_hint(choices: tuple[Code, ...], limit: int = 8) -> str:
    labels: list[str] = []
    for code in choices:
        short = _short_label(code.label)
        if short not in labels:
            labels.append(short)
    if len(labels) <= limit:
        return ", ".join(labels)
    rest = len(labels) - limit
    return ", ".join(labels[:limit]) + f"… ({number(rest)} autres : touchez les boutons pour les voir)"


def _match_choice(choices: tuple[Code, ...], text: str) -> list[Code]:
    """The codes an answer may designate: its code, else its label, else a label it begins (a word)."""
    folded = fold(text)
    if not folded:
        return []
    exact_code = [c for c in choices if fold(c.code) == folded]
    if exact_code:
        return exact_code
    exact_label = [c for c in choices if fold(c.label) == folded]
    if exact_label:
        return exact_label
    prefix = [c for c in choices if fold(c.label).startswith(folded)]
    if prefix:
        return prefix
    word = re.compile(r"(?<![0-9a-z])" + re.escape(folded))
    return [c for c in choices if word.search(fold(c.label)) is not None]


def _one_choice(spec: FieldSpec, text: str) -> str:
    found = _match_choice(spec.choices, text)
    labels = {c.label for c in found}
    if len(labels) == 1:
        return found[0].code
    if not found:
        raise FieldError(
            f"Choix non reconnu : {quote(text)}. Choix possibles : {_labels_hint(spec.choices)}",
            key=spec.key,
        )
    raise FieldError(
        f"Plusieurs choix possibles pour « {quote(text)} » : "
        f"{_labels_hint(tuple(found), limit=5)}. Écrivez le libellé complet.",
        key=spec.key,
    )


def _parse_choice(spec: FieldSpec, text: str) -> str:
    return _one_choice(spec, text)


def _check_choice(spec: FieldSpec, value: Any) -> str:
    if not isinstance(value, str):
        raise _unexpected(spec)
    if not any(c.code == value for c in spec.choices):
        raise FieldError(
            f"Choix inconnu : {quote(value)}. Choix possibles : {_labels_hint(spec.choices)}",
            key=spec.key,
        )
    return value


def _parse_multi_choice(spec: FieldSpec, text: str) -> tuple[str, ...]:
    parts = _split_items(text, r"[,;\n]")
    labels = {fold(c.label): c.code for c in spec.choices}
    codes: list[str] = []
    unknown: list[str] = []
    ambiguous: list[str] = []
    index = 0
    while index < len(parts):
        # Some labels hold a comma (« Particulier, individuel »): try the longest run first.
        for end in range(min(len(parts), index + 4), index + 1, -1):
            code = labels.get(fold(", ".join(parts[index:end])))
            if code is not None:
                codes.append(code)
                index = end
                break
        else:
            part = parts[index]
            found = _match_choice(spec.choices, part)
            if len({c.label for c in found}) == 1:
                codes.append(found[0].code)
            elif found:
                ambiguous.append(part)
            else:
                unknown.append(part)
            index += 1
    if unknown:
        names = ", ".join(quote(u) for u in unknown[:5])
        raise FieldError(
            f"Choix non reconnu{'s' if len(unknown) > 1 else ''} : {names}. "
            f"Choix possibles : {_labels_hint(spec.choices)}",
            key=spec.key,
        )
    if ambiguous:
        candidates = tuple(_match_choice(spec.choices, ambiguous[0]))
        raise FieldError(
            f"Plusieurs choix possibles pour « {quote(ambiguous[0])} » : "
            f"{_labels_hint(candidates, limit=5)}. Écrivez le libellé complet ou touchez les boutons.",
            key=spec.key,
        )
    return tuple(codes)


def _count_message(spec: FieldSpec, count: int) -> str | None:
    default = ("code", "codes") if spec.kind is Kind.CODES else ("choix", "choix")
    singular, plural_form = _ITEM_NOUNS.get(spec.key, default)
    if spec.max_items is not None and count > spec.max_items:
        return f"{plural(count, singular, plural_form)} : {number(spec.max_items)} au plus"
    if count < spec.min_items:
        return f"{plural(count, singular, plural_form)} : {number(spec.min_items)} au moins"
    return None


def _as_items(spec: FieldSpec, value: Any) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise _unexpected(spec)
    items = list(value)
    if len(items) > INPUT_MAX or not all(isinstance(item, str) for item in items):
        raise _unexpected(spec)
    return items


def _dedup(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _check_multi_choice(spec: FieldSpec, value: Any) -> tuple[str, ...]:
    items = _dedup(_as_items(spec, value))
    known = {c.code for c in spec.choices}
    unknown = [item for item in items if item not in known]
    if unknown:
        names = ", ".join(quote(u) for u in unknown[:5])
        raise FieldError(
            f"Choix inconnu{'s' if len(unknown) > 1 else ''} : {names}. "
            f"Choix possibles : {_labels_hint(spec.choices)}",
            key=spec.key,
        )
    message = _count_message(spec, len(items))
    if message is not None:
        raise FieldError(message, key=spec.key)
    return items


# --------------------------------------------------------------------------------------------
# CODES
# --------------------------------------------------------------------------------------------


def _parse_codes(spec: FieldSpec, text: str) -> tuple[str, ...]:
    upper = text.upper()
    # « RNCP 34567 », « M 1607 »: a letter prefix followed by its digits is one code.
    upper = re.sub(r"\b([A-Z]{1,4})\s+(?=[0-9])", r"\1", upper)
    return tuple(_split_items(upper, r"[,;\s]+"))


def _check_codes(spec: FieldSpec, value: Any) -> tuple[str, ...]:
    items = _dedup(item.strip().upper() for item in _as_items(spec, value))
    if spec.pattern is not None:
        pattern = re.compile(spec.pattern, re.ASCII)
        bad = [item for item in items if pattern.fullmatch(item) is None]
        if bad:
            name, what = _CODE_NAMES.get(spec.key, ("Code", ""))
            names = ", ".join(quote(b, 20) for b in bad[:5])
            if len(bad) > 1:
                head = f"{name.replace('Code', 'Codes', 1)} inconnus ou mal écrits : {names}."
            else:
                head = f"{name} inconnu ou mal écrit : {names}."
            expected = f"{what}, par exemple" if what else "par exemple"
            raise FieldError(f"{head} Attendu : {expected} {spec.pattern_example}", key=spec.key)
    message = _count_message(spec, len(items))
    if message is not None:
        raise FieldError(message, key=spec.key)
    return items


# --------------------------------------------------------------------------------------------
# SIRET and DIGITS
# --------------------------------------------------------------------------------------------


def _check_siret(spec: FieldSpec, value: Any) -> str:
    if not isinstance(value, str):
        raise _unexpected(spec)
    text = _clean(value, spec.key, INPUT_MAX)
    compact = re.sub(r"[\s.\-]", "", text)
    if not (compact.isascii() and compact.isdigit()):
        raise FieldError(
            f"Le SIRET ne doit contenir que des chiffres (vous avez écrit : {quote(text)}). "
            "Attendu : 14 chiffres, par exemple 732 829 320 00074",
            key=spec.key,
        )
    if len(compact) != 14:
        raise FieldError(
            f"Le SIRET doit compter 14 chiffres (vous en avez écrit {number(len(compact))})",
            key=spec.key,
        )
    if not stdnum_siret.is_valid(compact):
        raise FieldError(
            f"SIRET invalide : {stdnum_siret.format(compact)} (la clé de contrôle ne correspond "
            "pas, un chiffre est sans doute faux). Recopiez-le depuis votre avis de situation Sirene.",
            key=spec.key,
        )
    return compact


def _check_digits(spec: FieldSpec, value: Any) -> str:
    if not isinstance(value, str):
        raise _unexpected(spec)
    text = _clean(value, spec.key, INPUT_MAX)
    compact = re.sub(r"[\s.\-]", "", text)
    low, high = spec.min_len, spec.max_len
    if low is not None and low == high:
        wanted = plural(low, "chiffre")
    elif low is not None and high is not None:
        wanted = f"de {number(low)} à {plural(high, 'chiffre')}"
    else:
        wanted = "des chiffres"
    example = f", par exemple {spec.pattern_example}" if spec.pattern_example else ""
    if not (compact.isascii() and compact.isdigit()):
        raise FieldError(
            f"Chiffres uniquement (vous avez écrit : {quote(text)}). Attendu : {wanted}{example}",
            key=spec.key,
        )
    too_short = low is not None and len(compact) < low
    too_long = high is not None and len(compact) > high
    pattern_ok = spec.pattern is None or re.fullmatch(spec.pattern, compact, re.ASCII) is not None
    if too_short or too_long or not pattern_ok:
        raise FieldError(
            f"Le numéro doit compter {wanted} (vous en avez écrit {number(len(compact))}){example}",
            key=spec.key,
        )
    return compact


# --------------------------------------------------------------------------------------------
# PHONE, EMAIL, URL
# --------------------------------------------------------------------------------------------

# French numbers (metropolitan and the overseas departments sharing the 0-prefixed plan) are
# written in national format; any other number in international format.
_NATIONAL_REGIONS = ("FR", "RE", "GP", "MQ", "GF", "YT")
_PHONE_WORDS = r"(?:t[ée]l[ée]?(?:phone)?|portable|mobile|fixe)"
_EMAIL_WORDS = r"(?:courriel|e-?mail|mail|m[ée]l)"
# « tél : 05… », « tél. 05… » before a number; « courriel : » (with a colon or a space) before an
# address, so that « mail@exemple.fr » keeps its name.
_PHONE_LABEL = re.compile(_PHONE_WORDS + r"\s*\.?\s*:?\s*", re.I)
_EMAIL_LABEL = re.compile(_EMAIL_WORDS + r"(?:\s*:\s*|\s+)", re.I)
_TRAILING_LABEL = re.compile(
    r"(?:^|\s)(?:" + _PHONE_WORDS + "|" + _EMAIL_WORDS + r")\s*\.?\s*:?\s*$", re.I
)


def parse_phone(raw: str, *, key: str | None = None, max_len: int = PHONE_MAX) -> str:
    """A phone number, normalised: « 05 61 00 00 00 », or « +32 2 000 00 00 » abroad."""
    if not isinstance(raw, str):
        raise FieldError("Numéro de téléphone illisible.", key=key)
    text = _clean(raw, key, INPUT_MAX)
    text = _PHONE_LABEL.sub("", text, count=1) if _PHONE_LABEL.match(text) else text
    expected = f"Par exemple {PHONE_EXAMPLE}"
    if not text or re.search(r"[^0-9\s+().\-/]", text) or not re.search(r"[0-9]", text):
        raise FieldError(
            f"Numéro de téléphone non reconnu : {quote(text or raw)}. {expected}", key=key
        )
    if len(re.sub(r"[^0-9]", "", text)) > 17:
        raise FieldError(f"Numéro de téléphone trop long : {quote(text)}. {expected}", key=key)
    international = text.startswith(("+", "00"))
    number_ = None
    for region in ("FR",) if international else _NATIONAL_REGIONS:
        try:
            candidate = phonenumbers.parse(text, region)
        except Exception:  # NumberParseException, or anything the library trips on
            continue
        if phonenumbers.is_valid_number(candidate):
            number_ = candidate
            break
    if number_ is None:
        raise FieldError(f"Numéro de téléphone non valide : {quote(text)}. {expected}", key=key)
    found_region = phonenumbers.region_code_for_number(number_)
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if found_region in _NATIONAL_REGIONS
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    formatted = str(phonenumbers.format_number(number_, style))
    if len(formatted) > max_len:
        raise FieldError(
            f"Numéro de téléphone trop long : {plural(len(formatted), 'caractère')}, "
            f"{number(max_len)} au plus",
            key=key,
        )
    return formatted


def parse_email(
    raw: str, *, key: str | None = None, min_len: int = EMAIL_MIN, max_len: int = EMAIL_MAX
) -> str:
    """An e-mail address, checked (syntax only, no DNS) and normalised."""
    if not isinstance(raw, str):
        raise FieldError("Courriel illisible.", key=key)
    text = _clean(raw, key, INPUT_MAX)
    if text.casefold().startswith("mailto:"):
        text = text[len("mailto:") :].strip()
    if (label := _EMAIL_LABEL.match(text)) is not None and "@" not in label.group(0):
        text = text[label.end() :]
    message = _length_message(len(text), min_len, max_len)
    if message is not None:
        raise FieldError(f"Courriel : {message}", key=key)
    expected = f"Écrivez-le comme {EMAIL_EXAMPLE}"
    if "@" not in text:
        raise FieldError(f"Courriel non valide : {quote(text)}. Il manque « @ ». {expected}", key=key)
    try:
        normalized = str(validate_email(text, check_deliverability=False).normalized)
    except EmailNotValidError as error:
        raise FieldError(f"Courriel non valide : {quote(text)}. {expected}", key=key) from error
    except Exception as error:  # the library must not let odd unicode escape as another error
        raise FieldError(f"Courriel non valide : {quote(text)}. {expected}", key=key) from error
    message = _length_message(len(normalized), min_len, max_len)
    if message is not None:
        raise FieldError(f"Courriel : {message}", key=key)
    return normalized


_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*)://")
_OTHER_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+\-]*:(?![0-9])")


def _check_url(spec: FieldSpec, value: Any) -> str:
    if not isinstance(value, str):
        raise _unexpected(spec)
    key = spec.key
    text = _clean(value, key, INPUT_MAX)
    expected = f"Par exemple {URL_EXAMPLE}"
    if re.search(r"\s", text):
        raise FieldError(
            f"Une adresse internet ne contient pas d'espace : {quote(text)}. {expected}", key=key
        )
    scheme_match = _SCHEME.match(text)
    if scheme_match is None:
        if _OTHER_SCHEME.match(text):
            raise FieldError(
                f"Adresse internet non acceptée : {quote(text)}. Seules les adresses http:// ou "
                f"https:// conviennent. {expected}",
                key=key,
            )
        text = "https://" + text.removeprefix("//")
        scheme_match = _SCHEME.match(text)
        assert scheme_match is not None
    scheme = scheme_match.group(1).lower()
    if scheme not in ("http", "https"):
        raise FieldError(
            f"Adresse internet non acceptée : {quote(text)}. Seules les adresses http:// ou "
            f"https:// conviennent. {expected}",
            key=key,
        )
    rest = text[scheme_match.end() :]
    netloc = re.split(r"[/?#]", rest, maxsplit=1)[0]
    tail = rest[len(netloc) :]
    host, _, port = netloc.partition(":")
    host = unicodedata.normalize("NFC", host.lower())
    port_ok = not port or (port.isascii() and port.isdigit() and len(port) <= 5 and 0 < int(port) < 65536)
    if not _is_domain(host) or not port_ok:
        raise FieldError(
            f"Adresse internet incomplète ou mal écrite : {quote(text)}. {expected}", key=key
        )
    url = f"{scheme}://{host}{':' + port if port else ''}{tail}"
    minimum = spec.min_len if spec.min_len is not None else URL_MIN
    maximum = spec.max_len if spec.max_len is not None else URL_MAX
    message = _length_message(len(url), minimum, maximum)
    if message is not None:
        raise FieldError(message, key=key)
    return url


def _is_domain(host: str) -> bool:
    labels = host.split(".")
    if len(labels) < 2 or len(host) > 253:
        return False
    for label in labels:
        if not 1 <= len(label) <= 63 or label.startswith("-") or label.endswith("-"):
            return False
        if not all(c.isalnum() or c == "-" for c in label):
            return False
    tld = labels[-1]
    return (tld.isalpha() and len(tld) >= 2) or tld.startswith("xn--")


def _check_phone(spec: FieldSpec, value: Any) -> str:
    if not isinstance(value, str):
        raise _unexpected(spec)
    return parse_phone(value, key=spec.key, max_len=spec.max_len or PHONE_MAX)


def _check_email(spec: FieldSpec, value: Any) -> str:
    if not isinstance(value, str):
        raise _unexpected(spec)
    return parse_email(
        value,
        key=spec.key,
        min_len=spec.min_len if spec.min_len is not None else EMAIL_MIN,
        max_len=spec.max_len if spec.max_len is not None else EMAIL_MAX,
    )


# --------------------------------------------------------------------------------------------
# SEMESTER
# --------------------------------------------------------------------------------------------

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


def _check_semester(spec: FieldSpec, value: Any) -> str:
    if not isinstance(value, str):
        raise _unexpected(spec)
    text = _clean(value, spec.key, INPUT_MAX)
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


# --------------------------------------------------------------------------------------------
# ADDRESS
# --------------------------------------------------------------------------------------------

_CP_AND_CITY = re.compile(r"([0-9]{2}) ?([0-9]{3})[ ,]+(.+)")
_CP_ONLY = re.compile(r"([0-9]{2}) ?([0-9]{3})")


def _check_address_lines(lines: Iterable[str], key: str | None) -> tuple[str, ...]:
    cleaned = [_WHITESPACE.sub(" ", _clean(line, key, INPUT_MAX)) for line in lines]
    cleaned = [line for line in cleaned if line]
    if not cleaned:
        raise FieldError(
            "Il manque l'adresse : au moins une ligne (numéro et rue), par exemple 12 rue des Lilas",
            key=key,
        )
    if len(cleaned) > ADDRESS_LINES_MAX:
        raise FieldError(
            f"{plural(len(cleaned), 'ligne')} d'adresse : {ADDRESS_LINES_MAX} au plus, "
            "avant le code postal et la ville",
            key=key,
        )
    for index, line in enumerate(cleaned, start=1):
        if len(line) > ADDRESS_LINE_MAX:
            raise FieldError(
                f"Ligne {index} de l'adresse, {plural(len(line), 'caractère')} : "
                f"{ADDRESS_LINE_MAX} au plus",
                key=key,
            )
    return tuple(cleaned)


def parse_address_lines(raw: str, *, key: str | None = None) -> tuple[str, ...]:
    """The 1–4 lines of an address (before code postal and ville), one per line of the message.

    A line longer than 50 characters that holds commas is split at them.
    """
    if not isinstance(raw, str):
        raise FieldError("Adresse illisible.", key=key)
    text = _clean(raw, key, INPUT_MAX)
    lines: list[str] = []
    for line in text.split("\n"):
        if len(line.strip()) > ADDRESS_LINE_MAX and "," in line:
            lines.extend(line.split(","))
        else:
            lines.append(line)
    return _check_address_lines(lines, key)


def parse_code_postal(raw: str, *, key: str | None = None) -> str:
    """A French code postal: exactly 5 digits (« 31 000 » is accepted)."""
    if not isinstance(raw, str):
        raise FieldError("Code postal illisible.", key=key)
    text = _clean(raw, key, INPUT_MAX)
    compact = _WHITESPACE.sub("", text)
    if len(compact) != 5 or not (compact.isascii() and compact.isdigit()):
        raise FieldError(
            f"Code postal : 5 chiffres attendus, par exemple 31000 (vous avez écrit : {quote(text)})",
            key=key,
        )
    return compact


def parse_ville(raw: str, *, key: str | None = None) -> str:
    """The ville of an address: 1–50 characters, with at least one letter."""
    if not isinstance(raw, str):
        raise FieldError("Ville illisible.", key=key)
    text = _WHITESPACE.sub(" ", _clean(raw, key, INPUT_MAX))
    if not text:
        raise FieldError(f"{REQUIRED} : écrivez la ville, par exemple Toulouse.", key=key)
    if len(text) > VILLE_MAX:
        raise FieldError(f"Ville : {plural(len(text), 'caractère')}, {VILLE_MAX} au plus", key=key)
    if not any(c.isalpha() for c in text):
        raise FieldError(
            f"Ville non reconnue : {quote(text)}. Écrivez son nom, par exemple Toulouse", key=key
        )
    return text


def _parse_address(spec: FieldSpec, text: str) -> Address:
    key = spec.key
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if len(lines) == 1 and "," not in lines[0]:
        # « 12 rue des Lilas 31000 Toulouse »: the code postal cuts the line.
        inline = re.fullmatch(r"(.*\S)\s+([0-9]{5}\s+\D.*)", lines[0])
        if inline is not None:
            lines = [inline.group(1), inline.group(2)]
    if len(lines) == 1 or (lines and _CP_AND_CITY.fullmatch(lines[-1]) is None and "," in lines[-1]):
        lines = lines[:-1] + [p.strip() for p in lines[-1].split(",") if p.strip()]
    if not lines:
        raise FieldError(
            f"Adresse non reconnue : {quote(text)}. Par exemple : {ADDRESS_EXAMPLE}", key=key
        )
    # « …, 31000, Toulouse »: the code postal alone, then the ville.
    if len(lines) >= 3 and _CP_ONLY.fullmatch(lines[-2]) and not _CP_ONLY.fullmatch(lines[-1]):
        lines = [*lines[:-2], f"{lines[-2]} {lines[-1]}"]
    last = lines[-1]
    match = _CP_AND_CITY.fullmatch(last)
    if match is None:
        if len(lines) == 1:
            raise FieldError(
                "Il manque le code postal et la ville. Écrivez l'adresse puis « code postal ville », "
                f"par exemple : {ADDRESS_EXAMPLE}",
                key=key,
            )
        raise FieldError(
            "La dernière ligne doit donner le code postal (5 chiffres) puis la ville, par exemple "
            f"31000 Toulouse (vous avez écrit : {quote(last)})",
            key=key,
        )
    if len(lines) == 1:
        raise FieldError(
            f"Il manque le numéro et la rue avant le code postal et la ville, par exemple : "
            f"{ADDRESS_EXAMPLE}",
            key=key,
        )
    return Address.model_construct(
        lignes=tuple(lines[:-1]),
        code_postal=match.group(1) + match.group(2),
        ville=match.group(3),
    )


def _check_address(spec: FieldSpec, value: Any) -> Address:
    address = _as_model(spec, value, Address)
    if not isinstance(address.lignes, tuple | list) or not all(
        isinstance(line, str) for line in address.lignes
    ):
        raise _unexpected(spec)
    if not isinstance(address.code_postal, str) or not isinstance(address.ville, str):
        raise _unexpected(spec)
    return Address(
        lignes=_check_address_lines(address.lignes, spec.key),
        code_postal=parse_code_postal(address.code_postal, key=spec.key),
        ville=parse_ville(address.ville, key=spec.key),
    )


_M = TypeVar("_M", Address, Contact, Document)


def _as_model(spec: FieldSpec, value: Any, model: type[_M]) -> _M:
    if isinstance(value, model):
        return value
    if isinstance(value, Mapping):
        try:
            return model.model_validate(value)
        except ValidationError as error:
            raise _unexpected(spec) from error
    raise _unexpected(spec)


# --------------------------------------------------------------------------------------------
# CONTACT
# --------------------------------------------------------------------------------------------

_EMAIL_TOKEN = re.compile(r"[^\s,;<>()]+@[^\s,;<>()]+")
_PHONE_RUN = re.compile(r"\+?[0-9(][0-9\s.\-()/]{6,}[0-9]")


def parse_person_name(raw: str, label: str, *, key: str | None = None) -> str:
    """A person's nom or prénom (``label`` names it in messages): 1–50 characters, a letter."""
    if not isinstance(raw, str):
        raise FieldError(f"{label} illisible.", key=key)
    text = _WHITESPACE.sub(" ", _clean(raw, key, INPUT_MAX))
    if not text:
        raise FieldError(f"{label} : {REQUIRED.lower()}.", key=key)
    if len(text) > PERSON_NAME_MAX:
        raise FieldError(
            f"{label} : {plural(len(text), 'caractère')}, {PERSON_NAME_MAX} au plus", key=key
        )
    if not any(c.isalpha() for c in text):
        raise FieldError(
            f"{label} non reconnu : {quote(text)}. Écrivez-le en lettres, par exemple Martin",
            key=key,
        )
    return text


def _parse_contact(spec: FieldSpec, text: str) -> Contact:
    key = spec.key
    parts = _split_items(text, r"[,;\n]")
    if not parts:
        raise FieldError(
            f"Commencez par le nom (et le prénom) du contact, par exemple : {CONTACT_EXAMPLE}",
            key=key,
        )
    head = parts[0]
    telephone: str | None = None
    courriel: str | None = None
    found_phones: list[str] = []
    found_emails: list[str] = []
    # The first part may hold everything: « Martin Claire 05 61 00 00 00 claire@exemple.fr ».
    found_emails.extend(_EMAIL_TOKEN.findall(head))
    head = _EMAIL_TOKEN.sub(" ", head)
    found_phones.extend(_PHONE_RUN.findall(head))
    head = _PHONE_RUN.sub(" ", head)
    while (label := _TRAILING_LABEL.search(head)) is not None:
        head = head[: label.start()]
    words = head.split()
    if not words:
        raise FieldError(
            f"Commencez par le nom (et le prénom) du contact, par exemple : {CONTACT_EXAMPLE}",
            key=key,
        )
    nom_raw, prenom_raw = words[0], " ".join(words[1:])
    for part in parts[1:]:
        if "@" in part:
            found_emails.append(part)
        elif re.search(r"[0-9]", part):
            found_phones.append(part)
        elif not prenom_raw and not found_phones and not found_emails:
            prenom_raw = part  # « Martin, Claire, 05 61 00 00 00 »
        else:
            raise FieldError(
                f"Je ne reconnais ni un téléphone ni un courriel dans : {quote(part)}. "
                f"Par exemple : {CONTACT_EXAMPLE}",
                key=key,
            )
    if len(found_phones) > 1:
        raise FieldError(
            "Un seul numéro de téléphone, s'il vous plaît (vous en avez écrit "
            f"{number(len(found_phones))}).",
            key=key,
        )
    if len(found_emails) > 1:
        raise FieldError(
            f"Un seul courriel, s'il vous plaît (vous en avez écrit {number(len(found_emails))}).",
            key=key,
        )
    if found_phones:
        telephone = parse_phone(found_phones[0], key=key)
    if found_emails:
        courriel = parse_email(found_emails[0], key=key)
    if telephone is None and courriel is None:
        raise FieldError(
            "Ajoutez un téléphone et/ou un courriel après le nom, par exemple : "
            f"{CONTACT_EXAMPLE}",
            key=key,
        )
    return Contact.model_construct(
        nom=nom_raw, prenom=prenom_raw or None, telephone=telephone, courriel=courriel
    )


def _check_contact(spec: FieldSpec, value: Any) -> Contact:
    contact = _as_model(spec, value, Contact)
    key = spec.key
    for attribute in (contact.prenom, contact.telephone, contact.courriel):
        if attribute is not None and not isinstance(attribute, str):
            raise _unexpected(spec)
    if not isinstance(contact.nom, str):
        raise _unexpected(spec)
    nom = parse_person_name(contact.nom, "Nom", key=key)
    prenom = (
        parse_person_name(contact.prenom, "Prénom", key=key)
        if contact.prenom is not None and contact.prenom.strip()
        else None
    )
    telephone = (
        parse_phone(contact.telephone, key=key)
        if contact.telephone is not None and contact.telephone.strip()
        else None
    )
    courriel = (
        parse_email(contact.courriel, key=key)
        if contact.courriel is not None and contact.courriel.strip()
        else None
    )
    if telephone is None and courriel is None:
        raise FieldError(
            f"Il faut un téléphone et/ou un courriel pour joindre {nom}. Par exemple : "
            f"{CONTACT_EXAMPLE}",
            key=key,
        )
    return Contact(nom=nom, prenom=prenom, telephone=telephone, courriel=courriel)


# --------------------------------------------------------------------------------------------
# DOCUMENT
# --------------------------------------------------------------------------------------------

_DOCUMENT_EXTENSIONS = (".pdf", ".jpg", ".jpeg", ".png", ".heic", ".heif", ".webp", ".gif", ".tif", ".tiff")


def _check_document(spec: FieldSpec, value: Any) -> Document:
    document = _as_model(spec, value, Document)
    if not isinstance(document.file_id, str) or not document.file_id.strip():
        raise FieldError("Fichier illisible : envoyez-le à nouveau (PDF ou photo).", key=spec.key)
    mime = (document.mime_type or "").lower()
    name = (document.file_name or "").lower()
    if mime:
        accepted = mime == "application/pdf" or mime.startswith("image/")
    else:
        accepted = name.endswith(_DOCUMENT_EXTENSIONS)
    if not accepted:
        shown = quote(document.file_name or document.mime_type or "ce fichier")
        raise FieldError(
            f"Format non accepté : {shown}. Envoyez le justificatif en PDF ou en photo.",
            key=spec.key,
        )
    if document.size is not None and document.size > DOCUMENT_MAX_BYTES:
        megabytes = Decimal(document.size) / (1024 * 1024)
        raise FieldError(
            f"Fichier trop lourd : {number(megabytes.quantize(Decimal('0.1')))} Mo : "
            f"{number(DOCUMENT_MAX_BYTES // (1024 * 1024))} Mo au plus",
            key=spec.key,
        )
    return document


# --------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------


def _format(spec: FieldSpec, value: Any) -> str:
    kind = spec.kind
    if kind is Kind.YESNO and isinstance(value, bool):
        return "oui" if value else "non"
    if kind is Kind.INTEGER and isinstance(value, int) and not isinstance(value, bool):
        return number(value)
    if kind is Kind.DECIMAL and isinstance(value, int | Decimal) and not isinstance(value, bool):
        return euros(Decimal(value))
    if kind is Kind.DATE and isinstance(value, date):
        return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"
    if kind is Kind.CHOICE and isinstance(value, str):
        return _label(spec, value)
    if kind in (Kind.MULTI_CHOICE, Kind.CODES) and isinstance(value, tuple | list):
        if not value:
            return "aucun"
        if kind is Kind.CODES:
            return ", ".join(str(v) for v in value)
        return ", ".join(_label(spec, str(v)) for v in value)
    if isinstance(value, Address | Contact):
        return value.one_line()
    if kind is Kind.SIRET and isinstance(value, str) and len(value) == 14 and value.isdigit():
        return str(stdnum_siret.format(value))
    if isinstance(value, Document):
        return value.file_name or "fichier joint"
    return str(value)


def _label(spec: FieldSpec, code: str) -> str:
    for choice in spec.choices:
        if choice.code == code:
            return choice.label
    return code


# --------------------------------------------------------------------------------------------
# Dispatch
# --------------------------------------------------------------------------------------------

_Parser = Callable[[FieldSpec, str], Any]
_Checker = Callable[[FieldSpec, Any], Any]

# Kinds without a parser here are strings normalised by their checker.
_PARSERS: dict[Kind, _Parser] = {
    Kind.INTEGER: _parse_integer,
    Kind.DECIMAL: _parse_decimal,
    Kind.DATE: _parse_date,
    Kind.YESNO: _parse_yesno,
    Kind.CHOICE: _parse_choice,
    Kind.MULTI_CHOICE: _parse_multi_choice,
    Kind.CODES: _parse_codes,
    Kind.ADDRESS: _parse_address,
    Kind.CONTACT: _parse_contact,
}

_CHECKERS: dict[Kind, _Checker] = {
    Kind.TEXT: _check_text,
    Kind.INTEGER: _check_integer,
    Kind.DECIMAL: _check_decimal,
    Kind.DATE: _check_date,
    Kind.YESNO: _check_yesno,
    Kind.CHOICE: _check_choice,
    Kind.MULTI_CHOICE: _check_multi_choice,
    Kind.CODES: _check_codes,
    Kind.ADDRESS: _check_address,
    Kind.CONTACT: _check_contact,
    Kind.URL: _check_url,
    Kind.EMAIL: _check_email,
    Kind.PHONE: _check_phone,
    Kind.SIRET: _check_siret,
    Kind.DIGITS: _check_digits,
    Kind.SEMESTER: _check_semester,
    Kind.DOCUMENT: _check_document,
}
