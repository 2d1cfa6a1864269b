"""The bot process: the Telegram application on top of the services, started and stopped cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import secrets
import signal
from urllib.parse import urlparse

from bot.config import Settings
from bot.delivery import OutboxDelivery
from bot.jobs import background_jobs, make_delivery
from bot.telegram_channel import TelegramChannel, build_application, register_commands
from bot.webhook import WebhookServer
from bot.wiring import Services, open_services

log = logging.getLogger("formabot.runtime")
GC_YOUNG_THRESHOLD = 50_000
ALLOWED_UPDATES = ["message", "callback_query"]
# Telegram's updates are a few kilobytes (a message of 4 096 characters, a document is a file id):
# the webhook server refuses a larger body from its Content-Length, before reading it, whoever sends
# it (``bot.webhook``).
WEBHOOK_MAX_BODY = 1024 * 1024
WEBHOOK_BODY_TIMEOUT = 30.0  # seconds to receive a body once its headers came


class BotRuntime:
    def __init__(
        self,
        settings: Settings,
        *,
        webhook_url: str | None = None,
        rate_limiter: bool = True,
        poll_timeout: int = 10,
    ) -> None:
        if not settings.telegram_token:
            raise ValueError("FORMABOT_TELEGRAM_TOKEN is not set")
        self.settings = settings
        self.webhook_url = webhook_url
        self.rate_limiter = rate_limiter
        self.poll_timeout = poll_timeout
        self.services: Services | None = None
        self.channel: TelegramChannel | None = None
        self.delivery: OutboxDelivery | None = None
        self._app: object = None
        self._webhook: WebhookServer | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._stop = asyncio.Event()
        self._resources = contextlib.AsyncExitStack()  # the services, closed last by ``stop``

    async def start(self) -> None:
        self.services = await self._resources.enter_async_context(open_services(self.settings))
        assert self.settings.telegram_token is not None
        app, self.channel = build_application(
            self.settings.telegram_token,
            self.settings.telegram_api_url,
            self.services.dialogs,
            rate_limiter=self.rate_limiter,
            chat_rate=self.settings.chat_rate,
            global_rate=self.settings.global_rate,
            connections=self.settings.telegram_connections,
            fast_paths=self.settings.fast_paths,
        )
        self._app = app
        self.services.dialogs.printer.start()  # the PDF worker, WeasyPrint imported before a press
        await app.initialize()
        await register_commands(app)
        await app.start()
        assert app.updater is not None
        if self.webhook_url:
            secret = self.settings.webhook_secret or secrets.token_urlsafe(32)
            self._webhook = WebhookServer(app, self.channel, path=urlparse(self.webhook_url).path, secret=secret,
                                          max_body=WEBHOOK_MAX_BODY, body_timeout=WEBHOOK_BODY_TIMEOUT)
            await self._webhook.listen(self.settings.webhook_port, self.settings.webhook_listen)
            await app.bot.set_webhook(self.webhook_url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
            log.info("webhook started", extra={"port": self.settings.webhook_port})
        else:
            await app.updater.start_polling(
                poll_interval=0, timeout=self.poll_timeout, allowed_updates=ALLOWED_UPDATES,
                bootstrap_retries=-1,
            )
            log.info("long polling started")
        # Beside the updates: the outbox delivery, woken when an update queued notifications
        # (otherwise it looks every few seconds), and the daily job with its catch-up.
        self.delivery = make_delivery(self.settings, self.services)
        self.services.dialogs.on_published = self.delivery.wake
        self._tasks += [
            asyncio.create_task(job)
            for job in background_jobs(self.settings, self.services, app, self._stop, self.delivery)
        ]

    async def stop(self) -> None:
        self._stop.set()
        if self._webhook is not None:  # no new update; one being handled gets no 200 (redelivered)
            await self._webhook.stop()
            self._webhook = None
        if self.delivery is not None:
            self.delivery.wake()
        # The delivery stops by itself on the event (releasing what it holds); give it a moment.
        _done, pending = await asyncio.wait(self._tasks, timeout=10) if self._tasks else (set(), set())
        for task in pending:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.channel is not None:
            await self.channel.stop_printing()
        app = self._app
        if app is not None:
            if app.updater is not None and app.updater.running:  # type: ignore[attr-defined]
                await app.updater.stop()  # type: ignore[attr-defined]
            if app.running:  # type: ignore[attr-defined]
                await app.stop()  # type: ignore[attr-defined]
            await app.shutdown()  # type: ignore[attr-defined]
            # A start that failed in ``initialize`` (the token refused) leaves the bot's HTTP
            # clients open, and ``shutdown`` of an uninitialised application skips them (no-op
            # otherwise).
            await app.bot.shutdown()  # type: ignore[attr-defined]
        await self._resources.aclose()

    async def run_until_signal(self) -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await self.start()
        except BaseException:
            await self.stop()  # what was opened before the failure (database, HTTP clients)
            raise
        # What exists now lives as long as the process (modules, templates, the application):
        # out of the collector's sight, a full collection no longer walks it all again.
        gc.collect()
        gc.freeze()
        # An update allocates thousands of short-lived objects (PTB's objects, SQLAlchemy's rows,
        # pydantic's dicts): with the default threshold (700) a young collection ran several
        # times per update. Every 50 000 allocations instead: about 3 % less CPU per update on a
        # busy webhook (bench/README.md), a few megabytes more at most between two collections.
        gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 100)
        print("formabot: bot started; Ctrl+C to stop.", flush=True)
        try:
            await stop.wait()
        finally:
            await self.stop()
