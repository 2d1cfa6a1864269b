"""The LHEO 2.3 code tables and the Formacode « public visé » list, shipped with the package."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    label: str


def _load(name: str) -> dict[str, object]:
    text = resources.files("domain").joinpath("data", name).read_text(encoding="utf-8")
    data: dict[str, object] = json.loads(text)
    return data


@cache
def lheo_table(name: str, *, exclude: frozenset[str] = frozenset()) -> tuple[Code, ...]:
    """A ``dict-*`` table of LHEO 2.3 in its published order, minus the ``exclude`` codes."""
    tables = _load("lheo-tables-2.3.json")["tables"]
    assert isinstance(tables, dict)
    values = tables[name]["valeurs"]
    return tuple(Code(v["code"], v["libelle"]) for v in values if v["code"] not in exclude)


@cache
def publics_vises() -> tuple[Code, ...]:
    """The 73 Formacode V14 « public visé » codes."""
    values = _load("formacode-v14-publics.json")["valeurs"]
    assert isinstance(values, list)
    return tuple(Code(v["code"], v["libelle"]) for v in values)


def label_of(codes: tuple[Code, ...], code: str) -> str:
    for c in codes:
        if c.code == code:
            return c.label
    return code
