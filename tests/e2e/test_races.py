"""Races through the fake Bot API with the real bot: an update delivered three times, two taps on
one button, two people acting on the same action at the same moment."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from domain.funders import Funder
from domain.models import Action, Status
from domain.ports import Role
from tests.e2e.reliability_support import (
    STALE,
    Person,
    database,
    open_recap,
    scene,
    stored_actions,
)
from tests.e2e.support import STAFF_ID, running_bot
from tests.labels import KEEP_THEIRS, label

CHANGED_MEANWHILE = "a été modifiée entre-temps"
DUPLICATE_DROPPED_WITHIN = 5.0  # seconds for the three deliveries of one update (a bound, not a pause)


async def test_the_same_update_three_times_is_processed_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with scene(tmp_path, monkeypatch) as s:
        [draft] = await s.store(s.action())
        async with running_bot(s.settings):
            claire = await s.member(1001, "Claire")
            await open_recap(claire, draft)
            # A button: « ➕ Ajouter la session n° 3 », the same callback update delivered 3 times.
            add = claire.payload("add")
            assert claire.offers("add")
            screen = claire.screen
            assert screen is not None
            query = {"id": "race-1", "from": claire.user.user_json(), "chat_instance": "race",
                     "data": add, "message": screen.raw}
            start = len(claire.user.messages)
            for _ in range(3):
                await claire.user.raw_update({"update_id": 700_001, "callback_query": dict(query)})
            claire.expect_more(3)
            # A duplicate is dropped at once: its callback query cannot be answered twice, and
            # that refusal (a BadRequest) must not hold the user's next updates for long.
            await claire.settle(timeout=DUPLICATE_DROPPED_WITHIN)
            replies = [m for m in claire.user.messages[start:] if m.from_bot]
            assert not any(STALE in m.text for m in replies), [m.text[:80] for m in replies]
            # A message: an answer to « Date de début », the same update 3 times.
            message = {"message_id": 4242, "date": 1_800_000_000, "text": "15/01/2028",
                       "from": claire.user.user_json(), "chat": claire.user.chat_json()}
            for _ in range(3):
                await claire.user.raw_update({"update_id": 700_002, "message": dict(message)})
            claire.expect_more(3)
            await claire.settle()
            await claire.command("aide")
            assert "Session n° 3" in claire.text and "Date de fin" in claire.text, claire.text[-400:]
            await claire.press(label("save"))
            await s.api.wait_until(lambda: not s.api.unanswered_callbacks())
            s.check_clean(callbacks=True)
        stored = await s.stored(draft)
        assert len(stored.sessions) == 3  # one session added, not three
        assert stored.sessions[2].debut is not None and stored.sessions[2].debut.isoformat() == "2028-01-15"


async def test_two_taps_racing_on_one_button(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with scene(tmp_path, monkeypatch) as s:
        [draft] = await s.store(s.action())
        async with running_bot(s.settings):
            claire = await s.member(1001, "Claire")
            await open_recap(claire, draft)
            add, screen = claire.payload("add"), claire.screen
            start = len(claire.user.messages)
            first, second = await asyncio.gather(
                claire.user.send_callback(add, screen), claire.user.send_callback(add, screen)
            )
            claire.expect_more(2)
            await claire.settle()
            await s.api.wait_until(lambda: not s.api.unanswered_callbacks())
            answers = [s.api.callbacks[q].answer or {} for q in (first, second)]
            alerts = [a.get("text") for a in answers if a.get("text")]
            assert alerts == [STALE], answers  # one tap done, the other told the button is stale
            replies = [m.text for m in claire.user.messages[start:] if m.from_bot]
            assert sum(STALE in t for t in replies) == 1, replies
            await claire.press(label("save"))
            s.check_clean(callbacks=True)
        stored = await s.stored(draft)
        assert len(stored.sessions) == 3  # the session was added once


async def test_two_members_edit_the_same_draft(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with scene(tmp_path, monkeypatch) as s:
        first, second = await s.store(
            s.action(intitule="Titre d'origine"), s.action(intitule="Autre titre d'origine")
        )
        async with running_bot(s.settings):
            claire, denis = await s.member(1001, "Claire"), await s.member(1002, "Denis")

            async def edit_title(person: Person, action: Action, title: str) -> None:
                await open_recap(person, action)
                await person.press(label("edit_group", group="Présentation générale"))
                await person.tap("f", "intitule")
                await person.say(title)
                assert title in person.text

            # One after the other: Claire saves first; Denis, saving next, is told and reloads.
            await asyncio.gather(edit_title(claire, first, "Titre de Claire"),
                                 edit_title(denis, first, "Titre de Denis"))
            await claire.press(label("save"))
            assert "Sauvegard" in claire.text or "sauvegard" in claire.text, claire.text[-300:]
            await denis.press(label("save"))
            assert CHANGED_MEANWHILE in denis.text, denis.text[-400:]
            # Both changed the title: he is shown both and chooses (his answer is no longer
            # dropped by a reload); he keeps the one saved first.
            assert "Titre de Claire" in denis.text and "Titre de Denis" in denis.text
            await denis.press(KEEP_THEIRS)
            # At the same moment: both press « Sauvegarder »; one is saved, the other told.
            await asyncio.gather(edit_title(claire, second, "Second titre de Claire"),
                                 edit_title(denis, second, "Second titre de Denis"))
            await asyncio.gather(claire.press(label("save")), denis.press(label("save")))
            told = [p for p in (claire, denis) if CHANGED_MEANWHILE in p.text]
            assert len(told) == 1, (claire.text[-300:], denis.text[-300:])
            await s.api.wait_until(lambda: not s.api.unanswered_callbacks())
            s.check_clean(callbacks=True)
        stored = await stored_actions(s.url)
        assert stored[first.id or -1].intitule == "Titre de Claire"
        winner = denis if told[0] is claire else claire
        expected = "Second titre de Claire" if winner is claire else "Second titre de Denis"
        assert stored[second.id or -1].intitule == expected
        assert stored[second.id or -1].version == second.version + 1


async def test_staff_and_validator_decide_the_same_action_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with scene(tmp_path, monkeypatch) as s:
        [action] = await s.store(s.action(Funder.POLE_EMPLOI, status=Status.SUBMITTED))
        async with database(s.url) as factory, factory() as uow:
            code = await uow.link_codes.create(Role.VALIDATOR, funder=Funder.POLE_EMPLOI)
            await uow.commit()
        async with running_bot(s.settings):
            sophie = Person(s.api.user(STAFF_ID, "Sophie"), s.tracker)
            paule = Person(s.api.user(3001, "Paule"), s.tracker)
            await paule.command("start", code)
            await sophie.command("menu")
            await sophie.tap("q", "submitted")
            await sophie.tap("view", action.id)
            await paule.tap("list", Funder.POLE_EMPLOI.value)
            await paule.tap("view", action.id)
            assert sophie.offers("approve") and paule.offers("approve")
            await asyncio.gather(sophie.tap("approve"), paule.tap("approve"))
            await s.api.wait_until(lambda: not s.api.unanswered_callbacks())
            s.check_clean(callbacks=True)
            texts = (sophie.text, paule.text)
        stored = await s.stored(action)
        assert stored.status is Status.APPROVED and stored.version == action.version + 1
        # The one who came second was told why nothing happened (changed meanwhile, or already
        # « Validée »), not shown a success.
        assert sum("Impossible" in t or "entre-temps" in t for t in texts) == 1, texts
