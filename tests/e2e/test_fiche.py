"""The fiche organisme through the fake Bot API with the real bot (issue 13, findings 7 and 15):

- two members edit the fiche at once: member 2's new phone number survives member 1's later answer
  to another question; when both change the same field, the later one is told and shown the other
  value before anything of theirs is written;
- an answer given after being unlinked from the organisation lands nowhere;
- an organisation made by `formabot org add --name --siret` (no numéro de déclaration d'activité,
  address, e-mail or contact) cannot confirm an action until the bot asked those fields.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bot.commands.admin import _org_add
from domain.funders import Funder
from domain.models import Organisation, Status
from domain.ports import Membership, Role
from tests.e2e.reliability_support import (
    ErrorLogs,
    Person,
    UpdateTracker,
    check_clean,
    database,
    scene,
    store,
    stored_actions,
)
from tests.e2e.support import new_link_code, running_bot, settings_for
from tests.factories import make_valid_action
from tests.fakebotapi import FakeBotApi
from tests.labels import label
from tests.samples import VALID_SAMPLES

CONFIRM = label("confirm")
CONFIRM_YES = label("confirm_yes")
QUESTION = "Fiche organisme · question"


async def _organisation(url: str, organisation_id: int) -> Organisation:
    async with database(url) as factory, factory() as uow:
        org = await uow.organisations.get(organisation_id)
    assert org is not None
    return org


async def _open_fiche_field(person: Person, key: str) -> None:
    await person.command("menu")
    await person.press(label("fiche"))
    await person.tap("f", key)
    assert QUESTION in person.text, person.text[-300:]


async def test_a_colleagues_new_phone_survives_an_answer_to_another_fiche_question(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with scene(tmp_path, monkeypatch) as s:
        before = await _organisation(s.url, s.org)
        async with running_bot(s.settings):
            claire, denis = await s.member(1001, "Claire"), await s.member(1002, "Denis")
            await _open_fiche_field(claire, "courriel")  # member 1 starts answering « Courriel »
            await _open_fiche_field(denis, "telephone")  # member 2 changes the phone meanwhile
            await denis.say("05 34 00 00 02")
            assert "Fiche organisme enregistrée" in denis.text
            await claire.say("accueil@formasud.fr")  # then member 1 answers
            assert "Fiche organisme enregistrée" in claire.text and "05 34 00 00 02" in claire.text
            # Both change the phone: the later answer is not written until its author saw the other.
            await _open_fiche_field(claire, "telephone")
            await _open_fiche_field(denis, "telephone")
            await denis.say("05 34 00 00 03")
            await claire.say("05 34 00 00 04")
            assert "a modifié « Téléphone »" in claire.text and "05 34 00 00 03" in claire.text
            assert (await _organisation(s.url, s.org)).telephone == "05 34 00 00 03"
            await claire.say("05 34 00 00 04")
            assert "Fiche organisme enregistrée" in claire.text
            s.check_clean()
        after = await _organisation(s.url, s.org)
    assert (after.telephone, after.courriel) == ("05 34 00 00 04", "accueil@formasud.fr")
    assert after.version == before.version + 4  # four answers written, the refused one not
    assert after.nom_organisme == before.nom_organisme and after.contact == before.contact


async def test_an_answer_after_being_unlinked_lands_in_no_organisation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with scene(tmp_path, monkeypatch) as s:
        org_b, code_b = await new_link_code(s.settings, "Forma Nord")
        async with running_bot(s.settings):
            claire = await s.member(1001, "Claire")
            await claire.command("start", code_b)
            assert "Pour quel organisme travaillez-vous ?" in claire.text, claire.text[-300:]
            await claire.press("Forma Sud")
            await claire.press(label("fiche"))
            assert "Forma Sud" in claire.text
            await claire.tap("f", "telephone")
            before_a = await _organisation(s.url, s.org)
            before_b = await _organisation(s.url, org_b)
            async with database(s.url) as factory, factory() as uow:
                assert await uow.members.remove(Membership(user_id=1001, role=Role.MEMBER, organisation_id=s.org))
                await uow.commit()
            await claire.say("05 34 00 00 07")
            assert "Vous n'êtes plus membre de cet organisme" in claire.text, claire.text[-400:]
            s.check_clean()
        assert await _organisation(s.url, s.org) == before_a
        assert await _organisation(s.url, org_b) == before_b


async def test_an_incomplete_fiche_is_completed_in_the_conversation_before_confirmation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tracker = UpdateTracker().install(monkeypatch)
    async with FakeBotApi() as api, ErrorLogs.captured() as logs:
        settings = settings_for(api, tmp_path / "bot.db")
        async with database(settings.database_url):
            pass  # migrated
        # `formabot org add --name "Forma Nord" --siret 35600000000048`: no NDA, address, e-mail, contact.
        namespace = argparse.Namespace(name="Forma Nord", siret="35600000000048", nda=None)
        assert await _org_add(namespace, settings) == 0
        out = capsys.readouterr().out.strip().splitlines()
        org, code = int(out[0]), out[-1]
        [draft] = await store(settings.database_url, [make_valid_action(Funder.REGION, organisation_id=org)])
        async with running_bot(settings):
            claire = Person(api.user(1001, "Claire"), tracker)
            await claire.command("start", code)
            await claire.command("menu")
            await claire.tap("list", "draft")
            await claire.tap("view", draft.id)
            await claire.press(label("op_modify"))
            await claire.press(CONFIRM)
            assert "la fiche de votre organisme doit être complète" in claire.text, claire.text[-500:]
            for name in ("Numéro de déclaration d'activité", "Adresse du siège", "Courriel",
                         "Contact de l'organisme"):
                assert f"« {name} »" in claire.text
            asked = []
            for _ in range(6):
                if QUESTION not in claire.text:
                    break
                status = (await stored_actions(settings.database_url))[draft.id or -1].status
                assert status is Status.DRAFT  # nothing confirmed while the fiche is incomplete
                key = next(k for k, lab in (("numero_activite", "Numéro de déclaration d'activité"),
                                            ("adresse", "Adresse du siège"), ("courriel", "Courriel"),
                                            ("contact", "Contact de l'organisme")) if f"\n{lab} *" in claire.text)
                asked.append(key)
                await claire.say(VALID_SAMPLES[key])
            assert asked == ["numero_activite", "adresse", "courriel", "contact"]
            assert "Fiche organisme complète" in claire.text and "Confirmer l'action" in claire.text
            await claire.press(CONFIRM_YES)
            check_clean(tracker, api, logs)
        stored = (await stored_actions(settings.database_url))[draft.id or -1]
        fiche = await _organisation(settings.database_url, org)
    assert stored.status is Status.SUBMITTED
    assert fiche.numero_activite == VALID_SAMPLES["numero_activite"] and fiche.courriel == VALID_SAMPLES["courriel"]
    assert fiche.adresse is not None and fiche.contact is not None
