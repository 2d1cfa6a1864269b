"""Sessions after publication through the fake Bot API with the real bot (issue 15, items 1, 2, 8
and 15): the organisation closes a session's recruitment in two taps from the menu; the Carif-Oref
adds a forgotten session in the staff chat; the organisation is told, with a button to the session
update."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from domain.funders import Funder
from domain.models import Action, Status
from tests.e2e.reliability_support import (
    ErrorLogs,
    Person,
    UpdateTracker,
    check_clean,
    store,
    stored_actions,
)
from tests.e2e.support import STAFF_ID, new_link_code, running_bot, settings_for
from tests.factories import make_session, make_valid_action
from tests.fakebotapi import FakeBotApi


async def _stored(url: str, action_id: int | None) -> Action:
    assert action_id is not None
    return (await stored_actions(url))[action_id]


async def test_recruitment_closed_in_two_taps_and_a_forgotten_session_added_by_staff(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracker = UpdateTracker().install(monkeypatch)
    async with FakeBotApi() as api, ErrorLogs.captured() as logs:
        settings = settings_for(api, tmp_path / "bot.db", support_contact="aide@carif.example")
        org, code = await new_link_code(settings)
        (action,) = await store(settings.database_url, [make_valid_action(
            Funder.REGION, organisation_id=org, status=Status.PUBLISHED, reference_carif="CO-2027-0042",
            sessions=[make_session()],
        )])
        async with running_bot(settings):
            claire = Person(api.user(1001, "Claire"), tracker)
            await claire.command("start", code)
            await claire.command("menu")
            await claire.press("📅 Mettre à jour des sessions")
            await claire.press(f"🔒 Fermer le recrutement · {action.reference}")  # the second tap
            assert "État du recrutement : fermé" in claire.text, claire.text[-300:]
            assert (await _stored(settings.database_url, action.id)).sessions[0].etat_recrutement == "2"

            # The view says how to ask for a forgotten session, with the configured contact.
            await claire.command("menu")
            await claire.press("Publiées (1)")
            await claire.press(f"{action.reference}")
            assert "Une session oubliée" in claire.text and "aide@carif.example" in claire.text

            # The Carif-Oref adds it in the staff chat.
            carif = Person(api.user(STAFF_ID, "Carif"), tracker)
            await carif.command("menu")
            await carif.say(action.reference or "")
            # Each question in turn: a button pressed (« press ») or an answer typed (« say »).
            for verb, value in (
                ("press", "➕ Ajouter une session"), ("say", "10/01/2028"), ("say", "31/03/2028"),
                ("press", "Adresse de l'organisme"), ("press", "Passer"), ("press", "Passer"),
                ("press", "ouvert"), ("say", "8"), ("press", "Passer"),
                ("press", "✅ Ajouter la session n° 2"),
            ):
                await getattr(carif, verb)(value)
            assert "Session n° 2 ajoutée" in carif.text, carif.text[-300:]

            told = await claire.user.wait_for(lambda m: "Session ajoutée par le Carif-Oref" in m.text,
                                              timeout=30)
            assert "du 10/01/2028 au 31/03/2028" in told.text
            assert [d for row in told.buttons for _, d in row] == [f"g:dates:{action.id}"]
            await claire.settle()
            await claire.callback(f"g:dates:{action.id}")
            assert "Session n° 2" in " ".join(claire.labels), claire.labels
            check_clean(tracker, api, logs)
        stored = await _stored(settings.database_url, action.id)
    assert stored.status is Status.PUBLISHED and len(stored.sessions) == 2
    assert (stored.sessions[1].debut, stored.sessions[1].places) == (date(2028, 1, 10), 8)
