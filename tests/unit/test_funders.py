"""The funders' table (``domain/funders.py``): every row complete, and each column read by its users.

Adding a funder is a member of ``Funder`` and its row (plus a template of next steps if no existing
one fits): these tests fail until the row is complete and every place that reads it agrees.
"""

from __future__ import annotations

import argparse
from dataclasses import fields

import pytest

from bot.commands import admin, member
from dialogs.render import render
from domain.catalogue import ALL_FIELDS
from domain.codes import lheo_table
from domain.funders import FUNDERS, Circuit, Funder, FunderRow
from domain.lifecycle import Operation, refusal
from domain.models import Status
from tests.factories import make_valid_action

ROWS = list(FUNDERS.items())


def test_every_funder_has_exactly_one_row_in_the_enum_order() -> None:
    assert list(FUNDERS) == list(Funder)


@pytest.mark.parametrize(("funder", "row"), ROWS, ids=[f.value for f, _ in ROWS])
def test_the_row_is_complete(funder: Funder, row: FunderRow) -> None:
    assert isinstance(row, FunderRow)
    for column in fields(FunderRow):
        value = getattr(row, column.name)
        assert value is not None and value != "", column.name
    assert isinstance(row.circuit, Circuit)
    assert row.label.strip() == row.label
    # Its LHEO code is one of ``dict-financeurs`` and leads back to it (export, then import).
    assert row.lheo_code in {code.code for code in lheo_table("dict-financeurs")}
    assert Funder.from_lheo_code(row.lheo_code) is funder
    # A validators' circuit needs validators, who link with a code; no other circuit has them.
    assert row.validator_code == (row.circuit is Circuit.VALIDATORS)
    # Its next steps exist and are rendered after confirmation.
    confirmed = render("confirmed.j2", action=make_valid_action(funder).model_copy(update={"reference": "X-1"}))
    assert confirmed.split("Et ensuite ?</b>", 1)[1].strip()


def test_labels_and_lheo_codes_are_unique() -> None:
    rows = list(FUNDERS.values())
    assert len({r.label for r in rows}) == len(rows)
    assert len({r.lheo_code for r in rows}) == len(rows)


@pytest.mark.parametrize("funder", list(FUNDERS), ids=lambda f: f.value)
def test_the_lifecycle_reads_the_circuit_and_the_copy_column(funder: Funder) -> None:
    submitted = make_valid_action(funder).model_copy(update={"status": Status.SUBMITTED, "justificatif_recu": False})
    published = make_valid_action(funder).model_copy(update={"status": Status.PUBLISHED})
    assert (refusal(submitted, Operation.RECORD_VOTE) is None) == (funder.circuit is Circuit.VOTE)
    assert (refusal(submitted, Operation.PUBLISH) is None) == (funder.circuit is Circuit.VALIDATORS)
    assert (refusal(submitted, Operation.MARK_JUSTIFICATION) is None) == (funder.circuit is Circuit.JUSTIFICATION)
    assert (refusal(published, Operation.COPY) is None) == funder.copyable
    asked = {f.key for f in ALL_FIELDS if f.applies_to(submitted)}
    assert {"numero_marche", "numero_bon_commande", "semestre_debut"} <= asked or not funder.purchase_order
    assert ("numero_bon_commande" in asked) == funder.purchase_order
    assert ("justificatif" in asked) == (funder.circuit is Circuit.JUSTIFICATION)


@pytest.mark.parametrize("module", [admin, member])
def test_the_command_line_offers_the_funders_with_a_validator_code(module: object) -> None:
    parser = argparse.ArgumentParser()
    module.register(parser.add_subparsers())  # type: ignore[attr-defined]
    wanted = sorted(f.value for f, row in ROWS if row.validator_code)
    choices = [a.choices for sub in _subparsers(parser) for a in sub._actions
               if a.dest == "funder" and a.choices is not None]
    assert choices and all(sorted(c) == wanted for c in choices)


def _subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _subparsers(sub)
    return found
