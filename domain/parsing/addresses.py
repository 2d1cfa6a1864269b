"""Postal addresses (``Kind.ADDRESS``): 1–4 lines, then the code postal and the ville, typed on one
line (« 12 rue des Lilas, 31000 Toulouse ») or several."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from domain.errors import FieldError
from domain.parsing.common import INPUT_MAX, REQUIRED, WHITESPACE, as_model, clean, unexpected
from domain.parsing.kinds import Spec
from domain.text import plural, quote
from domain.values import Address

ADDRESS_LINES_MAX = 4
ADDRESS_LINE_MAX = 50
VILLE_MAX = 50
ADDRESS_EXAMPLE = "12 rue des Lilas, 31000 Toulouse"

_CP_AND_CITY = re.compile(r"([0-9]{2}) ?([0-9]{3})[ ,]+(.+)")
_CP_ONLY = re.compile(r"([0-9]{2}) ?([0-9]{3})")


def _check_address_lines(lines: Iterable[str], key: str | None) -> tuple[str, ...]:
    cleaned = [WHITESPACE.sub(" ", clean(line, key, INPUT_MAX)) for line in lines]
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
    text = clean(raw, key, INPUT_MAX)
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
    text = clean(raw, key, INPUT_MAX)
    compact = WHITESPACE.sub("", text)
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
    text = WHITESPACE.sub(" ", clean(raw, key, INPUT_MAX))
    if not text:
        raise FieldError(f"{REQUIRED} : écrivez la ville, par exemple Toulouse.", key=key)
    if len(text) > VILLE_MAX:
        raise FieldError(f"Ville : {plural(len(text), 'caractère')}, {VILLE_MAX} au plus", key=key)
    if not any(c.isalpha() for c in text):
        raise FieldError(
            f"Ville non reconnue : {quote(text)}. Écrivez son nom, par exemple Toulouse", key=key
        )
    return text


def parse_address(spec: Spec, text: str) -> Address:
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


def check_address(spec: Spec, value: Any) -> Address:
    address = as_model(spec, value, Address)
    if not isinstance(address.lignes, tuple | list) or not all(
        isinstance(line, str) for line in address.lignes
    ):
        raise unexpected(spec)
    if not isinstance(address.code_postal, str) or not isinstance(address.ville, str):
        raise unexpected(spec)
    return Address(
        lignes=_check_address_lines(address.lignes, spec.key),
        code_postal=parse_code_postal(address.code_postal, key=spec.key),
        ville=parse_ville(address.ville, key=spec.key),
    )
