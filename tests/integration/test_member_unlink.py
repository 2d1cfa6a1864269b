"""``formabot member unlink TELEGRAM_ID (--org ORG | --funder F | --staff)``: one link revoked, the
person, their other links and their conversation kept; what was queued for that link is not sent."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from bot.delivery import no_longer_addressed
from domain.clock import FixedClock
from domain.events import Confirmed
from domain.funders import Funder
from domain.ports import ConversationState, Membership, Role
from storage.database import create_engine, upgrade
from storage.uow import SqlUnitOfWorkFactory
from tests.factories import make_valid_action
from tests.integration.conftest import TODAY, add_organisations

PERSON = 987_654_321
STAFF_IDS = (PERSON,)


async def _memberships(url: str) -> list[Membership]:
    engine = create_engine(url)
    try:
        async with SqlUnitOfWorkFactory(engine)() as uow:
            return await uow.memberships(PERSON)
    finally:
        await engine.dispose()


def test_member_unlink_revokes_one_link_and_keeps_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/bot.db"

    async def prepare() -> tuple[int, int, int]:
        await upgrade(url)
        engine = create_engine(url)
        try:
            factory = SqlUnitOfWorkFactory(engine, FixedClock(TODAY), staff_ids=STAFF_IDS)
            org_a, org_b = await add_organisations(factory)
            async with factory() as uow:
                for link in (
                    Membership(user_id=PERSON, role=Role.MEMBER, organisation_id=org_a),
                    Membership(user_id=PERSON, role=Role.MEMBER, organisation_id=org_b),
                    Membership(user_id=PERSON, role=Role.VALIDATOR, funder=Funder.POLE_EMPLOI),
                    Membership(user_id=PERSON, role=Role.STAFF),
                ):
                    await uow.members.add(link)
                await uow.conversations.save(ConversationState(chat_id=PERSON, data={"screen": "menu"}))
                action = await uow.actions_for_organisation(org_a).add(
                    make_valid_action(Funder.POLE_EMPLOI, organisation_id=org_a)
                )
                await uow.commit()
            async with factory() as uow:  # a notice queued for org A's members (and staff, validators)
                uow.publish(Confirmed(action.id, org_a, funder=action.funder.value))
                await uow.commit()
            return org_a, org_b, action.id or 0
        finally:
            await engine.dispose()

    org_a, org_b, _ = asyncio.run(prepare())
    monkeypatch.setenv("FORMABOT_DATABASE_URL", url)
    monkeypatch.setenv("FORMABOT_ADMIN_IDS", str(PERSON))

    assert main(["member", "unlink", str(PERSON), "--org", str(org_a)]) == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith(
        f"Rattachement retiré : l'utilisateur Telegram {PERSON} n'est plus membre de l'organisme "
        f"n° {org_a} « Organisme A »."
    ), out
    assert asyncio.run(_memberships(url)) == [
        Membership(user_id=PERSON, role=Role.MEMBER, organisation_id=org_b),
        Membership(user_id=PERSON, role=Role.VALIDATOR, funder=Funder.POLE_EMPLOI),
        Membership(user_id=PERSON, role=Role.STAFF),
    ]
    # The same link again: nothing to remove, said on stderr, status 1.
    assert main(["member", "unlink", str(PERSON), "--org", str(org_a)]) == 1
    assert "n'est pas rattaché comme membre de l'organisme" in capsys.readouterr().err

    # The queued notice is still addressed to them as staff and as the funder's validator …
    async def addressed_now(staff_ids: tuple[int, ...]) -> bool:
        engine = create_engine(url)
        try:
            async with SqlUnitOfWorkFactory(engine, staff_ids=staff_ids)() as uow:
                claimed = await uow.outbox.claim(10, FixedClock(TODAY).now())
                assert [m.chat_id for m in claimed] == [PERSON]
                return not await no_longer_addressed(uow, claimed)  # rolled back: not claimed
        finally:
            await engine.dispose()

    assert asyncio.run(addressed_now(STAFF_IDS))
    assert main(["member", "unlink", str(PERSON), "--funder", "pole-emploi"]) == 0
    assert "n'est plus valideur Pôle emploi" in capsys.readouterr().out
    assert asyncio.run(addressed_now(STAFF_IDS))  # … as staff still
    assert not asyncio.run(addressed_now(()))  # … not once removed from the configuration

    # --staff while the id is still configured: removed, with a warning (the bot would add it back).
    assert main(["member", "unlink", str(PERSON), "--staff"]) == 0
    captured = capsys.readouterr()
    assert "n'est plus personnel du Carif-Oref" in captured.out
    assert "FORMABOT_ADMIN_IDS" in captured.err
    assert not asyncio.run(addressed_now(STAFF_IDS))
    assert asyncio.run(_memberships(url)) == [
        Membership(user_id=PERSON, role=Role.MEMBER, organisation_id=org_b)
    ]

    async def conversation_kept() -> bool:
        engine = create_engine(url)
        try:
            async with SqlUnitOfWorkFactory(engine)() as uow:
                return (await uow.conversations.load(PERSON)).data == {"screen": "menu"}
        finally:
            await engine.dispose()

    assert asyncio.run(conversation_kept())

    for bad in ([], ["--org", str(org_b), "--staff"], ["--funder", "region"]):
        with pytest.raises(SystemExit) as exit_info:
            main(["member", "unlink", str(PERSON), *bad])
        assert exit_info.value.code == 2
