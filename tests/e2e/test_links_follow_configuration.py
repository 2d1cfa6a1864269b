"""Rights and notifications follow who is linked and who is configured, at each moment (issue 13,
findings 4 and 5), through the fake Bot API with the real bot:

- a staff id removed from ``FORMABOT_ADMIN_IDS`` loses the staff screens and every staff notice,
  also the ones queued before (the delivery checks again), although its staff link row remains;
- a member unlinked by ``formabot member unlink`` no longer sees the organisation's actions and
  is not told of them;
- a chat marked unreachable by a 403 is told again once it writes to the bot.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main as cli
from bot.config import Settings
from bot.wiring import clock_for
from domain.events import Confirmed
from domain.funders import Funder
from domain.models import Action, Status
from domain.ports import Clock, Role
from storage.tables import members, outbox
from tests.databases import database
from tests.e2e.support import STAFF_ID, Player, eventually, new_link_code, running_bot, settings_for
from tests.factories import make_valid_action
from tests.fakebotapi import FakeBotApi
from tests.labels import label

CONFIRMED = "Nouvelle action confirmée"
OTHER_STAFF = 9002


async def _add(url: str, *actions: Action, staff_ids: tuple[int, ...] = ()) -> list[Action]:
    async with database(url, staff_ids=staff_ids) as factory, factory() as uow:
        stored = [await uow.all_actions().add(a) for a in actions]
        await uow.commit()
    return stored


@asynccontextmanager
async def _forma_sud(tmp_path: Path) -> AsyncIterator[tuple[FakeBotApi, Settings, int, str]]:
    """The fake Bot API, the bot's settings, an organisation and a link code of it."""
    async with FakeBotApi() as api:
        settings = settings_for(api, tmp_path / "bot.db")
        org, code = await new_link_code(settings)
        yield api, settings, org, code


async def _queue_confirmed(url: str, clock: Clock, action: Action, staff_ids: list[int]) -> None:
    """The « confirmed » notices of the action queued on the bot's clock (not delivered yet)."""
    async with database(url, clock, staff_ids=staff_ids) as factory, factory() as uow:
        uow.publish(Confirmed(action.id, action.organisation_id, funder=action.funder.value))
        await uow.commit()


async def _outbox_of(url: str, chat_id: int) -> list[str]:
    async with database(url) as factory, factory() as uow:
        rows = await uow.connection.execute(select(outbox.c.status).where(outbox.c.chat_id == chat_id))
        return [row.status for row in rows]


def told(player: Player, fragment: str) -> int:
    return sum(1 for m in player.user.bot_messages if fragment in m.text and not m.edited)


async def _confirm(player: Player, action: Action) -> None:
    await player.command("menu")
    await player.press("En cours de création (1)")
    await player.press(action.reference)
    await player.press(label("op_confirm"))
    await player.press(label("confirm"))
    await player.press(label("confirm_yes"))


async def _cli(argv: list[str]) -> int:
    return await asyncio.to_thread(cli, argv)


async def test_staff_removed_from_the_configuration_is_no_longer_told_nor_staff(tmp_path: Path) -> None:
    async with FakeBotApi() as api:
        before = settings_for(api, tmp_path / "bot.db", admin_ids=[STAFF_ID, OTHER_STAFF])
        org, code = await new_link_code(before)
        url = before.database_url
        draft, submitted = await _add(
            url,
            make_valid_action(Funder.REGION, organisation_id=org, intitule="Soudeur"),
            make_valid_action(Funder.REGION, organisation_id=org, status=Status.SUBMITTED, intitule="Cariste"),
        )
        claire = Player(api.user(1001, "Claire"))
        sophie = Player(api.user(STAFF_ID, "Sophie"))  # staff, then removed from the configuration
        paul = Player(api.user(OTHER_STAFF, "Paul"))  # staff all along
        async with running_bot(before):
            await claire.command("start", code)
            for staff in (sophie, paul):
                await staff.command("menu")
                assert "Validées, à publier" in staff.text  # the staff menu (and their link rows)
        # A staff notice queued while Sophie was still configured, not delivered yet (on the bot's
        # clock: due at once for the next process).
        await _queue_confirmed(url, clock_for(before), submitted, [STAFF_ID, OTHER_STAFF])
        assert sorted(await _outbox_of(url, STAFF_ID)) == ["pending"]

        after = settings_for(api, tmp_path / "bot.db", admin_ids=[OTHER_STAFF])
        async with running_bot(after):
            await _confirm(claire, draft)
            await api.wait_until(lambda: all(
                any(CONFIRMED in m.text and a.reference in m.text for m in paul.user.bot_messages)
                for a in (draft, submitted)
            ), timeout=15)  # fmt: skip
            await eventually(lambda: _has_no_pending(url, STAFF_ID))
            # No staff screen for Sophie any more, although her staff link row is still there.
            await sophie.command("menu", screen=False)
            assert "code de rattachement" in sophie.text and "Validées, à publier" not in sophie.text
            assert await _staff_rows(url) == [STAFF_ID, OTHER_STAFF]
        assert told(sophie, CONFIRMED) == 0
        assert await _outbox_of(url, STAFF_ID) == ["dead"]  # the queued one: checked again, not sent
        assert told(paul, CONFIRMED) == 2


