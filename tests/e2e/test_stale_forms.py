"""Old forms through the fake Bot API with the real bot (issue 13, findings 1 and 2).

- A form opened on a draft that was then confirmed (and voted, published) by someone else: its
  « Sauvegarder » or « Reprendre » must not reload the action into the form nor store anything;
  the member is told what happened and sees the action.
- A form whose draft was saved meanwhile (a colleague, the member's own justification): no answer
  is dropped; different fields are merged, the same field is chosen by the member.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import pytest

from dialogs import operations
from domain.funders import Funder
from domain.models import Action, Status
from domain.services import backoffice
from domain.services.actors import Actor
from tests.e2e.reliability_support import (
    Person,
    Scene,
    database,
    open_recap,
    scene,
    stored_actions,
)
from tests.e2e.support import running_bot
from tests.labels import KEEP_MINE, RESUME, label

SAVE = label("save")
CHANGED_MEANWHILE = "a été modifiée entre-temps"
IN_DRAFTS = "Vous la retrouvez dans « En cours de création »"


async def _answer(person: Person, key: str, value: str) -> None:
    """From the récapitulatif: « ✏ Présentation générale », the field, the answer (back to the recap)."""
    await person.press(label("edit_group", group="Présentation générale"))
    await person.tap("f", key)
    await person.say(value)
    assert "Récapitulatif" in person.text, person.text[-400:]


async def _confirm(person: Person, action: Action) -> None:
    await open_recap(person, action)
    await person.press(label("op_confirm"))
    await person.press(label("confirm_yes"))
    assert "confirm" in person.text.lower(), person.text[-300:]


async def _vote_and_publish(url: str, reference: str) -> None:
    """What `formabot region-vote` and `formabot action publish` do (the same operations)."""
    async with database(url) as factory:
        async with factory() as uow:
            report = await backoffice.record_region_vote(uow, Actor.staff(), [reference])
            assert report.ok, operations.summary(report)
            await uow.commit()
        async with factory() as uow:
            await backoffice.publish(uow, Actor.staff(), reference, now=datetime.now().astimezone())
            await uow.commit()


async def _two_members(s: Scene) -> tuple[Person, Person]:
    return await s.member(1001, "Claire"), await s.member(1002, "Denis")


@asynccontextmanager
async def _denis_saves_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, claire_answers: dict[str, str], denis_answers: dict[str, str]
) -> AsyncIterator[tuple[Scene, Action, Person]]:
    """A draft « Titre d'origine »; Claire and Denis answer in their own forms on it, Denis saves,
    then Claire: the scene, the draft and Claire, the bot still running."""
    async with scene(tmp_path, monkeypatch) as s:
        [draft] = await s.store(s.action(intitule="Titre d'origine"))
        async with running_bot(s.settings):
            claire, denis = await _two_members(s)
            for person, answers in ((claire, claire_answers), (denis, denis_answers)):
                await open_recap(person, draft)
                for key, value in answers.items():
                    await _answer(person, key, value)
            await denis.press(SAVE)
            await claire.press(SAVE)
            yield s, draft, claire


async def test_an_old_form_cannot_rewrite_a_published_action(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with scene(tmp_path, monkeypatch) as s:
        [draft] = await s.store(s.action(intitule="Titre publié"))
        assert draft.reference is not None
        async with running_bot(s.settings):
            claire, denis = await _two_members(s)
            await open_recap(claire, draft)  # Claire opens « ✏ Modifier » and leaves the screen
            await _confirm(denis, draft)
            await _vote_and_publish(s.url, draft.reference)
            published = await s.stored(draft)
            assert published.status is Status.PUBLISHED

            told = await claire.press(SAVE)  # back on her old screen
            if claire.offers("group", 0):  # the old bot reloaded the published action into the form
                await _answer(claire, "intitule", "Titre réécrit après publication")
                await claire.press(SAVE)
            # The recap's buttons are gone for good: an old or forged one changes nothing.
            await claire.tap("group", 0)
            await claire.tap("save")
            stored = await s.stored(draft)
            assert stored == published  # nothing of the old form reached the public action
            assert "publiée entre-temps" in told, told[-500:]
            assert IN_DRAFTS not in told and CHANGED_MEANWHILE not in told
            await claire.command("menu")
            await claire.tap("list", "published")
            await claire.tap("view", draft.id)
            assert claire.offers("full") and not claire.offers("modify")
            s.check_clean()


async def test_an_old_form_cannot_rewrite_a_confirmed_action_nor_be_resumed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with scene(tmp_path, monkeypatch) as s:
        first, second = await s.store(s.action(intitule="Premier titre"), s.action(intitule="Second titre"))
        async with running_bot(s.settings):
            claire, denis = await _two_members(s)
            # « Sauvegarder » on a form with an unsaved answer, the action confirmed meanwhile.
            await open_recap(claire, first)
            await _answer(claire, "intitule", "Titre changé après coup")
            await _confirm(denis, first)
            await claire.press(SAVE)
            assert "confirmée entre-temps" in claire.text, claire.text[-500:]
            assert "n'ont pas pu être enregistrées" in claire.text  # told, not silently dropped
            assert IN_DRAFTS not in claire.text
            assert claire.offers("full") and not claire.offers("group", 0)
            # « Reprendre » from the menu, the action confirmed meanwhile.
            await open_recap(claire, second)
            await claire.command("menu")
            await _confirm(denis, second)
            await claire.command("menu")
            await claire.press(RESUME)
            assert "confirmée entre-temps" in claire.text, claire.text[-500:]
            assert claire.offers("full") and not claire.offers("group", 0)
            s.check_clean()
        stored = await stored_actions(s.url)
        assert stored[first.id or -1].status is Status.SUBMITTED
        assert stored[first.id or -1].intitule == "Premier titre"
        assert stored[second.id or -1].status is Status.SUBMITTED


async def test_a_colleagues_save_of_another_field_is_merged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with _denis_saves_first(
        tmp_path, monkeypatch, {"intitule": "Titre de Claire"}, {"objectif": "Objectif écrit par Denis, plus précis."}
    ) as (s, draft, claire):
        assert CHANGED_MEANWHILE in claire.text and "un autre membre" in claire.text, claire.text
        assert "rien n'est perdu" in claire.text
        assert IN_DRAFTS in claire.text  # saved (she stays on her screen: issue 15 item 5)
        s.check_clean()
    stored = await s.stored(draft)
    assert stored.intitule == "Titre de Claire"
    assert stored.objectif == "Objectif écrit par Denis, plus précis."
    assert stored.version == draft.version + 2


async def test_the_same_field_changed_by_both_is_chosen_by_the_member(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with _denis_saves_first(
        tmp_path, monkeypatch, {"intitule": "Titre de Claire", "objectif": "Objectif de Claire, complet."},
        {"intitule": "Titre de Denis"},
    ) as (s, draft, claire):
        assert CHANGED_MEANWHILE in claire.text, claire.text
        assert "Titre de Claire" in claire.text and "Titre de Denis" in claire.text
        assert "Intitulé de la formation" in claire.text
        assert IN_DRAFTS not in claire.text  # nothing stored before she chooses
        assert (await s.stored(draft)).intitule == "Titre de Denis"
        await claire.press(KEEP_MINE)
        assert IN_DRAFTS in claire.text, claire.text
        s.check_clean()
    stored = await s.stored(draft)
    assert stored.intitule == "Titre de Claire"
    assert stored.objectif == "Objectif de Claire, complet."


async def test_a_justification_sent_during_an_edit_keeps_the_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with scene(tmp_path, monkeypatch) as s:
        [draft] = await s.store(s.action(Funder.ETAT_EMPLOI, intitule="Titre d'origine"))
        async with running_bot(s.settings):
            claire = await s.member(1001, "Claire")
            await open_recap(claire, draft)
            await _answer(claire, "intitule", "Titre tapé avant le justificatif")
            await claire.document(b"%PDF-1.4 convention", "convention.pdf")  # from the recap
            await claire.tap("pick", draft.id)
            assert "convention.pdf" in claire.text, claire.text[-300:]
            await claire.command("menu")
            await claire.press(RESUME)
            await claire.press(SAVE)
            assert "justificatif que vous avez envoyé" in claire.text, claire.text
            assert "un autre membre" not in claire.text
            assert IN_DRAFTS in claire.text
            s.check_clean()
        stored = await s.stored(draft)
        assert stored.intitule == "Titre tapé avant le justificatif"
        assert stored.justificatif is not None and stored.justificatif.file_name == "convention.pdf"
