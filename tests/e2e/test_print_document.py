"""« 🖨 Imprimer » end to end (issue 15, item 6): through the fake Bot API and the print worker
process, the member receives the récapitulatif as a document one files — A4, the organisation and
its Carif-Oref reference in the header, the problems in a coloured box on page 1, « page i/n » on
every page of a long action — looked at with pypdfium2 (``tests/pdf_support.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.funders import Funder
from domain.services import backoffice
from domain.services.actors import Actor
from tests.e2e.reliability_support import (
    ErrorLogs,
    Person,
    UpdateTracker,
    check_clean,
    database,
    open_recap,
    store,
)
from tests.e2e.support import new_link_code, running_bot, settings_for
from tests.factories import make_session, make_valid_action
from tests.fakebotapi import FakeBotApi
from tests.labels import label
from tests.pdf_support import A4, band, find, opened, reddish, text_of


async def test_the_member_receives_a_document_to_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tracker = UpdateTracker().install(monkeypatch)
    async with FakeBotApi() as api, ErrorLogs.captured() as logs:
        settings = settings_for(api, tmp_path / "bot.db", print_workers=1)  # the worker process
        org, code = await new_link_code(settings)
        async with database(settings.database_url) as factory, factory() as uow:
            await backoffice.set_organisation_reference(uow, Actor.staff(), org, "7320143")
            await uow.commit()
        long = make_valid_action(Funder.REGION, organisation_id=org, numero_marche=None,
                                 sessions=[make_session() for _ in range(12)])
        [draft] = await store(settings.database_url, [long])
        async with running_bot(settings):
            claire = Person(api.user(1001, "Claire"), tracker)
            await claire.command("start", code)
            await open_recap(claire, draft)
            await claire.press(label("print"))
            await api.wait_until(lambda: any(m.document for m in claire.user.bot_messages), timeout=60.0)
            [message] = [m for m in claire.user.bot_messages if m.document is not None]
            assert message.document is not None
            check_clean(tracker, api, logs)
        with opened(message.document.data) as pdf:
            pages = list(pdf)
            assert len(pages) >= 3
            assert all(page.get_size() == pytest.approx(A4, abs=1.0) for page in pages)
            first = text_of(pages[0])
            for expected in (f"Action n° {draft.reference}", "Forma Sud", "Financeur principal : Région",
                             "Référence Carif-Oref de l'organisme : 7320143", "Imprimé le 01/12/2026"):
                assert expected in first, expected
            assert all(f"page {i}/{len(pages)}" in text_of(page) for i, page in enumerate(pages, start=1))
            title = find(pages[0], "À corriger avant de confirmer (1)")
            problem = find(pages[0], "Numéro du marché / lot : ce champ est obligatoire.")
            assert title is not None and problem is not None
            tinted = band(pages[0], title[3] + 4, problem[1] - 4)
            assert sum(map(reddish, tinted)) > len(tinted) / 2
