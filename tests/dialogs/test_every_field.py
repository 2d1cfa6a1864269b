"""Every field of the catalogue through the dialog, with an invalid then a valid answer.

Parametrised over the catalogue itself: a field added later is covered without a new test.
"""

from __future__ import annotations

import pytest

from domain.catalogue import ACTION_FIELDS, ORGANISATION_FIELDS, SESSION_FIELDS, FieldSpec, Kind
from domain.funders import Funder
from tests.dialogs.support import World, current_field
from tests.factories import make_valid_action
from tests.samples import INVALID_SAMPLES, VALID_DOCUMENTS, VALID_SAMPLES


def _funder_for(spec: FieldSpec) -> Funder:
    return Funder.REGION if spec.funders is None or Funder.REGION in spec.funders else next(iter(spec.funders))


async def _open(world: World, spec: FieldSpec):
    client = world.client()
    if spec in ORGANISATION_FIELDS:
        await client.command("menu")
        await client.press("🏢 Votre fiche organisme")
        await client.press(spec.display_label)
        return client
    draft = await world.add_action(make_valid_action(_funder_for(spec), organisation_id=world.org_a))
    await client.command("menu")
    await client.press("En cours de création (1)")
    await client.press(f"{draft.reference}")
    await client.press("✏ Modifier")
    if spec in SESSION_FIELDS:
        await client.press("✏ Session n° 1")
    else:
        await client.press(f"✏ {spec.group}")
    await client.press(spec.display_label)
    return client


@pytest.mark.parametrize("spec", [*ORGANISATION_FIELDS, *ACTION_FIELDS, *SESSION_FIELDS], ids=lambda s: f"{s.section}.{s.key}")
async def test_field_refuses_an_invalid_answer_then_accepts_a_valid_one(world: World, spec: FieldSpec) -> None:
    client = await _open(world, spec)
    assert current_field(client) == spec, client.text
    # An address or a contact is asked in sub-steps: its first step refuses a 51-character line.
    composite = spec.kind in (Kind.ADDRESS, Kind.CONTACT)
    await client.send("x" * 51 if composite else INVALID_SAMPLES[spec.key])
    assert "⚠" in client.text, client.text
    assert current_field(client) == spec
    if spec.kind is Kind.DOCUMENT:
        await client.document(VALID_DOCUMENTS[spec.key])
    else:
        await client.send(VALID_SAMPLES[spec.key])
    assert current_field(client) is None, client.text
    back_to = "Votre fiche organisme" if spec in ORGANISATION_FIELDS else "Récapitulatif"
    assert back_to in client.text
    expected = spec.format(spec.parse(VALID_SAMPLES[spec.key])) if spec.kind is not Kind.DOCUMENT else None
    if expected:
        assert expected.split("\n")[0] in client.text
