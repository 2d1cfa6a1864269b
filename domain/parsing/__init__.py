"""Parsing and checking of one answer, per kind of input; ``KINDS`` maps each kind to its functions.

``FieldSpec.parse``, ``FieldSpec.check`` and ``FieldSpec.format`` delegate here:

- ``parse_answer(spec, raw)`` turns what the user typed into the normalised value of the field,
- ``check_value(spec, value)`` checks an already typed value (a button's, a stored one) with the same
  rules, and ``parse_answer`` ends by calling it, so both always agree,
- ``format_value(spec, value)`` writes the value as the recap shows it.

One module per kind of input (``dates``, ``numbers``, ``codes``, ``choices``, ``addresses``,
``contacts``, ``texts``, ``documents``); they read a field through ``kinds.Spec`` and never import
the catalogue. A field's own words (how its items are counted, what its codes look like) are data
of its catalogue entry.

Every refusal is a ``FieldError`` whose French message says what is wrong and what is expected;
no user input raises anything else. Long inputs are refused on their length before any parsing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from domain.errors import FieldError
from domain.parsing import addresses, choices, codes, contacts, dates, documents, numbers, texts
from domain.parsing.addresses import (
    ADDRESS_LINE_MAX,
    ADDRESS_LINES_MAX,
    VILLE_MAX,
    parse_address_lines,
    parse_code_postal,
    parse_ville,
)
from domain.parsing.common import INPUT_MAX, REQUIRED, clean, format_plain, is_required
from domain.parsing.contacts import PERSON_NAME_MAX, parse_email, parse_person_name, parse_phone
from domain.parsing.documents import DOCUMENT_MAX_BYTES
from domain.parsing.kinds import Kind, Spec
from domain.text import fold

__all__ = [
    "ADDRESS_LINES_MAX",
    "ADDRESS_LINE_MAX",
    "DOCUMENT_MAX_BYTES",
    "KINDS",
    "PERSON_NAME_MAX",
    "VILLE_MAX",
    "Handlers",
    "Kind",
    "Spec",
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

Parser = Callable[[Spec, str], Any]
Checker = Callable[[Spec, Any], Any]
Formatter = Callable[[Spec, Any], str]


@dataclass(frozen=True, slots=True)
class Handlers:
    """What one kind of input does with an answer.

    ``parse`` reads the cleaned typed text (None: the text goes to ``check`` as it is), ``check``
    checks and normalises a typed value, ``format`` writes it for the recap.
    """

    check: Checker
    parse: Parser | None = None
    format: Formatter = format_plain


KINDS: Mapping[Kind, Handlers] = MappingProxyType({
    Kind.TEXT: Handlers(texts.check_text),
    Kind.INTEGER: Handlers(numbers.check_integer, numbers.parse_integer, numbers.format_integer),
    Kind.DECIMAL: Handlers(numbers.check_decimal, numbers.parse_decimal, numbers.format_decimal),
    Kind.DATE: Handlers(dates.check_date, dates.parse_date, dates.format_date),
    Kind.SEMESTER: Handlers(dates.check_semester),
    Kind.YESNO: Handlers(choices.check_yesno, choices.parse_yesno, choices.format_yesno),
    Kind.CHOICE: Handlers(choices.check_choice, choices.parse_choice, choices.format_choice),
    Kind.MULTI_CHOICE: Handlers(
        choices.check_multi_choice, choices.parse_multi_choice, choices.format_multi_choice
    ),
    Kind.CODES: Handlers(codes.check_codes, codes.parse_codes, codes.format_codes),
    Kind.SIRET: Handlers(codes.check_siret, format=codes.format_siret),
    Kind.DIGITS: Handlers(codes.check_digits),
    Kind.ADDRESS: Handlers(addresses.check_address, addresses.parse_address),
    Kind.CONTACT: Handlers(contacts.check_contact, contacts.parse_contact),
    Kind.URL: Handlers(contacts.check_url),
    Kind.EMAIL: Handlers(contacts.check_email),
    Kind.PHONE: Handlers(contacts.check_phone),
    Kind.DOCUMENT: Handlers(documents.check_document),
})


def parse_answer(spec: Spec, raw: str) -> Any:
    """Turn a typed answer into the normalised value of ``spec``, or raise ``FieldError``."""
    if not isinstance(raw, str):
        raise FieldError("Réponse illisible : écrivez votre réponse en texte.", key=spec.key)
    if spec.kind is Kind.TEXT:
        return check_value(spec, raw)
    if spec.kind is Kind.DOCUMENT:
        raise FieldError("Envoyez le justificatif comme fichier (PDF ou photo).", key=spec.key)
    text = clean(raw, spec.key, INPUT_MAX, spec.help)
    if not text:
        if is_required(spec):
            raise FieldError(f"{REQUIRED}. {spec.help}", key=spec.key)
        return None
    if spec.kind in (Kind.MULTI_CHOICE, Kind.CODES) and fold(text) in choices.NONE_WORDS:
        return check_value(spec, ())
    handlers = KINDS.get(spec.kind)
    parser = handlers.parse if handlers is not None else None
    value = parser(spec, text) if parser is not None else text
    return check_value(spec, value)


def check_value(spec: Spec, value: Any) -> Any:
    """Check an already typed value with the rules of ``spec``; return it normalised."""
    if value is None:
        if is_required(spec):
            raise FieldError(f"{REQUIRED}. {spec.help}", key=spec.key)
        return None
    handlers = KINDS.get(spec.kind)
    if handlers is None:
        raise FieldError("Ce type de réponse n'est pas pris en charge.", key=spec.key)
    return handlers.check(spec, value)


def format_value(spec: Spec, value: Any) -> str:
    """The value as the recap shows it, in French; ``None`` is « — »."""
    if value is None:
        return "—"
    handlers = KINDS.get(spec.kind)
    formatter = handlers.format if handlers is not None else format_plain
    try:
        return formatter(spec, value)
    except (TypeError, ValueError, ArithmeticError, AttributeError):
        return str(value)
