"""Numbers: whole numbers (``Kind.INTEGER``: hours, places) and amounts in euros (``Kind.DECIMAL``)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from domain.errors import FieldError
from domain.parsing.common import WHITESPACE, format_plain, unexpected
from domain.parsing.kinds import Spec
from domain.text import euros, number, plural, quote


def parse_integer(spec: Spec, text: str) -> int:
    compact = WHITESPACE.sub("", text)
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


def check_integer(spec: Spec, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise unexpected(spec)
    if abs(value) >= 10**15:
        limit = f" : {number(spec.max_value)} au plus" if spec.max_value is not None else ""
        raise FieldError(f"Nombre trop grand{limit}", key=spec.key)
    if spec.min_value is not None and value < spec.min_value:
        raise FieldError(f"{number(value)} : {number(spec.min_value)} au moins", key=spec.key)
    if spec.max_value is not None and value > spec.max_value:
        raise FieldError(f"{number(value)} : {number(spec.max_value)} au plus", key=spec.key)
    return value


_CENT = Decimal("0.01")


def parse_decimal(spec: Spec, text: str) -> Decimal:
    compact = WHITESPACE.sub("", text)
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


def check_decimal(spec: Spec, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise unexpected(spec)
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



def format_integer(spec: Spec, value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return number(value)
    return format_plain(spec, value)


def format_decimal(spec: Spec, value: Any) -> str:
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return euros(Decimal(value))
    return format_plain(spec, value)
