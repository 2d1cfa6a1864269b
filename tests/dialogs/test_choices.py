"""Choice lists show each choice once (issue 15, item 9), as the member sees them.

Every choice question of the catalogue, for every funder it applies to: no two buttons with the
same label on any page; « Autres financeurs » never offers the principal funder, nor takes it typed.
"""

from __future__ import annotations

import pytest

from dialogs.render import label
from dialogs.testing import DialogClient
from domain.catalogue import ORGANISATION_FIELDS, FieldSpec, action_field
from domain.funders import Funder
from tests.dialogs.support import World, current_field, open_question
from tests.samples import CHOICE_FIELDS

CASES = [
    (spec, funder)
    for spec in CHOICE_FIELDS
    for funder in ([None] if spec in ORGANISATION_FIELDS else list(Funder))
    if funder is None or spec.funders is None or funder in spec.funders
]


async def _choice_labels(client: DialogClient, spec: FieldSpec) -> list[str]:
    """The labels of the choice buttons of the question, every page turned."""
    choices = {c.label for c in spec.choices}
    seen: list[str] = []
    while True:
        for text in client.labels:
            bare = text.removeprefix(label("ticked", label="")).removeprefix(label("unticked", label="")).strip()
            if bare in choices:
                seen.append(bare)
        if label("next_page") not in client.labels:
            return seen
        await client.press(label("next_page"))


@pytest.mark.parametrize(
    ("spec", "funder"), CASES, ids=lambda v: getattr(v, "key", None) or getattr(v, "value", "fiche")
)
async def test_each_choice_has_one_button(world: World, spec: FieldSpec, funder: Funder | None) -> None:
    client = await open_question(world, spec, funder)
    assert current_field(client) == spec, client.text
    labels = await _choice_labels(client, spec)
    assert labels and len(labels) == len(set(labels)), labels
    if spec.key == "objectif_general":
        assert labels.count("Perfectionnement, élargissement des compétences") == 1


@pytest.mark.parametrize("funder", [Funder.POLE_EMPLOI, Funder.REGION])
async def test_other_funders_do_not_offer_the_principal_funder(world: World, funder: Funder) -> None:
    spec = action_field("cofinanceurs")
    client = await open_question(world, spec, funder)
    principal = next(c.label for c in spec.choices if c.code == funder.lheo_code)
    labels = await _choice_labels(client, spec)
    assert principal not in labels and "OPCO" in labels
    await client.send(principal)  # typed: refused with the reason, the same question again
    assert "est le financeur principal de l'action" in client.text
    assert current_field(client) == spec
