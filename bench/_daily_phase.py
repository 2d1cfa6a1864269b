"""The daily-job phase of ``bench/e2e_throughput.py``: is the daily job felt by people chatting?

A database of ``--daily-actions`` published actions with 2–3 sessions each (``daily_seed``) is
copied twice. On each copy a ``formabot run`` starts; its daily job has never run, so it catches
up at start-up (archive sweep, reminders, the two LHEO exports) in the bot's process, beside the
long polling:

1. ``alone``: nobody chats; the job's duration is timed (from its « catch-up » log line to its
   « caught up » one, the log file read every 20 ms);
2. ``chatting``: the open-loop users of the latency phase (``--rate`` updates per second over
   ``--latency-users`` users) chat during the whole job; the latency of the updates sent while it
   runs, and the job's duration.

Targets: p99 < 100 ms during the job; the job no longer than 1.3 × alone.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

from daily_seed import seed_daily_actions

from tests.fakebotapi import FakeBotApi

JOB_STARTED = "daily job catch-up"
JOB_DONE = "daily job caught up at start-up"
DURATION_TARGET = 1.3
P99_TARGET_MS = 100.0


class JobWatch:
    """When the bot's log says the daily job started and ended (perf_counter times)."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.started: float | None = None
        self.done: float | None = None

    async def watch(self, timeout: float) -> None:
        deadline = time.perf_counter() + timeout
        while self.done is None and time.perf_counter() < deadline:
            text = self.log.read_text(errors="replace") if self.log.exists() else ""
            now = time.perf_counter()
            if self.started is None and JOB_STARTED in text:
                self.started = now
            if JOB_DONE in text:
                self.done = now
            await asyncio.sleep(0.02)  # polling a log file, not waiting for a result
        if self.done is None:
            raise TimeoutError(f"the daily job did not finish within {timeout:g} s")

    @property
    def duration(self) -> float:
        assert self.started is not None and self.done is not None
        return self.done - self.started


def copy_database(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(source, target)


StartBot = Callable[[str, Path, FakeBotApi], Awaitable[Any]]


async def daily_phase(
    *, workdir: Path, actions: int, today: date, start: StartBot, stop: Callable[[Any], Awaitable[None]],
    link_codes: Callable[[str, int], Awaitable[list[str]]],
    chat: Callable[[FakeBotApi, Any, list[str], float], Awaitable[dict[str, Any]]],
    summary_ms: Callable[[list[float]], dict[str, float]],
    latency_users: int, timeout: float, progress: Callable[[str], None],
) -> dict[str, Any]:
    """The two runs (alone, then chatting); ``start(name, db, api)`` starts a ``formabot run``."""
    base = workdir / "daily-base.db"
    progress(f"daily job: seeding {actions} actions…")
    t = time.perf_counter()
    await seed_daily_actions(f"sqlite+aiosqlite:///{base}", actions, today=today)
    codes = await link_codes(f"sqlite+aiosqlite:///{base}", latency_users)
    progress(f"  seeded in {time.perf_counter() - t:.1f} s")
    result: dict[str, Any] = {"actions": actions}
    for name in ("alone", "chatting"):
        db = workdir / f"daily-{name}.db"
        copy_database(base, db)
        async with FakeBotApi() as api:
            bot = await start(f"daily-{name}", db, api)
            try:
                watch = JobWatch(bot.log)
                watching = asyncio.ensure_future(watch.watch(timeout))
                if name == "chatting":
                    progress("daily job: chatting while it runs…")
                    result["chatting"] = await chat(api, bot, codes, result["alone"]["job_s"])
                await watching
                one = result.setdefault(name, {})
                one["job_s"] = round(watch.duration, 2)
                if name == "chatting":
                    assert watch.started is not None and watch.done is not None
                    samples = one.pop("_samples")
                    during = during_job(samples, (watch.started, watch.done))
                    one["updates_during_job"] = len(during)
                    one["during_job_ms"] = summary_ms(during)
                    one["over_100ms_by_10s_of_job"] = slow_by_time(samples, watch.started)
                progress(f"  daily job {name}: {one['job_s']} s")
            finally:
                await stop(bot)
    return result


def during_job(samples: list[tuple[float, float]], window: tuple[float, float]) -> list[float]:
    """The latencies of the updates sent while the job ran (``samples``: (sent at, latency))."""
    first, last = window
    return [latency for sent, latency in samples if first <= sent <= last]


def slow_by_time(samples: list[tuple[float, float]], start: float) -> dict[str, int]:
    """Where the updates over 100 ms fall: their count by 10 s since the job started."""
    counts: dict[str, int] = {}
    for sent, latency in samples:
        if latency > P99_TARGET_MS / 1000:
            key = f"{10 * int((sent - start) // 10):+d}s"
            counts[key] = counts.get(key, 0) + 1
    return counts


def judge_daily(daily: dict[str, Any]) -> dict[str, bool]:
    ratio = daily["chatting"]["job_s"] / max(daily["alone"]["job_s"], 1e-9)
    daily["job_ratio"] = round(ratio, 2)
    return {
        "daily_p99_during_job_lt_100ms": daily["chatting"]["during_job_ms"]["p99"] < P99_TARGET_MS,
        "daily_job_le_1_3x_alone": ratio <= DURATION_TARGET,
    }


def daily_table(daily: dict[str, Any], verdicts: dict[str, bool], rate: float, users: int) -> list[str]:
    alone, chatting = daily["alone"], daily["chatting"]
    during = chatting["during_job_ms"]

    def ok(key: str) -> str:
        return "PASS" if verdicts[key] else "FAIL"

    return [
        f"daily job over {daily['actions']} actions (archive sweep, reminders, two LHEO exports) in the "
        f"bot's process, {rate:g} updates/s over {users} users chatting",
        f"  job alone {alone['job_s']} s, while chatting {chatting['job_s']} s: "
        f"{daily['job_ratio']} × (target ≤ {DURATION_TARGET})  {ok('daily_job_le_1_3x_alone')}",
        f"  {chatting['updates_during_job']} updates sent during the job: p50 {during['p50']} / p90 "
        f"{during['p90']} / p99 {during['p99']} / max {during['max']} ms (target p99 < "
        f"{P99_TARGET_MS:g} ms)  {ok('daily_p99_during_job_lt_100ms')}",
        f"  updates over {P99_TARGET_MS:g} ms by 10 s since the job started: "
        f"{chatting['over_100ms_by_10s_of_job']}",
        f"  whole chat ({chatting['sent']} updates): p99 {chatting['latency_ms']['p99']} ms, "
        f"late sends {chatting['late_sends']}, failed users {chatting['failures']}, "
        f"internal errors {chatting['internal_errors']}, bot CPU {chatting['bot_cpu_percent']} %",
    ]
