"""Codes typed by the user: lists of codes with a pattern (``Kind.CODES``: Formacode, ROME, RNCP/RS),
the SIRET (``Kind.SIRET``, with its check digit) and fixed-length numbers (``Kind.DIGITS``: the
numéro de déclaration d'activité)."""

from __future__ import annotations

import re
from typing import Any

from stdnum.fr import siret as stdnum_siret

from domain.errors import FieldError
from domain.parsing.common import (
    INPUT_MAX,
    as_items,
    clean,
    count_message,
    dedup,
    format_plain,
    split_items,
    unexpected,
)
from domain.parsing.kinds import Spec
from domain.text import number, plural, quote


def parse_codes(spec: Spec, text: str) -> tuple[str, ...]:
    upper = text.upper()
    # « RNCP 34567 », « M 1607 »: a letter prefix followed by its digits is one code.
    upper = re.sub(r"\b([A-Z]{1,4})\s+(?=[0-9])", r"\1", upper)
    return tuple(split_items(upper, r"[,;\s]+"))


def check_codes(spec: Spec, value: Any) -> tuple[str, ...]:
    items = dedup(item.strip().upper() for item in as_items(spec, value))
    if spec.pattern is not None:
        pattern = re.compile(spec.pattern, re.ASCII)
        bad = [item for item in items if pattern.fullmatch(item) is None]
        if bad:
            name, what = spec.code_name, spec.code_shape
            names = ", ".join(quote(b, 20) for b in bad[:5])
            if len(bad) > 1:
                head = f"{name.replace('Code', 'Codes', 1)} inconnus ou mal écrits : {names}."
            else:
                head = f"{name} inconnu ou mal écrit : {names}."
            expected = f"{what}, par exemple" if what else "par exemple"
            raise FieldError(f"{head} Attendu : {expected} {spec.pattern_example}", key=spec.key)
    message = count_message(spec, len(items))
    if message is not None:
        raise FieldError(message, key=spec.key)
    return items


def _typed_digits(spec: Spec, value: Any) -> tuple[str, str]:
    """What the user typed (cleaned), and it without the spaces, dots and dashes between digits."""
    if not isinstance(value, str):
        raise unexpected(spec)
    text = clean(value, spec.key, INPUT_MAX)
    return text, re.sub(r"[\s.\-]", "", text)


def check_siret(spec: Spec, value: Any) -> str:
    text, compact = _typed_digits(spec, value)
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


def check_digits(spec: Spec, value: Any) -> str:
    text, compact = _typed_digits(spec, value)
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


def format_codes(spec: Spec, value: Any) -> str:
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value) if value else "aucun"
    return format_plain(spec, value)


def format_siret(spec: Spec, value: Any) -> str:
    if isinstance(value, str) and len(value) == 14 and value.isdigit():
        return str(stdnum_siret.format(value))
    return format_plain(spec, value)
