"""Every field of the catalogue through the dialog, with an invalid then a valid answer.

Parametrised over the catalogue itself: a field added later is covered without a new test.
"""

from __future__ import annotations

import pytest

from domain.catalogue import ACTION_FIELDS, ORGANISATION_FIELDS, SESSION_FIELDS, FieldSpec, Kind
from tests.dialogs.support import World, current_field, open_question
from tests.samples import INVALID_SAMPLES, VALID_DOCUMENTS, VALID_SAMPLES


@pytest.mark.parametrize("spec", [*ORGANISATION_FIELDS, *ACTION_FIELDS, *SESSION_FIELDS], ids=lambda s: f"{s.section}.{s.key}")
async def test_field_refuses_an_invalid_answer_then_accepts_a_valid_one(world: World, spec: FieldSpec) -> None:
    client = await open_question(world, spec)
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
