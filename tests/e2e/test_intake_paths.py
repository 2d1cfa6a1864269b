"""The organisation's intake path through the fake Bot API with the real bot (issue 15, items 3-5):

- « ➕ Ajouter la session n° 1 » from the récapitulatif is refused while the general data have
  errors, as on the sessions screen (item 3);
- only a published or archived Région action offers « 📋 Copier », and the copy opens at the first
  question with the purchase order's number and semester emptied (item 4);
- « 💾 Sauvegarder » keeps the user on the same question, and « ✏ Modifier » reopens the draft
  there (item 5).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.funders import Funder
from domain.models import Action, Status
from tests.e2e.reliability_support import one_member, open_recap, stored_actions
from tests.factories import make_valid_action
from tests.labels import label

SAVE = label("save")


def _draft_with_a_wrong_purchase_order(organisation_id: int) -> list[Action]:
    action = make_valid_action(
        Funder.REGION, organisation_id=organisation_id, numero_bon_commande=2
    )
    action.sessions = []
    return [action]


async def test_general_errors_block_the_first_session_from_the_recap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with one_member(tmp_path, monkeypatch, _draft_with_a_wrong_purchase_order) as run:
        claire, [draft] = run.person, run.actions
        await open_recap(claire, draft)
        await claire.press(label("add_session", number=1))
        assert "bon de commande n° 1" in claire.text, claire.text[-400:]
        assert "Numéro du bon de commande *" in claire.text and "Session n° 1" not in claire.text
        await claire.say("1")
        assert "Semestre de début prévu au bon de commande *" in claire.text, claire.text[-400:]
    stored = (await stored_actions(run.database_url))[draft.id or -1]
    assert stored.sessions == [] and stored.numero_bon_commande == 2  # nothing saved meanwhile


def _published_and_refused(organisation_id: int) -> list[Action]:
    return [
        make_valid_action(
            Funder.REGION,
            organisation_id=organisation_id,
            status=Status.PUBLISHED,
            reference_carif="CO-2027-0001",
            intitule="Soudeur TIG",
        ),
        make_valid_action(
            Funder.REGION,
            organisation_id=organisation_id,
            status=Status.REFUSED,
            refusal_reason="Hors marché",
        ),
    ]


async def test_only_region_published_actions_are_copied_and_the_copy_opens_at_the_first_question(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with one_member(tmp_path, monkeypatch, _published_and_refused) as run:
        claire, [published, refused] = run.person, run.actions
        await claire.tap("list", "refused")
        await claire.tap("view", refused.id)
        assert "Refusée par le financeur" in claire.text and not claire.offers("copy")
        await claire.command("menu")
        await claire.tap("list", "published")
        await claire.tap("view", published.id)
        await claire.press(label("op_copy"))
        assert "Saisissez ou vérifiez les données recopiées" in claire.text, claire.text[-400:]
        assert (
            "Données générales · question 1/" in claire.text
            and label("keep", value="Soudeur TIG") in claire.labels
        )
        await claire.press(SAVE)
        assert "sauvegardée" in claire.text and "Données générales · question 1/" in claire.text
    actions = await stored_actions(run.database_url)
    [copy] = [a for a in actions.values() if a.copied_from is not None]
    assert copy.copied_from == published.id and copy.status is Status.DRAFT and copy.sessions == []
    assert (
        copy.intitule == "Soudeur TIG"
        and copy.numero_bon_commande is None
        and copy.semestre_debut is None
    )


async def test_save_keeps_the_question_and_modify_reopens_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with one_member(tmp_path, monkeypatch) as run:
        claire = run.person
        await claire.command("nouvelle")
        await claire.press("Région")
        assert "au fur et à mesure" not in claire.text
        await claire.say("Soudeur TIG")
        assert "Objectif de la formation *" in claire.text
        await claire.press(SAVE)
        assert "💾 Votre saisie est sauvegardée" in claire.text, claire.text[-400:]
        assert (
            "Données générales · question 2/" in claire.text
            and "Objectif de la formation *" in claire.text
        )
        [draft] = (await stored_actions(run.database_url)).values()
        await claire.command("menu")
        await claire.tap("list", "draft")
        await claire.tap("view", draft.id)
        await claire.press(label("op_modify"))
        assert "Objectif de la formation *" in claire.text and "Récapitulatif" not in claire.text
    assert draft.intitule == "Soudeur TIG" and draft.resume_at == "objectif"
