"""Pacing of outgoing messages: one per second per chat, with a small burst for multi-part replies."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class ChatThrottle:
    """A token bucket per chat. ``burst`` messages may go at once (a recap in three parts), then
    one every ``1/rate`` seconds, as Telegram asks of bots in private chats."""

    def __init__(
        self,
        rate: float = 1.0,
        burst: int = 3,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._state: dict[int, tuple[float, float]] = {}  # chat → (tokens, last refill time)
        self._locks: dict[int, asyncio.Lock] = {}

    async def wait(self, chat_id: int) -> None:
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        async with lock:
            now = self._clock()
            tokens, last = self._state.get(chat_id, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens < 1.0:
                await self._sleep((1.0 - tokens) / self.rate)
                now = self._clock()
                tokens = 1.0
            self._state[chat_id] = (tokens - 1.0, now)
            if len(self._state) > 10_000:  # forget chats idle long enough to be full again
                cutoff = now - self.burst / self.rate
                for chat, (_, seen) in list(self._state.items()):
                    if seen < cutoff:
                        del self._state[chat]
                        self._locks.pop(chat, None)
