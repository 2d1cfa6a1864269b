"""Outbox delivery: the notifications queued at commit, sent to Telegram within its limits.

    delivery = OutboxDelivery(bot, uow_factory, clock)       # bot: a plain ``telegram.Bot``
    report = await delivery.run_once()                        # one batch (scripts, tests)
    await delivery.run_forever(stop_event)                    # the bot process; ``wake()`` after
                                                              # a commit that queued messages

How it keeps its promises:

- **Limits.** One global pacer (a token bucket refilled at ``global_rate`` × ``safety`` per second,
  with a burst of a few tokens, i.e. evenly spaced sends) and one slot per chat (two messages to
  the same chat at least ``1 / (per_chat_rate × safety)`` seconds apart). Different chats go in
  parallel, at most ``max_concurrency`` requests in flight. ``safety`` (0.95) keeps a margin for
  the jitter between our clock and Telegram's.
- **429 (RetryAfter).** Telegram's flood control is per bot: every sender pauses for
  ``retry_after`` seconds, then the same message is tried again. Not a failure: ``attempts`` is
  not touched, and the message keeps its lease (renewed every ``lease_renewal`` seconds while it
  is held, whatever the wait).
- **403 (Forbidden).** The user blocked the bot: the chat is marked unreachable (no more
  notifications are queued for it) and the row is dead.
- **400 (BadRequest), chat migrated.** Dead, with Telegram's description.
- **Recipient no longer linked.** Each row says why its chat is told (``storage.uow``: member of
  the organisation, staff, the funder's validator); at the claim, a row whose chat lost every
  such link since it was queued (``formabot member unlink``, a staff id removed from
  ``FORMABOT_ADMIN_IDS``) is dead, not sent.
- **Timeouts, network errors, 5xx.** ``mark_failed`` with ``retry_at = now + backoff(attempts)``
  (5 s, 10 s, 20 s… capped at 10 minutes); dead after ``max_attempts`` claims.
- **Exactly once.** A row is marked sent only after Telegram accepted it. The claim leases rows
  (``storage``: 2 minutes, ``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so another process does not
  take them; inside this process a row is never dispatched twice. Outcomes are committed by one
  writer as soon as they arrive (grouped only when several arrive during one commit), so a crash
  resends at most the messages in flight or just sent and not yet committed (milliseconds). A
  timeout on a request Telegram did receive can still make that one message arrive twice: Telegram
  offers no idempotency key.

The bot should not have PTB's ``AIORateLimiter`` (``Application.bot`` usually has it): pacing is
done here, and its own retries would hide the 429s. Give the bot's request (``bot.http_client``) at
least ``max_concurrency`` connections (``bot.jobs.delivery_bot``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot import bot_api
from bot.pacing import BACKOFF_BASE, BACKOFF_CAP, RateLimiter, backoff, retry_after_seconds
from bot.recipients import no_longer_addressed
from dialogs.io import Reply
from dialogs.notifications import render_notification
from dialogs.render import split_message
from domain.ports import BotUnitOfWorkFactory, Clock, OutboxMessage
from storage.repositories import OUTBOX_LEASE

# Re-exported: they were defined here before pacing and recipients had their own modules.
__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_CAP",
    "DeliveryReport",
    "DeliverySettings",
    "OutboxDelivery",
    "RateLimiter",
    "Renderer",
    "UowFactory",
    "backoff",
    "no_longer_addressed",
]

log = logging.getLogger("formabot.delivery")

UowFactory = BotUnitOfWorkFactory  # ``storage.uow.SqlUnitOfWorkFactory``
Renderer = Callable[[str, dict[str, Any]], Reply]


@dataclass(slots=True)
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    failed: int = 0  # to be tried again later (network, timeout, 5xx)
    dead: int = 0  # given up (403, 400, too many attempts)
    unreachable: int = 0  # chats that blocked the bot (403)
    rate_limited: int = 0  # 429 received (the message was tried again)
    seconds: float = 0.0

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.dead

    def __str__(self) -> str:
        return (
            f"{self.sent} envoyée(s), {self.failed} à réessayer, {self.dead} abandonnée(s), "
            f"{self.unreachable} conversation(s) injoignable(s), {self.rate_limited} refus 429, "
            f"{self.seconds:.1f} s"
        )


@dataclass(slots=True)
class _Outcome:
    message: OutboxMessage
    status: str  # "sent" | "failed" | "dead"
    error: str | None = None
    retry_at: datetime | None = None
    unreachable: bool = False


@dataclass(slots=True)
class _Run:
    """The state of one ``run_once`` / ``run_forever``."""

    report: DeliveryReport
    results: asyncio.Queue[_Outcome] = field(default_factory=asyncio.Queue)
    stopping: bool = False


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """How fast and how persistently the delivery sends (see the module's docstring)."""

    global_rate: float = 30.0  # messages a second, all chats together (Telegram's limit)
    per_chat_rate: float = 1.0  # messages a second to one chat (Telegram's limit)
    batch: int = 100  # rows claimed at once
    max_concurrency: int = 32  # requests to Telegram in flight at most
    max_pending: int | None = None  # rows held (claimed, outcome not committed) at most: 4 × batch
    poll_interval: float = 2.0  # seconds between claims while nothing wakes the delivery
    max_attempts: int = 20  # claims of a row before it is dead
    safety: float = 0.95  # the share of Telegram's limits used, in (0, 1]
    lease: timedelta = OUTBOX_LEASE  # how long a claimed row is this process's
    lease_renewal: float = 30.0  # seconds between two renewals of the held rows' lease
    flush_interval: float = 0.05  # seconds the writer waits for more outcomes to commit together
    flush_size: int = 200  # outcomes committed together at most

    def __post_init__(self) -> None:
        if not 0 < self.safety <= 1:
            raise ValueError("safety must be in (0, 1]")


class OutboxDelivery:
    def __init__(
        self,
        bot: Bot,
        uow_factory: UowFactory,
        clock: Clock,
        settings: DeliverySettings | None = None,
        *,
        renderer: Renderer = render_notification,
    ) -> None:
        settings = settings or DeliverySettings()
        self.bot = bot
        self.uow_factory = uow_factory
        self.clock = clock
        self.settings = settings
        self.max_pending = settings.max_pending or 4 * settings.batch
        self.renderer = renderer
        effective = settings.global_rate * settings.safety
        self._limiter = RateLimiter(effective, burst=max(1, int(effective * 0.02)))
        self._chat_interval = 1.0 / (settings.per_chat_rate * settings.safety)
        self._semaphore = asyncio.Semaphore(settings.max_concurrency)
        self._chat_next: dict[int, float] = {}  # monotonic time from which the chat may receive
        self._lanes: dict[int, deque[OutboxMessage]] = {}
        self._lane_tasks: dict[int, asyncio.Task[None]] = {}
        self._sending: set[int] = set()  # chats with a request in flight
        self._held: set[int] = set()  # claimed here, outcome not committed yet
        self._wake = asyncio.Event()
        self._progress = asyncio.Event()
        self._run: _Run | None = None
        # One transaction of ours at a time: on SQLite, our claims and writes would otherwise wait
        # for each other in SQLite's busy handler, which sleeps by steps of up to 100 ms.
        self._db_lock = asyncio.Lock()

    # Public --------------------------------------------------------------------------------------

    def wake(self) -> None:
        """New messages were queued: claim now instead of at the next poll."""
        self._wake.set()

    @property
    def in_flight(self) -> int:
        return len(self._held)

    @property
    def report(self) -> DeliveryReport | None:
        """The report of the run in progress (None when not running)."""
        return self._run.report if self._run is not None else None

    async def run_once(self) -> DeliveryReport:
        """Claim one batch, deliver it, record every outcome; returns what happened."""
        async with self._running() as run:
            self._dispatch(await self._claim(self.settings.batch))
            await self._wait_until(lambda: not self._held)
        return run.report

    async def run_forever(self, stop: asyncio.Event) -> DeliveryReport:
        """Deliver until ``stop`` is set: claim while there is room, wait for ``wake()`` or the
        poll interval when nothing is due. On stop, the requests in flight finish, the messages
        not sent yet are released (claimable again at once) and the outcomes are committed."""
        async with self._running() as run:
            while not stop.is_set():
                room = self.max_pending - len(self._held)
                if room >= min(self.settings.batch, self.max_pending // 2) or not self._held:
                    self._wake.clear()
                    claimed = await self._claim(min(room, self.settings.batch))
                    if claimed:
                        self._dispatch(claimed)
                        continue
                    await self._wait_any(stop, self._wake, timeout=self.settings.poll_interval)
                else:
                    self._progress.clear()
                    await self._wait_any(stop, self._progress, timeout=self.settings.poll_interval)
        return run.report

    # Run lifecycle -------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _running(self) -> AsyncIterator[_Run]:
        if self._run is not None:
            raise RuntimeError("this delivery is already running")
        run = self._run = _Run(DeliveryReport())
        started = time.monotonic()
        writer = asyncio.create_task(self._writer(run), name="outbox-writer")
        try:
            yield run
        finally:
            run.stopping = True
            lanes = list(self._lane_tasks.values())
            for chat_id, task in list(self._lane_tasks.items()):
                if chat_id not in self._sending:
                    task.cancel()  # waiting for its turn: its message is released below
            if lanes:
                # A request in flight completes and its outcome is recorded.
                await asyncio.wait(lanes)
            unsent = [m for lane in self._lanes.values() for m in lane]
            self._lanes.clear()
            self._lane_tasks.clear()
            if unsent:
                await self._release(unsent)
            await run.results.put(_STOP)
            await writer
            run.report.seconds = time.monotonic() - started
            self._run = None

    @staticmethod
    async def _wait_any(*events: asyncio.Event, timeout: float) -> None:
        waiters = [asyncio.create_task(e.wait()) for e in events]
        try:
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _wait_until(self, predicate: Callable[[], bool]) -> None:
        while not predicate():
            self._progress.clear()
            await self._progress.wait()

    # Claiming and dispatching --------------------------------------------------------------------

    async def _claim(self, count: int) -> list[OutboxMessage]:
        if count <= 0:
            return []
        async with self._db_lock, self.uow_factory() as uow:
            claimed: list[OutboxMessage] = await uow.outbox.claim(
                count, self.clock.now(), lease=self.settings.lease
            )
            revoked = await no_longer_addressed(uow, [m for m in claimed if m.id not in self._held])
            for message in revoked:
                await uow.outbox.mark_dead(message.id, "recipient no longer linked")
            await uow.commit()
        dropped = {m.id for m in revoked}
        fresh = [m for m in claimed if m.id not in self._held and m.id not in dropped]
        if len(fresh) + len(dropped) < len(claimed):  # only after a lease expired while we held the row
            log.warning("%d claimed rows already held here", len(claimed) - len(fresh) - len(dropped))
        if dropped:
            log.info("%d notification(s) not sent: recipient no longer linked", len(dropped))
        assert self._run is not None
        self._run.report.claimed += len(fresh) + len(dropped)
        self._run.report.dead += len(dropped)
        return fresh

    def _dispatch(self, messages: Iterable[OutboxMessage]) -> None:
        for message in messages:
            self._held.add(message.id)
            lane = self._lanes.setdefault(message.chat_id, deque())
            lane.append(message)
            if message.chat_id not in self._lane_tasks:
                self._lane_tasks[message.chat_id] = asyncio.create_task(
                    self._lane(message.chat_id), name=f"outbox-chat-{message.chat_id}"
                )

    async def _lane(self, chat_id: int) -> None:
        """Send the chat's messages one after the other, spaced by the per-chat interval."""
        run = self._run
        assert run is not None
        lane = self._lanes[chat_id]
        try:
            while lane and not run.stopping:
                message = lane[0]
                outcome = await self._deliver(message)
                lane.popleft()
                await run.results.put(outcome)
        finally:
            if not lane:
                self._lanes.pop(chat_id, None)
            self._lane_tasks.pop(chat_id, None)
            if len(self._chat_next) > 10_000:
                now = time.monotonic()
                for chat, at in list(self._chat_next.items()):
                    if at < now:
                        del self._chat_next[chat]

    # Sending -------------------------------------------------------------------------------------

    async def _deliver(self, message: OutboxMessage) -> _Outcome:
        run = self._run
        assert run is not None
        try:
            reply = self.renderer(message.kind, message.payload)
            parts = split_message(reply.text)
            keyboard = bot_api.keyboard_json(reply)
        except Exception as exc:  # the renderer should never raise; a bad row must not stop us
            log.exception("outbox %s: cannot be worded", message.id)
            return _Outcome(message, "dead", error=f"rendering: {type(exc).__name__}")  # never its values
        index = 0
        while index < len(parts):
            last = index == len(parts) - 1
            try:
                await self._send(message.chat_id, parts[index], keyboard if last else None)
            except RetryAfter as exc:
                wait = retry_after_seconds(exc)
                run.report.rate_limited += 1
                log.info("outbox %s: 429, every send waits %.1f s", message.id, wait)
                self._limiter.pause(wait)
                self._chat_next[message.chat_id] = max(
                    self._chat_next.get(message.chat_id, 0.0), time.monotonic() + wait
                )
                continue  # the same part again: not a failure
            except Forbidden as exc:
                return _Outcome(message, "dead", error=f"403 {exc.message}", unreachable=True)
            except ChatMigrated as exc:
                return _Outcome(message, "dead", error=f"chat migrated to {exc.new_chat_id}")
            except BadRequest as exc:
                return _Outcome(message, "dead", error=f"400 {exc.message}")
            except (TimedOut, NetworkError) as exc:
                return self._failure(message, f"{type(exc).__name__}: {exc.message}")
            except TelegramError as exc:
                return self._failure(message, f"{type(exc).__name__}: {exc.message}")
            except Exception as exc:
                log.exception("outbox %s: unexpected error", message.id)
                return self._failure(message, type(exc).__name__)  # never its message
            index += 1
        return _Outcome(message, "sent")

    def _failure(self, message: OutboxMessage, error: str) -> _Outcome:
        if message.attempts >= self.settings.max_attempts:
            return _Outcome(message, "dead", error=f"{error} (after {message.attempts} attempts)")
        retry_at = self.clock.now() + backoff(message.attempts)
        return _Outcome(message, "failed", error=error, retry_at=retry_at)

    async def _send(self, chat_id: int, text: str, keyboard: str | None) -> None:
        wait = self._chat_next.get(chat_id, 0.0) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)  # per-chat pacing
        async with self._semaphore:
            while True:
                await self._limiter.acquire()
                wait = self._chat_next.get(chat_id, 0.0) - time.monotonic()
                if wait <= 0:  # a 429 may have pushed this chat's slot while we queued
                    break
                await asyncio.sleep(wait)
            self._chat_next[chat_id] = time.monotonic() + self._chat_interval
            self._sending.add(chat_id)
            try:
                await bot_api.send_message(self.bot, chat_id, text, keyboard)  # raw: CPU-bound
            finally:
                self._sending.discard(chat_id)

    # Recording -----------------------------------------------------------------------------------

    async def _writer(self, run: _Run) -> None:
        """Commit outcomes as they come, those arriving within ``flush_interval`` of the first one
        in the same transaction; renew the leases of the held rows every ``lease_renewal``
        seconds."""
        loop = asyncio.get_running_loop()
        last_renewal = time.monotonic()
        stopping = False
        while not stopping:
            group: list[_Outcome] = []
            try:
                item = await asyncio.wait_for(run.results.get(), timeout=self.settings.lease_renewal)
            except TimeoutError:
                item = None
            deadline = loop.time() + self.settings.flush_interval
            while item is not None:
                if item is _STOP:
                    stopping = True
                    break
                group.append(item)
                if len(group) >= self.settings.flush_size:
                    break
                if run.results.empty():
                    remaining = deadline - loop.time()
                    if remaining <= 0:
                        break
                    try:
                        item = await asyncio.wait_for(run.results.get(), timeout=remaining)
                    except TimeoutError:
                        break
                else:
                    item = run.results.get_nowait()
            renew = time.monotonic() - last_renewal >= self.settings.lease_renewal
            if group or renew:
                await self._record(run, group, renew=renew)
            if renew:
                last_renewal = time.monotonic()

    async def _record(self, run: _Run, group: Sequence[_Outcome], *, renew: bool) -> None:
        for attempt in range(8):
            try:
                async with self._db_lock, self.uow_factory() as uow:
                    now = self.clock.now()
                    sent = [o.message.id for o in group if o.status == "sent"]
                    await uow.outbox.mark_sent_many(sent, now)
                    for outcome in group:
                        message = outcome.message
                        if outcome.status == "sent":
                            continue
                        if outcome.status == "failed":
                            assert outcome.retry_at is not None
                            await uow.outbox.mark_failed(
                                message.id, outcome.error or "", outcome.retry_at
                            )
                        else:
                            await uow.outbox.mark_dead(message.id, outcome.error or "")
                        if outcome.unreachable:
                            await uow.members.mark_unreachable(message.chat_id)
                    done = {o.message.id for o in group}
                    if renew:
                        await uow.outbox.set_next_attempt(sorted(self._held - done), now + self.settings.lease)
                    await uow.commit()
                break
            except Exception:
                if attempt == 7:
                    log.exception("outbox outcomes not recorded (%d rows)", len(group))
                    break
                log.warning("outbox outcomes not recorded yet, retrying", exc_info=True)
                await asyncio.sleep(min(5.0, 0.1 * 2**attempt))  # the database is busy or away
        report = run.report
        for outcome in group:
            self._held.discard(outcome.message.id)
            if outcome.status == "sent":
                report.sent += 1
            elif outcome.status == "failed":
                report.failed += 1
                log.info("outbox %s: %s, retry at %s", outcome.message.id, outcome.error,
                         outcome.retry_at)
            else:
                report.dead += 1
                log.warning("outbox %s: dead: %s", outcome.message.id, outcome.error)
            if outcome.unreachable:
                report.unreachable += 1
        self._progress.set()

    async def _release(self, messages: Sequence[OutboxMessage]) -> None:
        """Messages claimed but not sent (stopping): claimable again at once."""
        ids = [m.id for m in messages]
        try:
            async with self._db_lock, self.uow_factory() as uow:
                await uow.outbox.set_next_attempt(ids, self.clock.now())
                await uow.commit()
        except Exception:
            log.warning("%d claimed messages not released: their lease will expire", len(ids),
                        exc_info=True)
        for message_id in ids:
            self._held.discard(message_id)
        self._progress.set()


_STOP: Any = object()
