"""Answers picked from a list: yes or no (``Kind.YESNO``), one code (``Kind.CHOICE``) or several
(``Kind.MULTI_CHOICE``), typed as a code, a label or the beginning of a label."""

from __future__ import annotations

import re
from typing import Any

from domain.codes import Code
from domain.errors import FieldError
from domain.parsing.common import (
    as_items,
    count_message,
    dedup,
    format_plain,
    split_items,
    unexpected,
)
from domain.parsing.kinds import Spec
from domain.text import fold, number, quote

# « aucun » answers a list of codes or choices with none.
NONE_WORDS = frozenset({"aucun", "aucune", "neant", "sans", "rien", "-"})
_YES = frozenset({"oui", "o", "yes", "y", "1", "vrai", "v", "true", "ok", "ouais"})
_NO = frozenset({"non", "n", "no", "0", "faux", "f", "false"})


def parse_yesno(spec: Spec, text: str) -> bool:
    folded = fold(text).strip(" .!")
    if folded in _YES:
        return True
    if folded in _NO:
        return False
    raise FieldError(f"Répondez par oui ou par non (vous avez écrit : {quote(text)}).", key=spec.key)


def check_yesno(spec: Spec, value: Any) -> bool:
    if not isinstance(value, bool):
        raise unexpected(spec)
    return value


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
    exact_code = [c for c in choices if any(fold(k) == folded for k in (c.code, *c.aliases))]
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


def _one_choice(spec: Spec, text: str) -> str:
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


def parse_choice(spec: Spec, text: str) -> str:
    return _one_choice(spec, text)


def _entry(spec: Spec, code: str) -> Code | None:
    """The entry of ``spec.choices`` that ``code`` designates (its code or another key of it)."""
    return next((c for c in spec.choices if c.has(code)), None)


def check_choice(spec: Spec, value: Any) -> str:
    """The entry's code (another key of the same entry, e.g. dict-AIS 3, becomes its code, 2)."""
    if not isinstance(value, str):
        raise unexpected(spec)
    entry = _entry(spec, value)
    if entry is None:
        raise FieldError(
            f"Choix inconnu : {quote(value)}. Choix possibles : {_labels_hint(spec.choices)}",
            key=spec.key,
        )
    return entry.code


def parse_multi_choice(spec: Spec, text: str) -> tuple[str, ...]:
    parts = split_items(text, r"[,;\n]")
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
        raise _unknown_choices(spec, unknown, "non reconnu")
    if ambiguous:
        candidates = tuple(_match_choice(spec.choices, ambiguous[0]))
        raise FieldError(
            f"Plusieurs choix possibles pour « {quote(ambiguous[0])} » : "
            f"{_labels_hint(candidates, limit=5)}. Écrivez le libellé complet ou touchez les boutons.",
            key=spec.key,
        )
    return tuple(codes)



def _unknown_choices(spec: Spec, unknown: list[str], adjective: str) -> FieldError:
    """« Choix {adjective}(s) : » the first five, and the choices there are."""
    names = ", ".join(quote(u) for u in unknown[:5])
    return FieldError(
        f"Choix {adjective}{'s' if len(unknown) > 1 else ''} : {names}. "
        f"Choix possibles : {_labels_hint(spec.choices)}",
        key=spec.key,
    )


def check_multi_choice(spec: Spec, value: Any) -> tuple[str, ...]:
    entries = {item: _entry(spec, item) for item in as_items(spec, value)}
    unknown = [item for item, entry in entries.items() if entry is None]
    if unknown:
        raise _unknown_choices(spec, unknown, "inconnu")
    items = dedup(tuple(entry.code for entry in entries.values() if entry is not None))
    message = count_message(spec, len(items))
    if message is not None:
        raise FieldError(message, key=spec.key)
    return items


def _label(spec: Spec, code: str) -> str:
    entry = _entry(spec, code)
    return entry.label if entry is not None else code


def format_yesno(spec: Spec, value: Any) -> str:
    if isinstance(value, bool):
        return "oui" if value else "non"
    return format_plain(spec, value)


def format_choice(spec: Spec, value: Any) -> str:
    if isinstance(value, str):
        return _label(spec, value)
    return format_plain(spec, value)


def format_multi_choice(spec: Spec, value: Any) -> str:
    if isinstance(value, tuple | list):
        if not value:
            return "aucun"
        return ", ".join(_label(spec, str(v)) for v in value)
    return format_plain(spec, value)
