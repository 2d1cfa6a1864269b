"""Events → audit + outbox in the same transaction; outbox claiming; daily job lock and runs."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from domain import lifecycle
from domain.events import Archived, Published, ReminderDue
from domain.funders import Funder
from domain.models import Action, Status
from domain.ports import Membership, Role
from storage.tables import audit, outbox
from storage.uow import SqlUnitOfWork, SqlUnitOfWorkFactory
from tests.databases import add_action
from tests.factories import make_valid_action


async def _link(factory: SqlUnitOfWorkFactory, *memberships: Membership) -> None:
    async with factory() as uow:
        for m in memberships:
            await uow.members.add(m)
        await uow.commit()


async def _member_and_action(factory: SqlUnitOfWorkFactory, organisation_id: int, **fields: Any) -> Action:
    """Member 101 linked to the organisation, and one action of it (stored)."""
    await _link(factory, Membership(user_id=101, role=Role.MEMBER, organisation_id=organisation_id))
    return await add_action(factory, make_valid_action(organisation_id=organisation_id, **fields))


async def _count(uow: SqlUnitOfWork, table: object) -> int:
    return (await uow.connection.execute(select(func.count()).select_from(table))).scalar_one()  # type: ignore[arg-type]


async def test_events_become_audit_and_outbox_rows(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int]
) -> None:
    a, b = org_ids
    await _link(
        uow_factory,
        Membership(user_id=101, role=Role.MEMBER, organisation_id=a),
        Membership(user_id=102, role=Role.MEMBER, organisation_id=a),
        Membership(user_id=201, role=Role.MEMBER, organisation_id=b),
        Membership(user_id=301, role=Role.STAFF),
        Membership(user_id=302, role=Role.STAFF),  # staff once, no longer in the configuration
        Membership(user_id=401, role=Role.VALIDATOR, funder=Funder.POLE_EMPLOI),
    )
    configured = SqlUnitOfWorkFactory(uow_factory.engine, uow_factory.clock, staff_ids=[301])
    async with configured(actor_user_id=101) as uow:
        repo = uow.actions_for_organisation(a)
        action = await repo.add(make_valid_action(Funder.POLE_EMPLOI, organisation_id=a))
        events = lifecycle.confirm(action, date(2027, 1, 4), uow.clock.now())
        await repo.save(action)
        uow.publish(*events)
        await uow.commit()
    assert action.id is not None
    async with uow_factory() as uow:
        rows = (await uow.connection.execute(select(outbox).order_by(outbox.c.chat_id))).all()
        history = await uow.audit.history(action.id)
    # The organisation's members, the configured staff and the funder's validators; not
    # organisation B, not the staff link row of someone no longer configured, and not 101, who
    # confirmed it (the screen told them; issue 15 item 11).
    assert [r.chat_id for r in rows] == [102, 301, 401]
    assert {r.idempotency_key for r in rows} == {
        f"confirmed:{action.id}:v1:{chat}" for chat in (102, 301, 401)
    }
    assert rows[0].payload["reference"] == action.reference
    assert rows[0].payload["status"] == "submitted" and rows[0].status == "pending"
    assert [(h.kind, h.actor_user_id, h.version) for h in history] == [("confirmed", 101, 1)]
    snapshot = history[0].snapshot
    assert snapshot is not None and snapshot["status"] == "submitted"
    assert snapshot["sessions"][0]["debut"] == "2027-03-15" and snapshot["intitule"] == action.intitule


async def test_rollback_writes_no_event(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int]
) -> None:
    a = org_ids[0]
    action = await _member_and_action(uow_factory, a)
    async with uow_factory() as uow:
        uow.publish(Published(action.id, a, reference_carif="X"))
        await uow.rollback()
        await uow.commit()  # nothing queued any more
    with pytest.raises(RuntimeError):
        async with uow_factory() as uow:
            uow.publish(Published(action.id, a, reference_carif="X"))
            await uow.audit.record(None, action, "manual")
            raise RuntimeError("handler failed before commit")
    async with uow_factory() as uow:
        assert await _count(uow, outbox) == 0
        assert await _count(uow, audit) == 1  # the action's creation, nothing of the rolled back


async def test_same_event_twice_is_one_notification(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int]
) -> None:
    a = org_ids[0]
    action = await _member_and_action(uow_factory, a)
    reminder = ReminderDue(action.id, a, days=7)
    for _ in range(2):
        async with uow_factory() as uow:
            uow.publish(reminder)
            await uow.commit()
    async with uow_factory() as uow:
        uow.publish(ReminderDue(action.id, a, days=1))
        await uow.commit()
        keys = sorted((await uow.connection.execute(select(outbox.c.idempotency_key))).scalars())
        assert await _count(uow, audit) == 4  # the creation, and every event
    assert keys == [f"reminder:{action.id}:1d:101", f"reminder:{action.id}:7d:101"]


async def test_unreachable_members_are_not_notified(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int]
) -> None:
    a = org_ids[0]
    await _link(
        uow_factory,
        Membership(user_id=101, role=Role.MEMBER, organisation_id=a),
        Membership(user_id=102, role=Role.MEMBER, organisation_id=a),
    )
    async with uow_factory() as uow:
        await uow.members.mark_unreachable(102)
        uow.publish(Archived(None, a, archived_on=date(2027, 1, 4)))
        await uow.commit()
        assert list((await uow.connection.execute(select(outbox.c.chat_id))).scalars()) == [101]


async def _queue(factory: SqlUnitOfWorkFactory, n: int) -> None:
    async with factory() as uow:
        for i in range(n):
            assert await uow.outbox.enqueue("test", 1000 + i, {"n": i}, f"k{i}")
        assert not await uow.outbox.enqueue("test", 1000, {}, "k0")
        await uow.commit()


async def test_claim_and_marks(uow_factory: SqlUnitOfWorkFactory) -> None:
    await _queue(uow_factory, 3)
    now = uow_factory.clock.now()
    async with uow_factory() as uow:
        claimed = await uow.outbox.claim(2, now)
        assert [m.payload["n"] for m in claimed] == [0, 1] and all(m.attempts == 1 for m in claimed)
        await uow.outbox.mark_sent(claimed[0].id, now)
        await uow.outbox.mark_failed(claimed[1].id, "429 retry_after=30", now + timedelta(seconds=30))
        await uow.commit()
    async with uow_factory() as uow:
        # The third one; the failed one is not due yet; the sent one never again.
        assert [m.payload["n"] for m in await uow.outbox.claim(10, now)] == [2]
        await uow.commit()
    async with uow_factory() as uow:
        # The third one is leased (claimed, not marked): not claimed again before its lease ends.
        later = now + timedelta(seconds=31)
        again = await uow.outbox.claim(10, later)
        assert [(m.payload["n"], m.attempts) for m in again] == [(1, 2)]
        await uow.outbox.mark_dead(again[0].id, "403 blocked")
        await uow.commit()
    async with uow_factory() as uow:
        assert [m.payload["n"] for m in await uow.outbox.claim(10, now + timedelta(hours=1))] == [2]
        statuses = dict((await uow.connection.execute(select(outbox.c.chat_id, outbox.c.status))).all())
    assert statuses == {1000: "sent", 1001: "dead", 1002: "pending"}


@pytest.mark.postgres
async def test_concurrent_claimers_get_distinct_rows(pg_uow_factory: SqlUnitOfWorkFactory) -> None:
    await _queue(pg_uow_factory, 10)
    now = pg_uow_factory.clock.now()
    async with pg_uow_factory() as one, pg_uow_factory() as two:
        first = await one.outbox.claim(4, now)
        second = await two.outbox.claim(4, now)  # while the first still holds its row locks
        third = await two.outbox.claim(4, now)
        await one.commit()
        await two.commit()
    ids = [m.id for m in first + second + third]
    assert len(first) == 4 and len(second) == 4 and len(third) == 2
    assert len(set(ids)) == 10


@pytest.mark.postgres
async def test_daily_job_lock_postgres(pg_uow_factory: SqlUnitOfWorkFactory) -> None:
    async with pg_uow_factory() as one, pg_uow_factory() as two:
        assert await one.try_lock_daily_job() is True
        assert await two.try_lock_daily_job() is False
        assert await two.try_lock_daily_job("another job") is True
        await one.commit()  # the lock goes with the transaction
        await two.rollback()
        assert await two.try_lock_daily_job() is True


async def test_daily_job_lock_and_runs(uow_factory: SqlUnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        assert await uow.try_lock_daily_job() is True
        assert await uow.job_runs.last_run("daily") is None
        await uow.job_runs.record_run("daily", date(2027, 1, 4))
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.job_runs.last_run("daily") == date(2027, 1, 4)
        await uow.job_runs.record_run("daily", date(2027, 1, 5))
        await uow.commit()
        assert await uow.job_runs.last_run("daily") == date(2027, 1, 5)
        assert await uow.job_runs.last_run("other") is None


async def test_archive_sweep_publishes_events(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int]
) -> None:
    a = org_ids[0]
    action = await _member_and_action(uow_factory, a, status=Status.PUBLISHED)
    async with uow_factory() as uow:
        assert await uow.archive_sweep(date(2027, 9, 13)) == [action.id]
        await uow.commit()
    async with uow_factory() as uow:
        loaded = await uow.actions_for_organisation(a).get(action.id or 0)
        history = await uow.audit.history(action.id or 0)
        rows = (await uow.connection.execute(select(outbox))).all()
    assert loaded is not None and loaded.status is Status.ARCHIVED
    assert loaded.archived_on == date(2027, 9, 13) and loaded.version == 1
    assert [h.kind for h in history] == ["created", "archived"]
    assert [(r.chat_id, r.kind) for r in rows] == [(101, "archived")]



async def test_bulk_marks_and_leases_go_through_the_repository(uow_factory: SqlUnitOfWorkFactory) -> None:
    """What the delivery used to write on the table itself: ``mark_sent_many`` marks only the
    given rows; ``set_next_attempt`` moves the lease of rows still waiting, never of a sent one."""
    await _queue(uow_factory, 4)
    now = uow_factory.clock.now()
    async with uow_factory() as uow:
        claimed = await uow.outbox.claim(4, now)
        await uow.outbox.mark_sent_many([claimed[0].id, claimed[1].id], now)
        await uow.outbox.mark_sent_many([], now)
        # Released now: rows 2 and 3 are claimable again at once (their lease was two minutes).
        await uow.outbox.set_next_attempt([m.id for m in claimed], now)
        await uow.commit()
    async with uow_factory() as uow:
        rows = dict((await uow.connection.execute(
            select(outbox.c.chat_id, outbox.c.status).order_by(outbox.c.chat_id))).all())
        due = dict((await uow.connection.execute(
            select(outbox.c.chat_id, outbox.c.next_attempt_at))).all())
        assert [m.payload["n"] for m in await uow.outbox.claim(10, now)] == [2, 3]
        # Renewed: leased again until later, so not claimable before.
        await uow.outbox.set_next_attempt([claimed[2].id], now + timedelta(minutes=5))
        await uow.commit()
    assert rows == {1000: "sent", 1001: "sent", 1002: "pending", 1003: "pending"}
    # The sent rows kept their lease (claimed until now + 2 min); the waiting ones were released.
    assert due[1000] == due[1001] != due[1002] == due[1003]
    async with uow_factory() as uow:
        assert [m.payload["n"] for m in await uow.outbox.claim(10, now + timedelta(minutes=3))] == [3]
