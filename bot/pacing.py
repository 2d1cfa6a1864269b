"""Pacing of the outbox delivery: the global rate limiter (evenly spaced sends, a pause after a 429)
and the backoff between tries of a message that failed."""

from __future__ import annotations

import asyncio
import time
import warnings
from datetime import timedelta

from telegram.error import RetryAfter
from telegram.warnings import PTBDeprecationWarning

BACKOFF_BASE = 5.0
BACKOFF_CAP = 600.0


def backoff(attempts: int, base: float = BACKOFF_BASE, cap: float = BACKOFF_CAP) -> timedelta:
    """The wait before trying again after the ``attempts``-th failed try: 5 s, 10 s, 20 s… ≤ cap."""
    exponent = max(0, min(attempts - 1, 30))
    return timedelta(seconds=min(cap, base * 2**exponent))


def retry_after_seconds(error: RetryAfter) -> float:
    """Seconds to wait (PTB 22 gives an int, or a timedelta with ``PTB_TIMEDELTA``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    return max(seconds, 0.0)


class RateLimiter:
    """Global pacing: at most ``rate`` sends per second, evenly spaced (a token bucket holding
    ``burst`` tokens, so that a late wake-up can be caught up), and a pause that every sender
    obeys after a 429 (``pause``). Waiters are served in arrival order."""

    def __init__(self, rate: float, *, burst: int = 1) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        self.tolerance = max(0, burst - 1) * self.interval
        self._tat = 0.0  # theoretical arrival time of the next send (GCRA)
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """No send starts for ``seconds`` (Telegram's flood control)."""
        until = time.monotonic() + seconds
        self._paused_until = max(self._paused_until, until)

    @property
    def paused(self) -> bool:
        return time.monotonic() < self._paused_until

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                tat = max(self._tat, now)
                wait = max(self._paused_until - now, tat - self.tolerance - now)
                if wait <= 0:
                    self._tat = tat + self.interval
                    return
                await asyncio.sleep(wait)  # pacing, the purpose of this class

