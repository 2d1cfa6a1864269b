"""Updates of different users run concurrently; updates of one user strictly in arrival order.

Long polling also gets back-pressure here (``UpdateFlow``): while many updates are being processed,
the next ``getUpdates`` waits a little, so that the updates arriving meanwhile come in one batch
instead of one request each (on a busy bot, the HTTP requests cost more CPU than the dialogs).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor
from telegram.request import BaseRequest

BUSY = 16  # updates being processed at once from which the next getUpdates waits…
MAX_WAIT = 0.05  # …at most this long (seconds): a stuck or throttled update cannot stall polling


class UpdateFlow:
    """How many updates are being processed (each holding its user's turn), and a wait for room."""

    def __init__(self, busy: int = BUSY, max_wait: float = MAX_WAIT) -> None:
        self.busy = busy
        self.max_wait = max_wait
        self.processing = 0
        self._room = asyncio.Event()
        self._room.set()

    def started(self) -> None:
        self.processing += 1
        if self.processing >= self.busy:
            self._room.clear()

    def finished(self) -> None:
        self.processing -= 1
        if self.processing < self.busy:
            self._room.set()

    async def wait_for_room(self) -> None:
        if self._room.is_set():
            return
        with contextlib.suppress(TimeoutError):  # poll anyway: the wait batches, it never blocks
            await asyncio.wait_for(self._room.wait(), self.max_wait)


class FlowControlledRequest(BaseRequest):
    """The request used for ``getUpdates`` only: each call first waits for room in the flow, then
    goes through ``request`` (``bot.http_client.bot_request(1)``: one connection)."""

    def __init__(self, flow: UpdateFlow, request: BaseRequest) -> None:
        self.flow = flow
        self.request = request

    @property
    def read_timeout(self) -> float | None:
        return self.request.read_timeout

    async def initialize(self) -> None:
        await self.request.initialize()

    async def shutdown(self) -> None:
        await self.request.shutdown()

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        await self.flow.wait_for_room()
        return await self.request.do_request(*args, **kwargs)


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """A lock per user (or per chat when there is no user): their updates never overlap."""

    def __init__(self, max_concurrent_updates: int = 256, flow: UpdateFlow | None = None) -> None:
        super().__init__(max_concurrent_updates)
        self.flow = flow or UpdateFlow()
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    @staticmethod
    def _key(update: object) -> int:
        if isinstance(update, int):  # a webhook's update, keyed already (``bot.webhook.update_key``)
            return update
        if isinstance(update, Update):
            if update.effective_user is not None:
                return update.effective_user.id
            if update.effective_chat is not None:
                return update.effective_chat.id
        return 0

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = self._key(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                # Counted while it holds its user's turn: a user's queued updates count once.
                self.flow.started()
                try:
                    await coroutine
                finally:
                    self.flow.finished()
        finally:
            self._waiting[key] -= 1
            if self._waiting[key] == 0:  # forget idle users: memory stays bounded
                del self._waiting[key]
                self._locks.pop(key, None)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
