"""Each audience its own words (issue 15, item 11), end to end through the fake Bot API.

Claire confirms an action: her colleague Colin is told in the organisation's words, the Carif-Oref
staff in theirs, the Pôle emploi validator in the validator's; Claire, who did it, sees her
screen's confirmation and no notice of it. Likewise for a session's new dates. Who receives which
text is read from what each user of the fake API received, once every queued row was delivered.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select

from domain.funders import Funder
from domain.models import Status
from domain.ports import Role
from storage.tables import outbox
from tests.e2e.support import (
    STAFF_ID,
    Db,
    Player,
    eventually,
    new_link_code,
    running_bot,
    settings_for,
)
from tests.factories import make_session, make_valid_action
from tests.fakebotapi import FakeBotApi

CLAIRE, COLIN, VALERIE = 1001, 1002, 2001
ORGANISATION_WORDS = "a été confirmée par un membre de votre organisme"
STAFF_WORDS = "Nouvelle action confirmée"
VALIDATOR_WORDS = "Nouvelle action à valider"


async def _rows(db: Db) -> list[tuple[str, int, str]]:
    """Every outbox row: (kind, chat, status)."""
    async with db.factory() as uow:
        result = await uow.connection.execute(select(outbox.c.kind, outbox.c.chat_id, outbox.c.status))
        return [(row.kind, row.chat_id, row.status) for row in result]


async def _all_delivered(db: Db) -> bool:
    return all(status == "sent" for _, _, status in await _rows(db))


def told(player: Player, fragment: str) -> list[str]:
    return [m.text for m in player.user.bot_messages if fragment in m.text and not m.edited]


async def test_each_reader_gets_its_own_words_and_the_actor_none(tmp_path: Path) -> None:
    async with FakeBotApi() as api:
        settings = settings_for(api, tmp_path / "bot.db")
        org, code = await new_link_code(settings)
        db = Db(settings.database_url)
        draft = await db.add(make_valid_action(Funder.POLE_EMPLOI, organisation_id=org, intitule="Cariste"))
        published = await db.add(make_valid_action(
            Funder.POLE_EMPLOI, organisation_id=org, status=Status.PUBLISHED, intitule="Soudeur",
            reference_carif="24_000001",
            sessions=[make_session(date(2027, 3, 15), date(2027, 6, 30))],
        ))
        colin_code = await db.code(Role.MEMBER, organisation_id=org)
        validator_code = await db.code(Role.VALIDATOR, funder=Funder.POLE_EMPLOI)
        async with running_bot(settings) as runtime:
            claire = Player(api.user(CLAIRE, "Claire"))
            colin = Player(api.user(COLIN, "Colin"))
            staff = Player(api.user(STAFF_ID, "Sophie"))
            valerie = Player(api.user(VALERIE, "Valérie"))
            await claire.command("start", code)
            await colin.command("start", colin_code)
            await staff.command("start")
            await valerie.command("start", validator_code)

            # Claire confirms: her screen says it; the three audiences are told, each its way.
            await claire.press("En cours de création (1)")
            await claire.press(draft.reference)
            await claire.press("✅ Confirmer")
            await claire.press("✅ Confirmer (valider la proposition)")
            screen = await claire.press("✅ Oui, je confirme")
            assert f"Action {draft.reference} confirmée" in screen
            await api.wait_until(lambda: bool(
                told(colin, ORGANISATION_WORDS) and told(staff, STAFF_WORDS) and told(valerie, VALIDATOR_WORDS)
            ), timeout=15)  # fmt: skip

            # Claire changes a session's dates: Colin is told, Claire sees « Dates enregistrées ».
            await claire.command("dates")
            await claire.press(published.reference)
            await claire.press("Session n° 1")
            assert "Dates enregistrées" in await claire.say("du 05/04/2027 au 30/06/2027")
            await api.wait_until(lambda: bool(told(colin, "Dates de session modifiées")), timeout=15)
            runtime.delivery.wake()
            await eventually(lambda: _all_delivered(db))

        # Each reader, its own words, once.
        [to_colin] = told(colin, ORGANISATION_WORDS)
        assert draft.reference in to_colin and "Votre action" in to_colin and "(financeur : Pôle emploi)" in to_colin
        [to_staff] = told(staff, STAFF_WORDS)
        assert draft.reference in to_staff and "« Confirmées »" in to_staff and "Votre action" not in to_staff
        [to_valerie] = told(valerie, VALIDATOR_WORDS)
        assert "proposée à Pôle emploi" in to_valerie and "Votre action" not in to_valerie
        assert not told(colin, STAFF_WORDS) and not told(staff, ORGANISATION_WORDS)
        assert not told(valerie, STAFF_WORDS) and not told(staff, VALIDATOR_WORDS)
        # Claire did both things: no notice of either, and none queued for her.
        for fragment in (ORGANISATION_WORDS, STAFF_WORDS, VALIDATOR_WORDS, "Dates de session modifiées"):
            assert not told(claire, fragment), fragment
        rows = await _rows(db)
        assert not [row for row in rows if row[1] == CLAIRE], rows
        assert sorted(kind for kind, chat, _ in rows if chat == COLIN) == ["confirmed", "session_dates_changed"]
        await db.engine.dispose()
