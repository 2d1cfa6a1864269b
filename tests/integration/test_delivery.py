"""Outbox delivery through the fake Bot API: exactly once, within the limits, through faults."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from telegram import Bot

from bot.delivery import DeliverySettings, OutboxDelivery, backoff
from domain.clock import FixedClock
from domain.events import Event, EventKind, Published, ReminderDue, event_from_payload
from domain.funders import Funder
from domain.models import Status
from domain.ports import Membership, Role
from storage.tables import members, outbox
from storage.uow import SqlUnitOfWorkFactory
from tests.factories import make_valid_action
from tests.fakebotapi import FakeBotApi
from tests.labels import NOTIFICATION_DATES
from tests.unit.test_events import old_key


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as fake:
        yield fake


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(api.token, base_url=api.base_url) as telegram_bot:
        yield telegram_bot


async def _setup(
    factory: SqlUnitOfWorkFactory, api: FakeBotApi, org: int, chats: list[int]
) -> list[int]:
    """Members ``chats`` of ``org`` (fake users too) and three published actions; their ids."""
    ids = []
    async with factory() as uow:
        for chat in chats:
            await uow.members.add(Membership(user_id=chat, role=Role.MEMBER, organisation_id=org))
            api.user(chat, f"Membre {chat}")
        for n in range(3):
            action = await uow.all_actions().add(
                make_valid_action(Funder.REGION, organisation_id=org, status=Status.PUBLISHED,
                                  reference_carif=f"24_P_{n:06d}", intitule=f"Formation {n}")
            )
            assert action.id is not None
            ids.append(action.id)
        await uow.commit()
    return ids


async def _publish(factory: SqlUnitOfWorkFactory, org: int, events: list[Event]) -> None:
    async with factory() as uow:
        uow.publish(*events)
        await uow.commit()


def _published(action_ids: list[int], org: int) -> list[Event]:
    return [Published(a, org, reference_carif=f"24_P_{i:06d}")
            for i, a in enumerate(action_ids)]


async def _rows(factory: SqlUnitOfWorkFactory) -> list[dict[str, object]]:
    async with factory() as uow:
        result = await uow.connection.execute(select(outbox).order_by(outbox.c.id))
        return [dict(row._mapping) for row in result]


def _texts(api: FakeBotApi, chat: int) -> list[str]:
    return [m.text for m in api.user(chat).bot_messages]


async def test_every_notification_is_delivered_once_to_every_member(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int], api: FakeBotApi, bot: Bot
) -> None:
    a, b = org_ids
    actions_a = await _setup(uow_factory, api, a, [101, 102, 103])
    actions_b = await _setup(uow_factory, api, b, [201])
    await _publish(uow_factory, a, _published(actions_a, a))
    await _publish(uow_factory, b, [*_published(actions_b, b), ReminderDue(actions_b[0], b, days=7, archive_on=date(2027, 3, 15))])
    delivery = OutboxDelivery(
        bot, uow_factory, uow_factory.clock, DeliverySettings(global_rate=50, per_chat_rate=20, batch=5)
    )
    reports = []
    while not reports or reports[-1].claimed:
        reports.append(await delivery.run_once())
    assert sum(r.sent for r in reports) == 3 * 3 + 3 + 1
    assert sum(r.claimed for r in reports) == 13
    assert api.stats.sent == 13 and not api.stats.duplicates
    for chat in (101, 102, 103):
        texts = _texts(api, chat)
        assert len(texts) == 3
        assert all("Action publiée" in t for t in texts)
        assert {t.split("Référence Carif-Oref : ")[1][:11] for t in texts} == {
            f"24_P_{n:06d}" for n in range(3)
        }
    reminder = api.user(201).bot_messages[-1]
    assert "sera archivée" in reminder.text
    assert reminder.buttons == [[(NOTIFICATION_DATES, f"g:dates:{actions_b[0]}")]]
    # HTML was parsed by Telegram (bold title), not shown as tags.
    assert reminder.parse_mode == "HTML" and "<b>" not in reminder.text
    rows = await _rows(uow_factory)
    assert {r["status"] for r in rows} == {"sent"} and {r["attempts"] for r in rows} == {1}
    # Again: nothing left, nothing resent.
    assert (await delivery.run_once()).claimed == 0
    assert api.stats.sent == 13


async def test_two_deliveries_at_once_never_send_a_row_twice(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int], api: FakeBotApi, bot: Bot
) -> None:
    a = org_ids[0]
    chats = list(range(1001, 1011))
    action_ids = await _setup(uow_factory, api, a, chats)
    await _publish(uow_factory, a, _published(action_ids, a))
    deliveries = [OutboxDelivery(
        bot, uow_factory, uow_factory.clock, DeliverySettings(global_rate=100, per_chat_rate=20, batch=7)
    ) for _ in range(3)]

    async def drain(delivery: OutboxDelivery) -> int:
        sent = 0
        while (report := await delivery.run_once()).claimed:
            sent += report.sent
        return sent

    counts = await asyncio.gather(*(drain(d) for d in deliveries))
    assert sum(counts) == 30
    assert api.stats.sent == 30 and not api.stats.duplicates
    assert {c: api.stats.per_chat[c] for c in chats} == dict.fromkeys(chats, 3)


async def test_429_storm_loses_and_duplicates_nothing(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int], api: FakeBotApi, bot: Bot
) -> None:
    a = org_ids[0]
    chats = [301, 302, 303, 304]
    action_ids = await _setup(uow_factory, api, a, chats)
    await _publish(uow_factory, a, _published(action_ids, a))
    api.inject_429(3, retry_after=1)
    delivery = OutboxDelivery(
        bot, uow_factory, uow_factory.clock, DeliverySettings(global_rate=30, per_chat_rate=10)
    )
    report = await delivery.run_once()
    assert api.stats.too_many_requests == 3 and report.rate_limited == 3
    assert report.sent == 12 and report.failed == 0 and report.dead == 0
    assert api.stats.sent == 12 and not api.stats.duplicates
    rows = await _rows(uow_factory)
    assert {r["status"] for r in rows} == {"sent"}
    assert {r["attempts"] for r in rows} == {1}  # a 429 is not a failed attempt
    # After each 429, nothing was sent before retry_after had passed.
    requests = api.requests_for("sendMessage")
    for index, request in enumerate(requests):
        if request.status == 429:
            later = [r for r in requests[index + 1:] if r.time > request.time]
            assert all(r.time - request.time >= 0.95 for r in later if r.status == 200)


async def test_blocked_chat_is_unreachable_and_its_row_dead(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int], api: FakeBotApi, bot: Bot
) -> None:
    a = org_ids[0]
    action_ids = await _setup(uow_factory, api, a, [401, 402, 403])
    api.block_chat(402)
    await _publish(uow_factory, a, _published(action_ids[:2], a))
    delivery = OutboxDelivery(
        bot, uow_factory, uow_factory.clock, DeliverySettings(global_rate=50, per_chat_rate=20)
    )
    report = await delivery.run_once()
    assert report.sent == 4 and report.dead == 2 and report.unreachable == 2
    assert len(_texts(api, 401)) == 2 and len(_texts(api, 403)) == 2 and _texts(api, 402) == []
    rows = await _rows(uow_factory)
    dead = [r for r in rows if r["status"] == "dead"]
    assert {r["chat_id"] for r in dead} == {402}
    assert all("403" in str(r["last_error"]) and "blocked" in str(r["last_error"]) for r in dead)
    async with uow_factory() as uow:
        assert await uow.members.chat_ids_of_organisation(a) == [401, 403]
        flags = dict((await uow.connection.execute(
            select(members.c.chat_id, members.c.unreachable))).all())
    assert flags == {401: False, 402: True, 403: False}
    # The next event is not even queued for the blocked chat.
    await _publish(uow_factory, a, _published(action_ids[2:], a)[:1])
    assert (await delivery.run_once()).sent == 2
    assert _texts(api, 402) == []


async def test_bad_request_is_dead_with_telegram_s_description(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int], api: FakeBotApi, bot: Bot
) -> None:
    await _setup(uow_factory, api, org_ids[0], [501])
    async with uow_factory() as uow:  # a chat the fake does not know: « chat not found »
        await uow.outbox.enqueue("approved", 999_999, {"reference": "FB-1"}, "k-unknown-chat")
        await uow.commit()
    report = await OutboxDelivery(bot, uow_factory, uow_factory.clock).run_once()
    assert report.dead == 1 and report.unreachable == 0
    (row,) = await _rows(uow_factory)
    assert row["status"] == "dead" and "chat not found" in str(row["last_error"]).lower()


async def test_server_error_and_network_failure_are_retried_later(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int], api: FakeBotApi, bot: Bot,
    clock: FixedClock,
) -> None:
    a = org_ids[0]
    action_ids = await _setup(uow_factory, api, a, [601, 602])
    await _publish(uow_factory, a, _published(action_ids[:1], a))
    delivery = OutboxDelivery(
        bot, uow_factory, clock, DeliverySettings(global_rate=50, per_chat_rate=20)
    )
    api.inject_500(1)
    first = await delivery.run_once()
    assert first.sent == 1 and first.failed == 1
    rows = await _rows(uow_factory)
    (failed,) = [r for r in rows if r["status"] == "failed"]
    assert "500" in str(failed["last_error"]) or "Internal Server Error" in str(failed["last_error"])
    assert failed["next_attempt_at"] == clock.now() + backoff(1) == clock.now() + timedelta(
        seconds=5)
    # Not due yet: nothing is claimed.
    assert (await delivery.run_once()).claimed == 0
    # Telegram unreachable when it becomes due: failed again, the wait doubles.
    clock.set(clock.today(), clock.now() + timedelta(seconds=5))
    await api.pause()
    second = await delivery.run_once()
    assert second.claimed == 1 and second.failed == 1
    (failed,) = [r for r in await _rows(uow_factory) if r["status"] == "failed"]
    assert failed["attempts"] == 2
    assert failed["next_attempt_at"] == clock.now() + timedelta(seconds=10)
    await api.resume()
    clock.set(clock.today(), clock.now() + timedelta(seconds=10))
    third = await delivery.run_once()
    assert third.sent == 1
    assert api.stats.sent == 2 and not api.stats.duplicates
    assert {r["status"] for r in await _rows(uow_factory)} == {"sent"}


def test_backoff_is_exponential_and_capped() -> None:
    assert [backoff(n).total_seconds() for n in range(1, 10)] == [
        5, 10, 20, 40, 80, 160, 320, 600, 600
    ]
    assert backoff(1000) == timedelta(minutes=10)


async def test_gives_up_after_max_attempts(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int], api: FakeBotApi, bot: Bot,
    clock: FixedClock,
) -> None:
    a = org_ids[0]
    action_ids = await _setup(uow_factory, api, a, [651])
    await _publish(uow_factory, a, _published(action_ids[:1], a))
    delivery = OutboxDelivery(bot, uow_factory, clock, DeliverySettings(max_attempts=2))
    api.inject_500(5)
    assert (await delivery.run_once()).failed == 1
    clock.set(clock.today(), clock.now() + timedelta(minutes=1))
    assert (await delivery.run_once()).dead == 1
    (row,) = await _rows(uow_factory)
    assert row["status"] == "dead" and "after 2 attempts" in str(row["last_error"])


async def test_limits_are_respected_globally_and_per_chat(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int], api: FakeBotApi, bot: Bot
) -> None:
    a, b = org_ids
    chats = list(range(701, 731))
    action_ids = await _setup(uow_factory, api, a, chats)
    await _publish(uow_factory, a, _published(action_ids, a))  # 30 chats × 3
    solo = await _setup(uow_factory, api, b, [799])
    await _publish(uow_factory, b, _published(solo, b))  # one chat × 3
    api.enforce_limits(global_per_s=40, per_chat_per_s=2)
    delivery = OutboxDelivery(
        bot, uow_factory, uow_factory.clock, DeliverySettings(global_rate=40, per_chat_rate=2, batch=200)
    )
    report = await delivery.run_once()
    assert report.sent == 93 and api.stats.too_many_requests == 0
    times = sorted(r.time for r in api.requests_for("sendMessage") if r.ok)
    # 93 messages at 40/s: at least 92/40 s, and never more than 40 in any second.
    assert times[-1] - times[0] >= 92 / 40 * 0.95
    assert all(j - i < 40 or times[j] - times[i] >= 1.0
               for i in range(len(times)) for j in range(i + 40, min(i + 41, len(times))))
    solo_times = [r.time for r in api.requests_for("sendMessage") if r.params["chat_id"] == 799]
    assert len(solo_times) == 3
    assert all(later - earlier >= 0.5 for earlier, later in itertools.pairwise(solo_times))


async def test_run_forever_wakes_up_on_new_work_and_stops(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int], api: FakeBotApi, bot: Bot
) -> None:
    a = org_ids[0]
    action_ids = await _setup(uow_factory, api, a, [801, 802])
    delivery = OutboxDelivery(
        bot, uow_factory, uow_factory.clock, DeliverySettings(global_rate=50, per_chat_rate=20, poll_interval=60)
    )
    stop = asyncio.Event()
    task = asyncio.create_task(delivery.run_forever(stop))
    await _publish(uow_factory, a, _published(action_ids[:1], a))
    delivery.wake()  # the poll interval is one minute: only the wake-up can deliver in time
    await api.wait_until(lambda: api.stats.sent == 2, timeout=10)
    await _publish(uow_factory, a, _published(action_ids[1:2], a))
    delivery.wake()
    await api.wait_until(lambda: api.stats.sent == 4, timeout=10)
    stop.set()
    report = await asyncio.wait_for(task, timeout=10)
    assert report.sent == 4 and not api.stats.duplicates
    assert {r["status"] for r in await _rows(uow_factory)} == {"sent"}


async def test_stopping_releases_the_messages_not_sent(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int], api: FakeBotApi, bot: Bot
) -> None:
    """One chat at one message per second: stopping after the first releases the others, which
    another delivery sends at once (not after the lease), each once."""
    a = org_ids[0]
    action_ids = await _setup(uow_factory, api, a, [901])
    await _publish(uow_factory, a, _published(action_ids, a))
    slow = OutboxDelivery(bot, uow_factory, uow_factory.clock, DeliverySettings(per_chat_rate=1.0))
    stop = asyncio.Event()
    task = asyncio.create_task(slow.run_forever(stop))
    await api.wait_until(lambda: api.stats.sent >= 1, timeout=10)
    stop.set()
    first = await asyncio.wait_for(task, timeout=10)
    assert first.sent == api.stats.sent < 3
    rest = await OutboxDelivery(
        bot, uow_factory, uow_factory.clock, DeliverySettings(per_chat_rate=20)
    ).run_once()
    assert rest.sent == 3 - first.sent
    assert api.stats.sent == 3 and not api.stats.duplicates


async def test_rows_queued_before_typed_events_are_delivered_once_after_the_upgrade(
    uow_factory: SqlUnitOfWorkFactory, org_ids: tuple[int, int], api: FakeBotApi, bot: Bot
) -> None:
    """Outbox rows written by the code before the typed events (its payload and key, a reminder
    without ``level`` among them) are delivered by the new code, and the same events emitted again
    by the new code are recognised as the same notifications: each is sent once."""
    org = org_ids[0]
    first, second, _ = await _setup(uow_factory, api, org, [101])
    async with uow_factory() as uow:
        action = await uow.all_actions().get(first)
        assert action is not None and action.reference
    old_events = [
        (EventKind.PUBLISHED, first, {"reference_carif": "24_P_000000"}),
        (EventKind.REMINDER, second, {"days": "7", "archive_on": "2027-03-15"}),
        (EventKind.SESSION_DATES_CHANGED, first, {"session": "1", "debut": "04/10/2027",
                                                   "fin": "28/01/2028"}),
        (EventKind.REFUSED, first, {"reason": "Budget épuisé"}),
    ]
    old_rows = [
        {"kind": kind.value, "chat_id": 101,
         "payload": {"kind": kind.value, "action_id": action_id, "organisation_id": org,
                     "event": payload, "reference": action.reference, "intitule": "Formation",
                     "funder": "region", "status": "published", "version": action.version,
                     "to": ["organisation"]},
         "idempotency_key": old_key(kind, action_id, payload, action.version, 101)}
        for kind, action_id, payload in old_events
    ]
    async with uow_factory() as uow:
        assert await uow.outbox.enqueue_many(old_rows) == 4
        await uow.commit()
    # The same facts, emitted by the new code: no new row.
    await _publish(uow_factory, org, [
        event_from_payload(kind, action_id, org, payload) for kind, action_id, payload in old_events
    ])
    assert len(await _rows(uow_factory)) == 4
    delivery = OutboxDelivery(
        bot, uow_factory, uow_factory.clock, DeliverySettings(global_rate=50, per_chat_rate=20, batch=5)
    )
    while (await delivery.run_once()).claimed:
        pass
    texts = _texts(api, 101)
    assert len(texts) == 4 and api.stats.sent == 4 and not api.stats.duplicates
    assert any("Référence Carif-Oref : 24_P_000000" in t for t in texts)
    assert any("sera archivée dans 7 jours, le 15/03/2027" in t for t in texts)
    assert any("du 04/10/2027 au 28/01/2028" in t for t in texts)
    assert any("Budget épuisé" in t for t in texts)
