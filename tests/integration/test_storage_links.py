"""Members and link codes: hashed, single use, expiring, and locked after 5 failures per hour."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from domain.clock import FixedClock
from domain.funders import Funder
from domain.ports import Membership, Role
from storage.repositories import MAX_FAILED_ATTEMPTS_PER_HOUR
from storage.tables import link_codes
from storage.uow import SqlUnitOfWorkFactory


async def _create(factory: SqlUnitOfWorkFactory, **target: object) -> str:
    async with factory() as uow:
        code = await uow.link_codes.create(target.pop("role", Role.MEMBER), **target)  # type: ignore[arg-type]
        await uow.commit()
    return code


async def _redeem(factory: SqlUnitOfWorkFactory, code: str, user_id: int) -> Membership | None:
    async with factory() as uow:
        result = await uow.link_codes.redeem(code, user_id)
        await uow.commit()
    return result


async def test_only_the_hash_is_stored(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int]
) -> None:
    code = await _create(uow_factory, organisation_id=org_ids[0], created_by=9)
    async with uow_factory() as uow:
        rows = (await uow.connection.execute(select(link_codes))).all()
    assert len(rows) == 1
    stored = " ".join(str(v) for v in rows[0])
    bare = code.replace("-", "")
    assert code not in stored and bare not in stored
    assert rows[0].code_hash == hashlib.sha256(bare.encode()).hexdigest()
    assert rows[0].expires_at - rows[0].created_at == timedelta(days=7)


async def test_single_use(uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int]) -> None:
    code = await _create(uow_factory, organisation_id=org_ids[0])
    # Typed by hand: lower case, spaces instead of dashes.
    typed = code.lower().replace("-", " ")
    assert await _redeem(uow_factory, typed, 55) == Membership(
        user_id=55, role=Role.MEMBER, organisation_id=org_ids[0]
    )
    assert await _redeem(uow_factory, code, 56) is None
    async with uow_factory() as uow:
        assert await uow.link_codes.attempts_in_last_hour(56) == 1
        assert await uow.link_codes.attempts_in_last_hour(55) == 0


async def test_validator_code(uow_factory: SqlUnitOfWorkFactory) -> None:
    code = await _create(uow_factory, role=Role.VALIDATOR, funder=Funder.AGEFIPH)
    assert await _redeem(uow_factory, code, 7) == Membership(
        user_id=7, role=Role.VALIDATOR, funder=Funder.AGEFIPH
    )


async def test_expiry(
    uow_factory: SqlUnitOfWorkFactory, clock: FixedClock, org_ids: tuple[int, int]
) -> None:
    fresh = await _create(uow_factory, organisation_id=org_ids[0])
    old = await _create(uow_factory, organisation_id=org_ids[0])
    clock.set(clock.today() + timedelta(days=7), clock.now() + timedelta(days=7) - timedelta(seconds=1))
    assert await _redeem(uow_factory, fresh, 1) is not None  # last second of validity
    clock.set(clock.today(), clock.now() + timedelta(seconds=1))
    assert await _redeem(uow_factory, old, 2) is None  # 7 days after: expired


async def test_lock_after_five_failures_in_an_hour(
    uow_factory: SqlUnitOfWorkFactory, clock: FixedClock, org_ids: tuple[int, int]
) -> None:
    good = await _create(uow_factory, organisation_id=org_ids[0])
    start = clock.now()
    for i in range(MAX_FAILED_ATTEMPTS_PER_HOUR):
        clock.set(clock.today(), start + timedelta(minutes=i))
        assert await _redeem(uow_factory, f"WRONG-{i}", 66) is None
    async with uow_factory() as uow:
        assert await uow.link_codes.attempts_in_last_hour(66) == 5
    assert await _redeem(uow_factory, good, 66) is None  # locked: even the right code
    clock.set(clock.today(), start + timedelta(minutes=60, seconds=1))
    async with uow_factory() as uow:
        assert await uow.link_codes.attempts_in_last_hour(66) == 4
    assert await _redeem(uow_factory, good, 66) is not None  # the oldest failure is an hour old
    assert await _redeem(uow_factory, good, 67) is None  # other users are not locked, but it is used


async def test_members(uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int]) -> None:
    a, b = org_ids
    member_a = Membership(user_id=10, role=Role.MEMBER, organisation_id=a)
    async with uow_factory() as uow:
        assert await uow.members.add(member_a) is True
        assert await uow.members.add(member_a) is False
        assert await uow.members.add(Membership(user_id=10, role=Role.MEMBER, organisation_id=b))
        assert await uow.members.add(Membership(user_id=11, role=Role.MEMBER, organisation_id=a), chat_id=1111)
        assert await uow.members.add(Membership(user_id=12, role=Role.VALIDATOR, funder=Funder.POLE_EMPLOI))
        assert await uow.members.add(Membership(user_id=13, role=Role.STAFF))
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.memberships(10) == [member_a, Membership(user_id=10, role=Role.MEMBER, organisation_id=b)]
        assert await uow.members.chat_ids_of_organisation(a) == [10, 1111]
        assert await uow.members.chat_ids_of_funder(Funder.POLE_EMPLOI) == [12]
        assert await uow.members.chat_ids_of_funder(Funder.AGEFIPH) == []
        assert await uow.members.chat_ids_of_staff() == []  # nobody configured as staff here
        await uow.members.mark_unreachable(1111)
        assert await uow.members.chat_ids_of_organisation(a) == [10]
        await uow.members.mark_unreachable(1111, False)
        assert await uow.members.chat_ids_of_organisation(a) == [10, 1111]
        assert await uow.members.remove(member_a) is True
        assert await uow.members.remove(member_a) is False
        assert await uow.members.chat_ids_of_organisation(a) == [1111]
        with pytest.raises(ValueError):
            await uow.members.add(Membership(user_id=14, role=Role.MEMBER, funder=Funder.REGION))
        await uow.commit()


async def test_membership_target_is_checked_by_the_database(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    from storage.tables import members

    async with uow_factory() as uow:
        with pytest.raises(IntegrityError):
            await uow.connection.execute(
                members.insert().values(user_id=1, chat_id=1, role="member", unreachable=False,
                                        created_at=uow.clock.now())
            )


async def test_staff_chats_follow_the_configured_ids_not_the_link_rows(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        for user_id in (13, 14):
            await uow.members.add(Membership(user_id=user_id, role=Role.STAFF))
        await uow.commit()
    configured = SqlUnitOfWorkFactory(uow_factory.engine, uow_factory.clock, staff_ids=[14, 15])
    async with configured() as uow:
        # 13 was staff once (its link row stays), 15 is configured but never wrote to the bot.
        assert await uow.members.chat_ids_of_staff() == [14]
        await uow.members.mark_unreachable(14)
        assert await uow.members.chat_ids_of_staff() == []


async def test_a_chat_that_writes_is_reachable_again_and_links_by_chat(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int]
) -> None:
    a, b = org_ids
    links = [Membership(user_id=20, role=Role.MEMBER, organisation_id=a),
             Membership(user_id=20, role=Role.VALIDATOR, funder=Funder.AGEFIPH)]
    async with uow_factory() as uow:
        for link in links:
            await uow.members.add(link)
        await uow.members.add(Membership(user_id=21, role=Role.MEMBER, organisation_id=b))
        await uow.members.mark_unreachable(20)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.members.chat_ids_of_organisation(a) == []
        assert await uow.members.of_user_in_chat(20, 20) == links
        assert await uow.members.chat_ids_of_organisation(a) == [20]
        assert await uow.members.chat_ids_of_funder(Funder.AGEFIPH) == [20]
        assert await uow.members.links_of_chats([20, 21, 22]) == {
            20: links, 21: [Membership(user_id=21, role=Role.MEMBER, organisation_id=b)]
        }
