"""Heavy documents (the recap's PDF), made after the step and away from the event loop.

A screen never renders a PDF itself: its reply carries a ``PendingDocument`` (plain data: the HTML
page and the file name). The engine commits the step first, then ``Printer.admit`` decides whether
this user may have one more document now; the channel (Telegram, console, the test client) then
awaits ``Printer.render``, which runs WeasyPrint in a worker and sends the result as a document.

WeasyPrint is pure Python for the most part: in a thread of the bot's process it would hold the GIL
and every other user would feel it (``bench/print_stall.py`` measures it). By default the renders
run in a separate process (``workers`` ≥ 1); ``workers=0`` runs them in a thread (tests, the
console, a very small machine). The worker is spawned (a fresh interpreter, not a fork of the bot
with its event loop and sockets): the program's main module must be import-safe, as ``formabot``'s
entry point and ``python -m bot`` are.

Limits, per user: one document in preparation at a time (a second press is told to wait), and at
most ``per_minute`` documents in any sixty seconds.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import multiprocessing.connection
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from dialogs.io import OutDocument, PendingDocument
from dialogs.render import text

WINDOW = 60.0  # seconds of the per-user rate limit
PER_MINUTE = 6  # documents one user may have in any WINDOW seconds (README: Reliability)
BUSY_FOR = 300.0  # seconds after which a slot never released (a lost task) no longer blocks the user


class PrintFailed(Exception):
    """The worker could not make the document (it died, or WeasyPrint raised)."""


def render_pdf(html: str) -> bytes:
    """The PDF of an HTML page (runs in the worker)."""
    from weasyprint import HTML  # heavy import: in the worker, once

    return HTML(string=html).write_pdf() or b""


def _warm_up() -> None:
    """Import WeasyPrint in the worker before the first press needs it."""
    import weasyprint  # noqa: F401


def _exit_with_parent() -> None:
    """Worker initializer: end the worker when the bot's process dies, even by SIGKILL (a pool's
    workers otherwise wait on their queue for ever, each holding ~70 MB)."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="formabot-print-parent", daemon=True).start()


class Printer:
    def __init__(
        self,
        *,
        workers: int = 0,
        per_minute: int = PER_MINUTE,
        window: float = WINDOW,
        busy_for: float = BUSY_FOR,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.workers = workers
        self.per_minute = per_minute
        self.window = window
        self.busy_for = busy_for
        self.clock = clock
        self._executor: Executor | None = None
        self._in_flight: dict[int, float] = {}  # user id -> when their document was admitted
        self._recent: dict[int, deque[float]] = {}  # user id -> admission times in the window

    # -- admission (on the event loop, after the step's commit) -----------------------------------

    def admit(self, user_id: int) -> str | None:
        """Reserve a document for ``user_id``; None when admitted, else the message to show them."""
        now = self.clock()
        started = self._in_flight.get(user_id)
        if started is not None and now - started < self.busy_for:
            return text("print_busy")
        recent = self._recent.setdefault(user_id, deque())
        while recent and now - recent[0] >= self.window:
            recent.popleft()
        if len(recent) >= self.per_minute:
            wait = max(1, math.ceil(recent[0] + self.window - now))
            return text("print_rate_limited", count=self.per_minute, seconds=wait)
        recent.append(now)
        self._in_flight[user_id] = now
        if len(self._recent) > 1000:  # forget users whose window is over
            self._recent = {u: d for u, d in self._recent.items() if d and now - d[-1] < self.window}
        return None

    def release(self, user_id: int) -> None:
        self._in_flight.pop(user_id, None)

    def busy(self, user_id: int) -> bool:
        return user_id in self._in_flight

    # -- rendering (in the worker) ----------------------------------------------------------------

    def _pool(self) -> Executor:
        if self._executor is None:
            if self.workers <= 0:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="formabot-print")
            else:
                # A fresh interpreter, not a fork of the bot (its event loop, threads and sockets).
                context = multiprocessing.get_context("spawn")
                self._executor = ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=context, initializer=_exit_with_parent
                )
        return self._executor

    def start(self) -> None:
        """Start the worker now and import WeasyPrint there (else the first press pays for it)."""
        self._pool().submit(_warm_up)

    async def render(self, user_id: int, pending: PendingDocument) -> OutDocument:
        """Make the document admitted for ``user_id``; their slot is released in every case."""
        try:
            loop = asyncio.get_running_loop()
            try:
                content = await loop.run_in_executor(self._pool(), render_pdf, pending.html)
            except BrokenProcessPool as exc:
                self.close()  # the worker died (memory?): the next document gets a new one
                raise PrintFailed("worker died") from exc
            except Exception as exc:
                raise PrintFailed(exc.__class__.__name__) from exc
            return OutDocument(content=content, file_name=pending.file_name, mime_type=pending.mime_type)
        finally:
            self.release(user_id)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
