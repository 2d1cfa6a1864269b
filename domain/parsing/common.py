"""What every parser shares: cleaning an answer, the length and count messages, the fallbacks."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from pydantic import ValidationError

from domain.errors import FieldError
from domain.models import Document
from domain.parsing.kinds import Kind, Spec
from domain.text import bad_character, has_long_combining_run, number, plural
from domain.values import Address, Contact

# Any answer of a non-text kind longer than this is refused before it is parsed.
INPUT_MAX = 2000
REQUIRED = "Ce champ est obligatoire"

WHITESPACE = re.compile(r"\s+")


def is_required(spec: Spec) -> bool:
    if spec.kind is Kind.TEXT:
        return (spec.min_len or 0) >= 1
    return spec.required or spec.min_items >= 1


def unexpected(spec: Spec) -> FieldError:
    return FieldError(f"Valeur non reconnue pour ce champ. {spec.help}", key=spec.key)


def clean(raw: str, key: str | None, cap: int, expected: str = "") -> str:
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


def length_message(count: int, minimum: int | None, maximum: int | None) -> str | None:
    """« 3 120 caractères : 3 000 au plus », or None when the count is within the limits."""
    if maximum is not None and count > maximum:
        return f"{plural(count, 'caractère')} : {number(maximum)} au plus"
    if minimum is not None and count < minimum:
        return f"{plural(count, 'caractère')} : {number(minimum)} au moins"
    return None


def split_items(text: str, separators: str) -> list[str]:
    return [part.strip() for part in re.split(separators, text) if part.strip()]


def count_message(spec: Spec, count: int) -> str | None:
    """« 11 publics choisis : 10 au plus », in the field's own words (``item_nouns``)."""
    default = ("code", "codes") if spec.kind is Kind.CODES else ("choix", "choix")
    singular, plural_form = spec.item_nouns or default
    if spec.max_items is not None and count > spec.max_items:
        return f"{plural(count, singular, plural_form)} : {number(spec.max_items)} au plus"
    if count < spec.min_items:
        return f"{plural(count, singular, plural_form)} : {number(spec.min_items)} au moins"
    return None


def as_items(spec: Spec, value: Any) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise unexpected(spec)
    items = list(value)
    if len(items) > INPUT_MAX or not all(isinstance(item, str) for item in items):
        raise unexpected(spec)
    return items


def dedup(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


_M = TypeVar("_M", Address, Contact, Document)


def as_model(spec: Spec, value: Any, model: type[_M]) -> _M:
    if isinstance(value, model):
        return value
    if isinstance(value, Mapping):
        try:
            return model.model_validate(value)
        except ValidationError as error:
            raise unexpected(spec) from error
    raise unexpected(spec)


def format_plain(spec: Spec, value: Any) -> str:
    """The recap's text for a value its kind does not format itself (or of an unexpected type)."""
    if isinstance(value, Address | Contact):
        return value.one_line()
    if isinstance(value, Document):
        return value.file_name or "fichier joint"
    return str(value)