async def _has_no_pending(url: str, chat_id: int) -> bool:
    return all(status in ("sent", "dead") for status in await _outbox_of(url, chat_id))


async def _staff_rows(url: str) -> list[int]:
    async with database(url) as factory, factory() as uow:
        rows = await uow.connection.execute(
            select(members.c.user_id).where(members.c.role == Role.STAFF.value).order_by(members.c.user_id)
        )
        return [row.user_id for row in rows]


async def test_an_unlinked_member_no_longer_sees_the_actions_nor_is_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with _forma_sud(tmp_path) as (api, settings, org, code):
        url = settings.database_url
        draft, submitted = await _add(
            url,
            make_valid_action(Funder.REGION, organisation_id=org, intitule="Soudeur"),
            make_valid_action(Funder.REGION, organisation_id=org, status=Status.SUBMITTED, intitule="Cariste"),
        )
        async with database(url) as factory, factory() as uow:
            second_code = await uow.link_codes.create(Role.MEMBER, organisation_id=org)
            await uow.commit()
        monkeypatch.setenv("FORMABOT_DATABASE_URL", url)
        monkeypatch.setenv("FORMABOT_ADMIN_IDS", str(STAFF_ID))
        claire = Player(api.user(1001, "Claire"))
        marc = Player(api.user(1002, "Marc"))
        sophie = Player(api.user(STAFF_ID, "Sophie"))
        async with running_bot(settings):
            await claire.command("start", code)
            await marc.command("start", second_code)
            await sophie.command("menu")
            await claire.command("menu")
            assert "En cours de création (1)" in claire.labels
        # A notice for the organisation queued while Claire was still a member, not sent yet …
        await _queue_confirmed(url, clock_for(settings), submitted, [STAFF_ID])
        assert await _outbox_of(url, 1001) == ["pending"]
        # … then she is unlinked.
        assert await _cli(["member", "unlink", "1001", "--org", str(org)]) == 0

        async with running_bot(settings):
            await claire.command("menu", screen=False)
            assert "code de rattachement" in claire.text and draft.reference not in claire.text
            assert all(not m.buttons for m in claire.read)  # no menu, no list of the organisation

            await _confirm(marc, draft)
            # Sophie (staff) is told of both; Marc, in the organisation's words, of the one he
            # did not confirm himself (issue 15 item 11: before, the staff's words, both).
            await api.wait_until(lambda: all(
                any(CONFIRMED in m.text and a.reference in m.text for m in sophie.user.bot_messages)
                for a in (draft, submitted)
            ) and any(
                "Action confirmée" in m.text and submitted.reference in m.text for m in marc.user.bot_messages
            ), timeout=15)  # fmt: skip
            await eventually(lambda: _has_no_pending(url, 1001))
        assert told(marc, CONFIRMED) == 0 and told(marc, f"Votre action {draft.reference}") == 0
        assert told(claire, CONFIRMED) == 0 and told(claire, "Action confirmée") == 0
        assert await _outbox_of(url, 1001) == ["dead"]  # the queued one: checked again, not sent


async def test_a_chat_that_blocked_the_bot_is_told_again_once_it_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with _forma_sud(tmp_path) as (api, settings, org, code):
        url = settings.database_url
        first, second = await _add(url, *(
            make_valid_action(Funder.REGION, organisation_id=org, status=Status.SUBMITTED, intitule=title)
            for title in ("Soudeur", "Cariste")
        ))  # fmt: skip
        monkeypatch.setenv("FORMABOT_DATABASE_URL", url)
        monkeypatch.setenv("FORMABOT_TODAY", settings.today.isoformat() if settings.today else "")
        async with running_bot(settings) as runtime:
            claire = Player(api.user(1001, "Claire"))
            await claire.command("start", code)
            api.block_chat(1001)  # Claire blocks the bot
            assert await _cli(["action", "return", first.reference, "--comment", "Précisez le rythme."]) == 0
            runtime.delivery.wake()
            await api.wait_until(lambda: any(
                r.status == 403 for r in api.requests_for("sendMessage") if r.params.get("chat_id") == 1001
            ))  # fmt: skip
            await eventually(lambda: _unreachable(url, 1001))

            api.unblock_chat(1001)  # she unblocks it and writes
            await claire.command("menu")
            await eventually(lambda: _reachable(url, 1001))
            assert await _cli(["action", "return", second.reference, "--comment", "Précisez le lieu."]) == 0
            runtime.delivery.wake()
            await claire.user.wait_for(lambda m: "Action à corriger" in m.text and second.reference in m.text)
        # The notice sent while she blocked the bot was refused (403), not queued again.
        assert not any("Action à corriger" in m.text and first.reference in m.text for m in claire.user.bot_messages)


async def _unreachable(url: str, chat_id: int) -> bool:
    return await _flags(url, chat_id) == [True]


async def _reachable(url: str, chat_id: int) -> bool:
    return await _flags(url, chat_id) == [False]


async def _flags(url: str, chat_id: int) -> list[bool]:
    async with database(url) as factory, factory() as uow:
        rows = await uow.connection.execute(select(members.c.unreachable).where(members.c.chat_id == chat_id))
        return [bool(row.unreachable) for row in rows]
