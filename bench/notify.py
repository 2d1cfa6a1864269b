"""Benchmark: 10 000 notifications to 2 000 chats through the fake Bot API, at its limits.

    .venv/bin/python bench/notify.py                       # 10 000 messages, 2 000 chats
    .venv/bin/python bench/notify.py --messages 2000 --chats 400 --order chat
    .venv/bin/python bench/notify.py --same-process        # the fake in the delivery's event loop

The fake server (``tests.fakebotapi.FakeBotApi``) answers 429 over ``global_per_s=300`` and
``per_chat_per_s=10`` (sliding one-second windows); ``OutboxDelivery`` with
``DeliverySettings(global_rate=300, per_chat_rate=10)`` delivers the outbox of a temporary SQLite
database with ``run_forever`` until every row is done. By default the fake runs in a child process (Telegram is not in our process
either; on two cores, the server and python-telegram-bot's HTTP client each get one).

Reported: delivered (messages the fake accepted, outbox rows ``sent``), duplicates (a chat receiving
the same text twice: each message's text is unique), lost (rows not ``sent``), 429 received, wall
time from the start of the delivery to the last accepted message, and its ratio to the ideal time
the limits allow, ``max(N / 300, max messages per chat / 10)``. Targets: all delivered, 0
duplicates, 0 lost, ratio ≤ 1.15.

The delivery's HTTP client is the bot's (``bot.http_client``, on aiohttp); ``--stock-http``:
python-telegram-bot's ``HTTPXRequest``.

``--order``: ``shuffle`` (default: each chat's messages scattered through the queue), ``chat``
(each chat's messages one after the other: the per-chat limit bites inside every batch), ``round``
(one message per chat in turn).

httpcore looks for ``sniffio`` on every request; when it is not installed (the case of this
virtualenv), each request pays a failed import (a search of ``sys.path``). ``--keep-sniffio-lookup``
leaves that as is; by default ``sys.modules["sniffio"] = None`` makes the lookup fail at once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GLOBAL_PER_S = 300
PER_CHAT_PER_S = 10
FIRST_CHAT = 10_000


# --- the fake server, possibly in a child process -------------------------------------------------


def _stats_of(api: Any) -> dict[str, Any]:
    accepted = [r.time for r in api.requests_for("sendMessage") if r.ok]
    return {
        "sent": api.stats.sent,
        "too_many_requests": api.stats.too_many_requests,
        "server_errors": api.stats.server_errors,
        "duplicates": sum(n - 1 for n in api.stats.duplicates.values()),
        "first_send": min(accepted) if accepted else None,
        "last_send": max(accepted) if accepted else None,  # time.monotonic (system-wide on Linux)
    }


async def serve(chats: int) -> None:
    """Child process: start the fake, print its URL, answer ``stats`` / ``quit`` on stdin."""
    from tests.fakebotapi import FakeBotApi

    async with FakeBotApi() as api:
        for c in range(chats):
            api.user(FIRST_CHAT + c, f"Chat {c}")
        api.enforce_limits(global_per_s=GLOBAL_PER_S, per_chat_per_s=PER_CHAT_PER_S)
        print(json.dumps({"token": api.token, "base_url": api.base_url}), flush=True)
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if line.strip() == "stats":
                print(json.dumps(_stats_of(api)), flush=True)
            else:
                return


class ChildServer:
    def __init__(self, chats: int) -> None:
        self.chats = chats
        self.process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> dict[str, Any]:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--serve", "--chats", str(self.chats),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )
        return await self._line()

    async def _line(self) -> dict[str, Any]:
        assert self.process is not None and self.process.stdout is not None
        line = await self.process.stdout.readline()
        if not line:
            raise RuntimeError("the fake Bot API process ended")
        return dict(json.loads(line))

    async def stats(self) -> dict[str, Any]:
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.write(b"stats\n")
        await self.process.stdin.drain()
        return await self._line()

    async def __aexit__(self, *exc: object) -> None:
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.write(b"quit\n")
        await self.process.stdin.drain()
        await self.process.wait()


class InProcessServer:
    def __init__(self, chats: int) -> None:
        from tests.fakebotapi import FakeBotApi

        self.chats = chats
        self.api = FakeBotApi()

    async def __aenter__(self) -> dict[str, Any]:
        await self.api.start()
        for c in range(self.chats):
            self.api.user(FIRST_CHAT + c, f"Chat {c}")
        self.api.enforce_limits(global_per_s=GLOBAL_PER_S, per_chat_per_s=PER_CHAT_PER_S)
        return {"token": self.api.token, "base_url": self.api.base_url}

    async def stats(self) -> dict[str, Any]:
        return _stats_of(self.api)

    async def __aexit__(self, *exc: object) -> None:
        await self.api.stop()


# --- the delivery ----------------------------------------------------------------------------------


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


async def enqueue(factory: Any, chats: list[int]) -> None:
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


async def main(args: argparse.Namespace) -> int:
    from telegram import Bot

    from bot.delivery import DeliverySettings, OutboxDelivery
    from bot.http_client import bot_request
    from domain.clock import FixedClock
    from storage.database import create_engine, upgrade
    from storage.uow import SqlUnitOfWorkFactory

    logging.basicConfig(level=logging.WARNING)
    chats = plan(args.messages, args.chats, args.order, args.seed)
    total = len(chats)
    max_per_chat = max(Counter(chats).values())
    ideal = max(total / GLOBAL_PER_S, max_per_chat / PER_CHAT_PER_S)

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/notify.db"
        await upgrade(url)
        engine = create_engine(url)
        factory = SqlUnitOfWorkFactory(engine, FixedClock(date(2027, 1, 4)))
        t0 = time.perf_counter()
        await enqueue(factory, chats)
        print(f"queued {total} notifications to {args.chats} chats ({args.order}) in "
              f"{time.perf_counter() - t0:.1f} s; max {max_per_chat} per chat; ideal {ideal:.2f} s")
        server = InProcessServer(args.chats) if args.same_process else ChildServer(args.chats)
        async with server as info:
            # The bot's own request (``bot.jobs.delivery_bot``); ``--stock-http``: python-telegram-bot's.
            request = bot_request(args.concurrency, fast_paths=not args.stock_http)
            async with Bot(info["token"], base_url=info["base_url"], request=request) as bot:
                delivery = OutboxDelivery(
                    bot, factory, factory.clock, DeliverySettings(
                        global_rate=GLOBAL_PER_S, per_chat_rate=PER_CHAT_PER_S, max_concurrency=args.concurrency,
                    ),
                )
                stop = asyncio.Event()

                async def watch() -> None:
                    # Polls the in-memory report (cheap); the benchmark's only wait loop.
                    deadline = time.monotonic() + ideal * 5 + 60
                    while time.monotonic() < deadline:
                        report = delivery.report
                        if report is not None and report.done >= total:
                            break
                        await asyncio.sleep(0.02)
                    stop.set()

                start = time.monotonic()
                watcher = asyncio.create_task(watch())
                report = await delivery.run_forever(stop)
                end = time.monotonic()
                await watcher
            stats = await server.stats()
        async with factory() as uow:
            sent_rows = await uow.outbox.count("sent")
            other_rows = await uow.outbox.count() - sent_rows
        await engine.dispose()

    last = stats["last_send"] or end
    wall = last - start
    ratio = wall / ideal
    lost = total - sent_rows
    print(f"delivered: {stats['sent']} messages accepted by the fake; {sent_rows} rows sent, "
          f"{other_rows} not")
    print(f"duplicates: {stats['duplicates']}   lost: {lost}   429 received: "
          f"{stats['too_many_requests']} (seen by the delivery: {report.rate_limited})   "
          f"5xx: {stats['server_errors']}")
    print(f"wall time to the last accepted message: {wall:.2f} s (run_forever returned after "
          f"{end - start:.2f} s)   ideal: {ideal:.2f} s   ratio: {ratio:.3f}")
    print(f"delivery report: {report}")
    own = resource.getrusage(resource.RUSAGE_SELF)
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"CPU: delivery process {own.ru_utime + own.ru_stime:.1f} s, fake server process "
          f"{child.ru_utime + child.ru_stime:.1f} s (for {total} messages; 300/s needs the "
          f"delivery process under {1000 / GLOBAL_PER_S:.1f} ms of CPU per message)")
    ok = stats["sent"] == total and sent_rows == total and stats["duplicates"] == 0
    ok = ok and ratio <= 1.15
    print("OK" if ok else "TARGET MISSED")
    return 0 if ok else 1


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--chats", type=int, default=2_000)
    parser.add_argument("--order", choices=("shuffle", "chat", "round"), default="shuffle")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--same-process", action="store_true")
    parser.add_argument("--keep-sniffio-lookup", action="store_true")
    parser.add_argument("--stock-http", action="store_true",
                        help="python-telegram-bot's HTTPXRequest instead of bot.http_client")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_args()
    if not arguments.keep_sniffio_lookup:
        sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]
    if arguments.serve:
        asyncio.run(serve(arguments.chats))
        sys.exit(0)
    sys.exit(asyncio.run(main(arguments)))
