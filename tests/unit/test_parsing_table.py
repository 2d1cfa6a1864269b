"""The parsers' table: every kind of input has its functions, and the parsers never read the catalogue."""

from __future__ import annotations

from domain.catalogue import ALL_FIELDS, Kind
from domain.parsing import KINDS
from domain.parsing import Kind as ParsingKind
from tests.unit.test_import_graph import dependencies, project_modules


def test_every_kind_has_its_row_in_the_table() -> None:
    assert ParsingKind is Kind
    assert set(KINDS) == set(Kind)
    assert {spec.kind for spec in ALL_FIELDS} <= set(KINDS)


def test_the_parsers_do_not_import_the_catalogue() -> None:
    graph = dependencies(project_modules())
    parsers = [module for module in graph if module.split(".")[:2] == ["domain", "parsing"]]
    assert len(parsers) >= 9
    wrong = sorted(f"{module} → {target}" for module in parsers for target in graph[module]
                   if target in ("domain.catalogue", "domain.rules", "domain.lifecycle"))
    assert not wrong, wrong


def test_a_fields_own_words_are_data_of_its_entry() -> None:
    by_key = {spec.key: spec for spec in ALL_FIELDS}
    assert by_key["publics"].item_nouns == ("public choisi", "publics choisis")
    assert by_key["codes_rome"].code_name == "Code ROME"
    codes = [spec for spec in ALL_FIELDS if spec.kind is Kind.CODES]
    assert codes and all(spec.item_nouns and spec.code_shape for spec in codes)
