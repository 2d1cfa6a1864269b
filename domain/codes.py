"""The LHEO 2.3 code tables and the Formacode « public visé » list, shipped with the package."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class Code:
    """One entry of a table: the code formabot stores and exports, its label, and the other keys
    the official table gives the same entry (``aliases``: read and accepted, never written)."""

    code: str
    label: str
    aliases: tuple[str, ...] = ()

    def has(self, code: str) -> bool:
        """Whether ``code`` is this entry's code or one of its other keys."""
        return code == self.code or code in self.aliases


def _load(name: str) -> dict[str, object]:
    text = resources.files("domain").joinpath("data", name).read_text(encoding="utf-8")
    data: dict[str, object] = json.loads(text)
    return data


@cache
def lheo_table(name: str, *, exclude: frozenset[str] = frozenset()) -> tuple[Code, ...]:
    """A ``dict-*`` table of LHEO 2.3 in its published order, minus the ``exclude`` codes: one
    ``Code`` per entry of the official table. Where an entry has several keys (``dict-AIS``:
    « Perfectionnement, élargissement des compétences » is keys 2 and 3; the JSON lists each key
    on its own, with the same label), the first key is the code, the others its ``aliases``."""
    tables = _load("lheo-tables-2.3.json")["tables"]
    assert isinstance(tables, dict)
    entries: dict[str, Code] = {}
    for value in tables[name]["valeurs"]:
        code, label = value["code"], value["libelle"]
        if code in exclude:
            continue
        first = entries.get(label)
        entries[label] = Code(code, label) if first is None else Code(
            first.code, label, (*first.aliases, code)
        )
    return tuple(entries.values())


@cache
def publics_vises() -> tuple[Code, ...]:
    """The 73 Formacode V14 « public visé » codes."""
    values = _load("formacode-v14-publics.json")["valeurs"]
    assert isinstance(values, list)
    return tuple(Code(v["code"], v["libelle"]) for v in values)


def label_of(codes: tuple[Code, ...], code: str) -> str:
    for c in codes:
        if c.has(code):
            return c.label
    return code


def canonical(codes: tuple[Code, ...], code: str) -> str:
    """The code written for ``code`` (its entry's first key; an unknown code as it is)."""
    return next((c.code for c in codes if c.has(code)), code)
