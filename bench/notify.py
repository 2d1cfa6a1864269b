"""Benchmark: 10 000 notifications to 2 000 chats through the fake Bot API, at its limits.

    .venv/bin/python bench/notify.py                       # 10 000 messages, 2 000 chats
    .venv/bin/python bench/notify.py --messages 2000 --chats 400 --order chat

The fake server answers 429 over ``global_per_s=300`` and ``per_chat_per_s=10`` (sliding one-second
windows); ``OutboxDelivery(global_rate=300, per_chat_rate=10)`` delivers the outbox of a temporary
SQLite database (``run_forever`` until every row is sent). The fake runs in the same process and
event loop (two cores: the server competes with the delivery for one of them).

Reported: delivered (outbox rows ``sent`` and messages the fake received), duplicates (a chat
receiving the same text twice: each message's text is unique), lost (rows not ``sent``), 429
received, wall time, and the ratio of the wall time to the ideal time the limits allow,
``max(N / 300, max messages per chat / 10)``. Targets: all delivered, 0 duplicates, 0 lost,
ratio ≤ 1.15.

``--order``: ``shuffle`` (default: a chat's messages scattered through the queue), ``chat`` (each
chat's messages one after the other: the per-chat limit bites inside every batch), ``round`` (one
message per chat in turn).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Bot
from telegram.request import HTTPXRequest

from bot.delivery import OutboxDelivery
from domain.clock import FixedClock
from storage.database import create_engine, upgrade
from storage.uow import SqlUnitOfWorkFactory
from tests.fakebotapi import FakeBotApi

GLOBAL_PER_S = 300
PER_CHAT_PER_S = 10
FIRST_CHAT = 10_000


def plan(messages: int, chats: int, order: str, seed: int) -> list[int]:
    """The chat of each message, in queue order."""
    per_chat = [messages // chats + (1 if i < messages % chats else 0) for i in range(chats)]
    if order == "chat":
        return [FIRST_CHAT + c for c in range(chats) for _ in range(per_chat[c])]
    rounds = max(per_chat)
    queue = [FIRST_CHAT + c for r in range(rounds) for c in range(chats) if r < per_chat[c]]
    if order == "shuffle":
        random.Random(seed).shuffle(queue)
    return queue


async def enqueue(factory: SqlUnitOfWorkFactory, chats: list[int]) -> None:
    rows = [
        {
            "kind": "published",
            "chat_id": chat,
            "payload": {
                "kind": "published",
                "action_id": i + 1,
                "organisation_id": 1,
                "event": {"reference_carif": f"24_{i + 1:06d}"},
                "reference": f"FB-{i + 1:06d}",
                "reference_carif": f"24_{i + 1:06d}",
                "reference_ofaa": None,
                "intitule": f"Formation n° {i + 1}",
                "funder": "region",
                "status": "published",
                "version": 3,
            },
            "idempotency_key": f"published:{i + 1}:v3:{chat}",
        }
        for i, chat in enumerate(chats)
    ]
    async with factory() as uow:
        await uow.outbox.enqueue_many(rows)
        await uow.commit()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--chats", type=int, default=2_000)
    parser.add_argument("--order", choices=("shuffle", "chat", "round"), default="shuffle")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    chats = plan(args.messages, args.chats, args.order, args.seed)
    max_per_chat = max(_counts(chats).values())
    ideal = max(len(chats) / GLOBAL_PER_S, max_per_chat / PER_CHAT_PER_S)

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/notify.db"
        await upgrade(url)
        engine = create_engine(url)
        factory = SqlUnitOfWorkFactory(engine, FixedClock(date(2027, 1, 4)))
        t0 = time.perf_counter()
        await enqueue(factory, chats)
        print(f"queued {len(chats)} notifications to {args.chats} chats "
              f"({args.order}) in {time.perf_counter() - t0:.1f} s")
        async with FakeBotApi() as api:
            for c in range(args.chats):
                api.user(FIRST_CHAT + c, f"Chat {c}")
            api.enforce_limits(global_per_s=GLOBAL_PER_S, per_chat_per_s=PER_CHAT_PER_S)
            request = HTTPXRequest(connection_pool_size=args.concurrency * 2)
            bot = Bot(api.token, base_url=api.base_url, request=request)
            async with bot:
                delivery = OutboxDelivery(
                    bot, factory, factory.clock, global_rate=GLOBAL_PER_S,
                    per_chat_rate=PER_CHAT_PER_S, max_concurrency=args.concurrency,
                )
                stop = asyncio.Event()
                total = len(chats)

                async def watch() -> None:
                    await api.wait_until(lambda: api.stats.sent >= total, timeout=ideal * 5 + 60)
                    stop.set()

                start = time.perf_counter()
                watcher = asyncio.create_task(watch())
                report = await delivery.run_forever(stop)
                wall_sent = _last_send_time(api) - start
                await watcher
                wall = time.perf_counter() - start
        async with factory() as uow:
            sent_rows = await uow.outbox.count("sent")
            other = await uow.outbox.count() - sent_rows
        await engine.dispose()

    duplicates = sum(n - 1 for n in api.stats.duplicates.values())
    received = api.stats.sent
    lost = total - sent_rows
    ratio = wall_sent / ideal if ideal else 0.0
    print(f"delivered: {received} messages received by the fake, {sent_rows} rows marked sent "
          f"(others: {other})")
    print(f"duplicates: {duplicates}   lost: {lost}   429 received: {api.stats.too_many_requests} "
          f"(delivery saw {report.rate_limited})   5xx: {api.stats.server_errors}")
    print(f"wall time to the last message: {wall_sent:.2f} s (with the final commit: {wall:.2f} s)"
          f"   ideal: {ideal:.2f} s   ratio: {ratio:.3f}")
    print(f"delivery report: {report}")
    ok = received == total and sent_rows == total and duplicates == 0 and ratio <= 1.15
    print("OK" if ok else "TARGET MISSED")
    return 0 if ok else 1


def _counts(chats: list[int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for chat in chats:
        counts[chat] = counts.get(chat, 0) + 1
    return counts


def _last_send_time(api: FakeBotApi) -> float:
    """perf_counter time of the last accepted sendMessage (requests carry monotonic times)."""
    accepted = [r.time for r in api.requests_for("sendMessage") if r.ok]
    last = max(accepted) if accepted else time.monotonic()
    return time.perf_counter() - (time.monotonic() - last)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
