"""« 🖨 Imprimer » through the fake Bot API: one member's PDF never stalls anybody else, each member
has one PDF in preparation at a time and a few per minute, and an action has at most MAX_SESSIONS
sessions.

The PDF renders of these tests block on a ``threading.Event`` (``print_workers=0``: the printer's
thread, so that the blocking stand-in for WeasyPrint is the one called). Waits are on conditions;
``RENDER_HOLD`` only bounds how long a render blocks if nobody releases it (on the old code, which
rendered on the event loop, nothing could: the loop itself was blocked).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import weasyprint

from domain.funders import Funder
from domain.rules import MAX_SESSIONS
from tests.e2e.reliability_support import (
    ErrorLogs,
    Person,
    UpdateTracker,
    check_clean,
    open_recap,
    scene,
    store,
)
from tests.e2e.support import new_link_code, running_bot, settings_for
from tests.factories import FIRST_SESSION, make_session, make_valid_action
from tests.fakebotapi import FakeBotApi, FakeUser
from tests.labels import PRINT_PREPARING, label

RENDER_HOLD = 10.0  # seconds a blocked render waits for its release at most (a bound, not a pause)
FAKE_PDF = b"%PDF-1.7 rendered while others went on"


class BlockedRenders:
    """WeasyPrint's ``write_pdf``, replaced: each render says it started and waits for a release."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.finished = threading.Event()
        self.count = 0

    def write_pdf(self, *_args: Any, **_kwargs: Any) -> bytes:
        self.count += 1
        self.started.set()
        self.release.wait(RENDER_HOLD)
        self.finished.set()
        return FAKE_PDF

    async def wait_started(self) -> None:
        assert await asyncio.to_thread(self.started.wait, 20.0), "the render never started"


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> Iterator[BlockedRenders]:
    blocked = BlockedRenders()
    monkeypatch.setattr(weasyprint.HTML, "write_pdf", blocked.write_pdf, raising=True)
    try:
        yield blocked
    finally:
        blocked.release.set()  # no thread left waiting after the test


def _documents(user: FakeUser) -> list[bytes]:
    return [m.document.data for m in user.bot_messages if m.document is not None]


async def test_one_member_printing_does_not_stall_another_organisation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, renders: BlockedRenders
) -> None:
    async with scene(tmp_path, monkeypatch, print_workers=0) as s:
        _other, other_code = await new_link_code(s.settings, "Autre Forma")
        [draft] = await s.store(s.action())
        async with running_bot(s.settings):
            claire = await s.member(1001, "Claire")
            denis = Person(s.api.user(2002, "Denis"), s.tracker)  # of the other organisation
            await denis.command("start", other_code)
            await open_recap(claire, draft)
            await claire.press(label("print"))
            await renders.wait_started()
            # Claire's PDF is being made; Denis, of another organisation, asks for his menu.
            await denis.command("menu")
            assert "Vos actions de formation" in denis.text or denis.screen is not None, denis.text
            assert not renders.finished.is_set(), "Denis was answered only once Claire's PDF was made"
            renders.release.set()
            await s.api.wait_until(lambda: len(_documents(claire.user)) == 1, timeout=20.0)
            [document] = [m for m in claire.user.bot_messages if m.document is not None]
            assert document.document is not None and document.document.file_name == f"recapitulatif-{draft.reference}.pdf"
            assert _documents(claire.user) == [FAKE_PDF]
            assert any("Voici le récapitulatif à imprimer" in m.text for m in claire.user.bot_messages)
            s.check_clean()


async def test_one_pdf_in_preparation_per_member_and_a_few_per_minute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, renders: BlockedRenders
) -> None:
    async with scene(tmp_path, monkeypatch, print_workers=0, print_per_minute=2) as s:
        [draft] = await s.store(s.action())
        async with running_bot(s.settings):
            claire = await s.member(1001, "Claire")
            await open_recap(claire, draft)
            await claire.press(label("print"))
            answer = s.api.callbacks[claire.queries[-1]].answer or {}
            assert answer.get("text") == PRINT_PREPARING, answer  # at once
            await renders.wait_started()
            await claire.press(label("print"))  # while the first one is being made
            assert "encore en préparation" in claire.text, claire.text
            assert "Récapitulatif" in claire.text  # and the recap's buttons are still there
            renders.release.set()
            await s.api.wait_until(lambda: len(_documents(claire.user)) == 1, timeout=20.0)
            await claire.press(label("print"))  # the first is sent: a second one may be made
            await s.api.wait_until(lambda: len(_documents(claire.user)) == 2, timeout=20.0)
            await claire.press(label("print"))  # a third within the minute: the rate limit (2)
            assert "réessayez dans" in claire.text, claire.text
            assert renders.count == 2 and len(_documents(claire.user)) == 2
            s.check_clean()


async def test_the_pdf_is_made_in_a_worker_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The default: a real WeasyPrint render in the printer's process; the member gets the PDF."""
    tracker = UpdateTracker().install(monkeypatch)
    async with FakeBotApi() as api, ErrorLogs.captured() as logs:
        settings = settings_for(api, tmp_path / "bot.db")
        assert settings.print_workers >= 1
        org, code = await new_link_code(settings)
        [draft] = await store(settings.database_url, [make_valid_action(Funder.REGION, organisation_id=org)])
        async with running_bot(settings):
            claire = Person(api.user(1001, "Claire"), tracker)
            await claire.command("start", code)
            await open_recap(claire, draft)
            await claire.press(label("print"))
            await api.wait_until(lambda: len(_documents(claire.user)) == 1, timeout=60.0)
            [pdf] = _documents(claire.user)
            assert pdf.startswith(b"%PDF") and len(pdf) > 1000
            check_clean(tracker, api, logs)


async def test_no_session_beyond_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with scene(tmp_path, monkeypatch) as s:
        full = make_valid_action(
            Funder.REGION, organisation_id=s.org, sessions=[make_session(*FIRST_SESSION) for _ in range(MAX_SESSIONS)]
        )
        [draft] = await store(s.url, [full])
        async with running_bot(s.settings):
            claire = await s.member(1001, "Claire")
            await open_recap(claire, draft)
            await claire.press(label("add_session", number=MAX_SESSIONS + 1))
            assert f"au plus {MAX_SESSIONS} sessions" in claire.text, claire.text[-400:]
            assert "Récapitulatif" in claire.text and "Date de début" not in claire.text.split("au plus")[-1]
            await claire.press(label("save"))
            s.check_clean()
        assert len((await s.stored(draft)).sessions) == MAX_SESSIONS


async def test_a_failed_render_is_said_and_does_not_hold_the_member(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> bytes:
        raise ValueError("no PDF today")

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", broken)
    async with scene(tmp_path, monkeypatch, print_workers=0) as s:
        [draft] = await s.store(s.action())
        async with running_bot(s.settings):
            claire = await s.member(1001, "Claire")
            await open_recap(claire, draft)
            await claire.press(label("print"))
            failed = await claire.user.wait_for(lambda m: "n'a pas pu être préparé" in m.text, 20.0)
            assert failed.document is None and _documents(claire.user) == []
            await claire.press(label("print"))  # not held as « encore en préparation »
            assert "encore en préparation" not in claire.text
            await claire.user.wait_for(lambda m: "n'a pas pu être préparé" in m.text, 20.0)
            s.check_clean()
