"""Issue 13, finding 10, through the fake Bot API with the real bot: once the Carif-Oref marked an
État justification received, the organisation can no longer replace it (a file sent in the chat,
or the form's « Justificatif de financement » question: a new file or « Passer »), and is told how
to proceed; and the document checks (type, size) apply on every path that attaches a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.funders import Funder
from domain.models import Document, Status
from tests.e2e.reliability_support import (
    incidents,
    scene,
    store,
    stored_actions,
)
from tests.e2e.support import running_bot
from tests.factories import make_valid_action
from tests.labels import label

RECEIVED = Document(file_id="RECEIVED-1", file_name="convention-signee.pdf", mime_type="application/pdf", size=1000)
ALREADY = "a déjà reçu et vérifié le justificatif"
PDF = b"%PDF-1.4 convention"


async def test_a_received_justification_cannot_be_swapped_and_every_path_checks_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with scene(tmp_path, monkeypatch) as s:
        submitted, draft, open_one = await store(s.url, [
            make_valid_action(Funder.ETAT_EMPLOI, organisation_id=s.org, status=Status.SUBMITTED,
                              intitule="Reçue", justificatif=RECEIVED, justificatif_recu=True),
            make_valid_action(Funder.ETAT_EMPLOI, organisation_id=s.org, intitule="Brouillon reçu",
                              justificatif=RECEIVED, justificatif_recu=True),
            make_valid_action(Funder.ETAT_EMPLOI, organisation_id=s.org, status=Status.SUBMITTED,
                              intitule="Pas encore reçue"),
        ])
        async with running_bot(s.settings):
            claire = await s.member(1001, "Claire")

            # The checks of the document question, on a file sent outside any question.
            await claire.document(b"MZ\x90\x00", "programme.exe", "application/x-msdownload")
            assert "Format non accepté" in claire.text and not claire.offers("pick", open_one.id)
            await claire.document(b"\x00" * (20 * 1024 * 1024 + 1), "scan.pdf", "application/pdf")
            assert "Fichier trop lourd" in claire.text and not claire.offers("pick", open_one.id)

            # A good file, for the action whose justification was received: refused, told how.
            await claire.document(PDF, "nouvelle-version.pdf")
            assert claire.offers("pick", submitted.id)
            await claire.tap("pick", submitted.id)
            assert ALREADY in claire.text and "écrivez au Carif-Oref" in claire.text
            assert submitted.reference in claire.text
            # Still waiting for an action: the one not received yet takes it.
            await claire.tap("pick", open_one.id)
            assert "nouvelle-version.pdf" in claire.text and "enregistré" in claire.text

            # The form's question, on a draft whose justification was received.
            await claire.command("menu")
            await claire.tap("list", "draft")
            await claire.tap("view", draft.id)
            await claire.tap("modify")
            await claire.press(label("edit_group", group="Financement"))
            await claire.tap("f", "justificatif")
            assert "Justificatif de financement" in claire.text
            await claire.document(PDF, "autre.pdf")
            assert ALREADY in claire.text
            assert claire.offers("skip")  # an optional question: « Passer » would remove it
            await claire.tap("skip")
            assert ALREADY in claire.text
            await claire.tap("save")
        after = await stored_actions(s.url)
        assert incidents([claire.user]) == [] and s.tracker.errors == [] and s.logs.lines() == []
    assert after[submitted.id].justificatif == RECEIVED
    assert after[draft.id].justificatif == RECEIVED
    stored_new = after[open_one.id].justificatif
    assert stored_new is not None and stored_new.file_name == "nouvelle-version.pdf"
