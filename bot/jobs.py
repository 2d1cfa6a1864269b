"""Background work of the bot process: the outbox delivery and the daily job (with catch-up).

The daily job runs on python-telegram-bot's JobQueue at ``FORMABOT_DAILY_TIME`` in the configured
time zone; at start-up it catches up if its last recorded run is before today.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from telegram import Bot
from telegram.ext import Application, ContextTypes

from bot.config import Settings
from bot.daily import catch_up, job_time, run_daily
from bot.delivery import DeliverySettings, OutboxDelivery
from bot.http_client import bot_request
from bot.wiring import Services

log = logging.getLogger("formabot.jobs")


def make_delivery(settings: Settings, services: Services) -> OutboxDelivery:
    """A delivery on a plain ``Bot``: the application's bot has a rate limiter of its own, which
    would pace a second time and hide Telegram's 429 from the delivery's own pacing. Its calls go
    through ``bot.http_client`` too, as many connections as requests in flight."""
    assert settings.telegram_token is not None
    delivery = DeliverySettings(per_chat_rate=settings.chat_rate)
    bot = delivery_bot(settings, delivery.max_concurrency)
    return OutboxDelivery(bot, services.uow_factory, services.clock, delivery)


def delivery_bot(settings: Settings, connections: int) -> Bot:
    """The outbox delivery's ``Bot`` (no rate limiter) on ``bot.http_client``'s request."""
    assert settings.telegram_token is not None
    request = bot_request(connections, fast_paths=settings.fast_paths)
    return Bot(settings.telegram_token, base_url=settings.telegram_api_url, request=request)


def background_jobs(
    settings: Settings, services: Services, app: Application, stop: asyncio.Event,  # type: ignore[type-arg]
    delivery: OutboxDelivery,
) -> list[Coroutine[Any, Any, None]]:
    async def daily(context: ContextTypes.DEFAULT_TYPE) -> None:
        report = await run_daily(services.uow_factory, services.clock, settings, force=False,
                                 files=services.lheo_files)
        log.info("daily job done", extra={"ran": report.ran, "skipped": report.skipped})
        delivery.wake()

    if app.job_queue is not None:
        app.job_queue.run_daily(daily, time=job_time(settings), name="daily")

    async def start_up() -> None:
        try:
            report = await catch_up(services.uow_factory, services.clock, settings,
                                    files=services.lheo_files)
            if report is not None:
                log.info("daily job caught up at start-up", extra={"ran": report.ran})
        except Exception:
            log.exception("daily job catch-up failed; it will run at its next time")
        delivery.wake()

    async def deliver() -> None:
        async with delivery.bot:
            await delivery.run_forever(stop)

    return [start_up(), deliver()]
