"""Fault injection: what makes the fake Bot API misbehave on purpose.

``FaultsMixin`` holds the programmable faults — the next N calls answered 429 (with retry_after)
or 500, chats whose user blocked the bot (403), latency added to every request, and Telegram's
flood limits enforced over sliding one-second windows. ``pause()``/``resume()`` (refused
connections) are in ``app.py``, next to the listening socket they close.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Iterable
from typing import Any

from .protocol import ApiError
from .state import ServerState

#: Methods subject to inject_429 / inject_500 by default and to enforce_limits (lower case).
SEND_METHODS = frozenset(
    {
        "sendmessage",
        "senddocument",
        "sendphoto",
        "copymessage",
        "forwardmessage",
        "editmessagetext",
        "editmessagereplymarkup",
        "editmessagecaption",
    }
)


class FaultsMixin(ServerState):
    """Programmable faults (429, 500, blocked chats, latency, flood limits)."""

    def _init_faults(self) -> None:
        self._latency = 0.0
        # (error code, calls left, methods, response parameters)
        self._faults: list[tuple[int, int, frozenset[str], dict[str, Any] | None]] = []
        self._limits: tuple[float, float] | None = None
        self._global_window: deque[float] = deque()
        self._chat_windows: dict[int, deque[float]] = {}

    def inject_429(
        self, count: int, retry_after: int = 1, methods: Iterable[str] | None = None
    ) -> None:
        """The next ``count`` send calls (or calls of ``methods``) get 429 with retry_after."""
        self._faults.append(
            (429, count, self._method_set(methods), {"retry_after": int(retry_after)})
        )

    def inject_500(self, count: int, methods: Iterable[str] | None = None) -> None:
        """The next ``count`` send calls (or calls of ``methods``) get 500 Internal Server Error."""
        self._faults.append((500, count, self._method_set(methods), None))

    @staticmethod
    def _method_set(methods: Iterable[str] | None) -> frozenset[str]:
        if methods is None:
            return SEND_METHODS
        return frozenset(method.lower() for method in methods)

    def block_chat(self, chat_id: int) -> None:
        """The user blocked the bot: sending to this chat gives 403."""
        self._blocked.add(chat_id)

    def unblock_chat(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    def set_latency(self, seconds: float) -> None:
        """Every request is answered after ``seconds`` more."""
        self._latency = seconds

    def enforce_limits(self, global_per_s: float, per_chat_per_s: float) -> None:
        """Answer 429 to send calls over these rates (sliding one-second windows)."""
        self._limits = (global_per_s, per_chat_per_s)

    def disable_limits(self) -> None:
        self._limits = None

    # ------------------------------------------------------------------ applied by the dispatch

    async def _delay(self) -> None:
        """Wait the latency set by ``set_latency``."""
        if self._latency > 0:
            await asyncio.sleep(self._latency)

    def _apply_faults(self, method: str) -> None:
        """Raise the next injected fault that applies to ``method`` (lower case), if any."""
        for index, (code, count, methods, parameters) in enumerate(self._faults):
            if method not in methods or count <= 0:
                continue
            if count == 1:
                del self._faults[index]
            else:
                self._faults[index] = (code, count - 1, methods, parameters)
            if code == 429:
                assert parameters is not None
                raise ApiError(
                    429, f"Too Many Requests: retry after {parameters['retry_after']}", parameters
                )
            raise ApiError(code, "Internal Server Error")

    def _check_limits(self, method: str, chat_id: int | None) -> None:
        """Raise 429 if a send call to ``chat_id`` goes over the limits of ``enforce_limits``."""
        if self._limits is None or method not in SEND_METHODS:
            return
        global_limit, chat_limit = self._limits
        now = time.monotonic()
        windows = [(self._global_window, global_limit)]
        if chat_id is not None:
            windows.append((self._chat_windows.setdefault(chat_id, deque()), chat_limit))
        retry_after = 0
        for window, limit in windows:
            while window and window[0] <= now - 1.0:
                window.popleft()
            if len(window) >= limit:
                retry_after = max(retry_after, math.ceil(window[0] + 1.0 - now), 1)
        if retry_after:
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )
        for window, _ in windows:
            window.append(now)
