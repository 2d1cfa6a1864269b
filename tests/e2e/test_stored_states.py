"""A conversation stored before the screens were typed still goes on (issue 14, item 5).

Screen names became an enum and the flows' ``extra`` keys typed fields of the state; a chat whose
state was written by the previous version (plain strings, the file waiting in ``extra``) is read
as it was meant, through the fake Bot API with the real bot: the file still waits for its action
and is stored with it once picked.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dialogs.state import DialogState, ScreenName
from domain.funders import Funder
from domain.models import Document, Status
from tests.e2e.reliability_support import (
    database,
    scene,
    store,
    stored_actions,
)
from tests.e2e.support import running_bot
from tests.factories import make_valid_action

WAITING = Document(file_id="OLD-STATE-1", file_name="convention-ancienne.pdf",
                   mime_type="application/pdf", size=1234)


async def _store_as_the_previous_version(url: str, chat_id: int) -> None:
    """The chat's state as the previous version wrote it: on the pick of the action a file sent
    outside a question belongs to, the file in ``extra["justif_document"]``."""
    async with database(url) as factory, factory() as uow:
        conversation = await uow.conversations.load(chat_id)
        old = {k: v for k, v in conversation.data.items() if k in {"seq", "organisation_id", "buttons"}}
        old.update(screen="justif_pick", home="menu", list_page=0,
                   extra={"justif_document": WAITING.model_dump(mode="json")})
        conversation.data = old
        await uow.conversations.save(conversation)
        await uow.commit()


async def test_a_state_stored_by_the_previous_version_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with scene(tmp_path, monkeypatch) as s:
        (action,) = await store(s.url, [
            make_valid_action(Funder.ETAT_EMPLOI, organisation_id=s.org, status=Status.SUBMITTED,
                              intitule="Titre pro"),
        ])
        async with running_bot(s.settings):
            claire = await s.member(1001, "Claire")
            await _store_as_the_previous_version(s.url, claire.user.chat_id)

            # The screen shown again (/aide, then the current screen): the file still waits.
            await claire.command("aide")
            assert "convention-ancienne.pdf" in claire.text, claire.text[-400:]
            assert claire.offers("pick", action.id)
            await claire.tap("pick", action.id)
            assert "convention-ancienne.pdf" in claire.text and "enregistré" in claire.text

        async with database(s.url) as factory, factory() as uow:
            state = DialogState.model_validate((await uow.conversations.load(claire.user.chat_id)).data)
        assert state.screen is ScreenName.VIEW and state.pending_document is None
        assert s.logs.lines() == []
    assert (await stored_actions(s.url))[action.id].justificatif == WAITING
