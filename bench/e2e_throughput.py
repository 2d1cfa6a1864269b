"""Benchmark: the real ``formabot run`` process end to end, side by side with a bare echo bot.

    .venv/bin/python bench/e2e_throughput.py                 # defaults: 200 users, 50 updates/s
    .venv/bin/python bench/e2e_throughput.py --users 20 --duration 5 --json
    .venv/bin/python bench/e2e_throughput.py --daily-only --daily-actions 10000   # the daily job, quick

Two subprocesses, each long-polling its own fake Telegram Bot API (``tests.fakebotapi``, served
on loopback from this process, which also plays the users):

- ``formabot run`` on a temporary SQLite file, with ``FORMABOT_TODAY=2026-12-01`` and
  ``FORMABOT_CHAT_RATE=1000`` and ``FORMABOT_GLOBAL_RATE=1000``: Telegram's pacing (one message per
  second per chat, 30 per second overall) is switched off, because the echo bot has none and the
  fake enforces none;
- ``bench/echo_bot.py``, a bare python-telegram-bot echo bot: the ceiling.

A pilot user first goes through a whole action with the e2e ``Player`` (which reads every question),
recording what it sends (51 updates today: ``/start CODE``, menu → Créer → Région, every question,
session n° 1, Terminer, Confirmer, Oui); every simulated user replays that script with its own
organisation and link code (created beforehand through the storage API, like ``formabot org add``).
The echo users send the same updates (texts as texts, presses as callback queries).

- throughput (closed loop): ``--users`` users at once, each sending its next update as soon as the
  reply to the previous one arrives (formabot: the screen, i.e. the message or edit with buttons;
  echo bot: the echo). ``--rounds`` rounds per bot (2), each with users of its own, in ABBA order
  (echo, formabot, formabot, echo): a shared machine whose speed drifts during the run weighs on
  both bots alike. Updates per second for both (all rounds' updates over all their time), each
  round's figure beside it, and the ratio. Target: formabot ≥ 75 % of the echo bot (issue 17; it was
  50 % before).
- latency (open loop): ``--rate`` updates per second spread evenly over ``--latency-users`` users for
  ``--duration`` seconds; each user's sends are scheduled at fixed times. A send whose previous reply
  had not come back by its scheduled time goes out late (coordinated omission: counted, and the
  latency is also given from the scheduled time). p50 / p90 / p99 / max from update to reply.
  Target: formabot p99 < 100 ms.
- after formabot is stopped, the SQLite file is checked: confirmed actions == users who saw the
  confirmation, and processed update ids ≥ updates sent (every answer committed before its reply).

- the daily job (``bench/_daily_phase.py``, ``--daily-actions``, 100 000 by default; 0: none;
  ``--daily-only``: this phase alone, after the pilot): a ``formabot run`` on a database of that
  many published actions with 2–3 sessions each catches up its daily job at start-up (archive
  sweep, reminders, both LHEO exports), first alone, then with the open-loop users chatting
  (``--rate`` over ``--latency-users``). Targets: p99 < 100 ms for the updates sent while the job
  runs; the job no longer than 1.3 × alone.

The throughput rounds run in ABBA order and the latency phases one bot after the other, so that the
load of a shared machine weighs on both alike. Exit status 0 when every target and check passes, 1
otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _daily_phase import daily_phase, daily_table, judge_daily  # noqa: E402
from _players import ScriptError, SimUser, Step, record_full_action, step_at  # noqa: E402

from storage.database import create_engine, upgrade  # noqa: E402
from storage.uow import SqlUnitOfWorkFactory  # noqa: E402
from tests.fakebotapi import FakeBotApi  # noqa: E402

TODAY = "2026-12-01"
CHAT_RATE = "1000"
THROUGHPUT_TARGET = 0.75  # formabot / echo bot
P99_TARGET_MS = 100.0
PILOT_ID = 1
THROUGHPUT_FIRST_ID = 10_000
LATENCY_FIRST_ID = 100_000
VENV_BIN = Path(sys.executable).parent


# ---------------------------------------------------------------------------- the bot processes


@dataclass
class BotProcess:
    name: str
    api: FakeBotApi
    proc: asyncio.subprocess.Process
    log: Path
    stopped_cleanly: bool | None = None

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far (Linux /proc; 0 elsewhere)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_levels(self) -> dict[str, int]:
        """Warnings and errors the bot logged (formabot: JSON lines; echo bot: logging's text)."""
        counts = {"warning": 0, "error": 0}
        for line in self.log.read_text(errors="replace").splitlines():
            lowered = line[:200].lower()
            for level in counts:
                if f'"level": "{level}"' in lowered or f" {level} " in lowered:
                    counts[level] += 1
        return counts


async def start_bot(name: str, argv: list[str], env: dict[str, str], api: FakeBotApi, workdir: Path) -> BotProcess:
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            *argv, env=env, cwd=workdir, stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=out
        )
    bot = BotProcess(name, api, proc, log)

    def polling() -> bool:
        return any(r.method.lower() == "getupdates" for r in api.requests)

    ready = asyncio.ensure_future(api.wait_until(polling, timeout=120))
    exited = asyncio.ensure_future(proc.wait())
    await asyncio.wait({ready, exited}, return_when=asyncio.FIRST_COMPLETED)
    if exited.done():
        ready.cancel()
        tail = log.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{name} exited ({proc.returncode}) before polling:\n{tail}")
    exited.cancel()
    ready.result()
    return bot


async def stop_bot(bot: BotProcess, timeout: float = 30.0) -> None:
    """SIGTERM, then wait (the fake keeps serving the last getUpdates); SIGKILL after ``timeout``."""
    if bot.proc.returncode is not None:
        bot.stopped_cleanly = bot.stopped_cleanly or False
        return
    bot.proc.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(bot.proc.wait(), timeout)
        bot.stopped_cleanly = bot.proc.returncode == 0
    except TimeoutError:
        bot.proc.kill()
        await bot.proc.wait()
        bot.stopped_cleanly = False


def bot_env(api: FakeBotApi, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORMABOT_")}
    env.update(FORMABOT_TELEGRAM_TOKEN=api.token, FORMABOT_TELEGRAM_API_URL=api.base_url, **extra)
    return env


async def create_link_codes(database_url: str, count: int) -> list[str]:
    """``count`` organisations with a complete fiche and a one-time link code each (one transaction)."""
    from domain.ports import Role
    from tests.factories import make_organisation

    engine = create_engine(database_url)
    await upgrade(engine)
    codes: list[str] = []
    try:
        async with SqlUnitOfWorkFactory(engine)() as uow:
            for i in range(count):
                org = await uow.organisations.add(make_organisation(nom_organisme=f"Organisme {i + 1}"))
                assert org.id is not None
                codes.append(await uow.link_codes.create(Role.MEMBER, organisation_id=org.id))
            await uow.commit()
    finally:
        await engine.dispose()
    return codes


# ---------------------------------------------------------------------------- measuring


@dataclass
class Phase:
    """Wall time and CPU of a phase: the bot process and this process (fake API + users)."""

    bot: BotProcess
    wall: float = 0.0
    bot_cpu: float = 0.0
    harness_cpu: float = 0.0
    _t: float = field(default=0.0, repr=False)
    _bot: float = field(default=0.0, repr=False)
    _self: float = field(default=0.0, repr=False)

    def __enter__(self) -> Phase:
        self._t, self._bot, self._self = time.perf_counter(), self.bot.cpu_seconds(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._t
        self.bot_cpu = self.bot.cpu_seconds() - self._bot
        self.harness_cpu = time.process_time() - self._self

    def cpu(self) -> dict[str, float]:
        wall = self.wall or 1e-9
        return {
            "bot_cpu_percent": round(100 * self.bot_cpu / wall, 1),
            "harness_cpu_percent": round(100 * self.harness_cpu / wall, 1),
        }


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list (0 for an empty one)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), round(p / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def summary_ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50": round(1000 * percentile(ordered, 50), 1),
        "p90": round(1000 * percentile(ordered, 90), 1),
        "p99": round(1000 * percentile(ordered, 99), 1),
        "max": round(1000 * (ordered[-1] if ordered else 0.0), 1),
    }


def failures_of(results: list[BaseException | None]) -> list[str]:
    failures = [r for r in results if r is not None]
    for failure in failures:
        if not isinstance(failure, ScriptError):
            raise failure
    return [str(f) for f in failures]


async def throughput(bot: BotProcess, users: list[SimUser], script: list[Step], timeout: float) -> dict[str, Any]:
    """Closed loop: every user sends its next update as soon as the previous reply arrived."""
    latencies: list[float] = []

    async def play(user: SimUser) -> None:
        for step in script:
            sent, arrived = await user.send(step, timeout)
            latencies.append(arrived - sent)

    with Phase(bot) as phase:
        results = await asyncio.gather(*(play(u) for u in users), return_exceptions=True)
    updates = sum(u.sent for u in users)
    failures = failures_of([r if isinstance(r, BaseException) else None for r in results])
    return {
        "users": len(users),
        "updates": updates,
        "wall_s": round(phase.wall, 2),
        "updates_per_s": round(updates / phase.wall, 1),
        "latency_ms": summary_ms(latencies),
        "internal_errors": sum(u.internal_errors for u in users),
        "failures": len(failures),
        "first_failures": failures[:3],
        "confirmed_seen": sum(u.confirmed for u in users),
        **phase.cpu(),
        "_latencies": latencies,
        "_phase": phase,
    }


def combine_rounds(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One bot's throughput rounds as one figure: all updates over all the time they took."""
    updates = sum(r["updates"] for r in rounds)
    wall = sum(r["_phase"].wall for r in rounds) or 1e-9
    bot_cpu = sum(r["_phase"].bot_cpu for r in rounds)
    harness_cpu = sum(r["_phase"].harness_cpu for r in rounds)
    return {
        "users": rounds[0]["users"],
        "rounds": len(rounds),
        "updates": updates,
        "wall_s": round(wall, 2),
        "updates_per_s": round(updates / wall, 1),
        "updates_per_s_by_round": [r["updates_per_s"] for r in rounds],
        "latency_ms": summary_ms([x for r in rounds for x in r["_latencies"]]),
        "internal_errors": sum(r["internal_errors"] for r in rounds),
        "failures": sum(r["failures"] for r in rounds),
        "first_failures": [f for r in rounds for f in r["first_failures"]][:3],
        "confirmed_seen": sum(r["confirmed_seen"] for r in rounds),
        "bot_cpu_percent": round(100 * bot_cpu / wall, 1),
        "harness_cpu_percent": round(100 * harness_cpu / wall, 1),
    }


def round_order(rounds: int) -> list[str]:
    """ABBA…: echo, formabot, formabot, echo, echo, formabot… A machine whose speed drifts during
    the run (a shared VM) then weighs on both bots alike instead of on the one measured last."""
    pairs = [("echo", "formabot") if i % 2 == 0 else ("formabot", "echo") for i in range(rounds)]
    return [name for pair in pairs for name in pair]


async def latency(
    bot: BotProcess, users: list[SimUser], script: list[Step], rate: float, duration: float, timeout: float
) -> dict[str, Any]:
    """Open loop: user i sends at t0 + i/rate + k·(users/rate); late when its previous reply had not
    come back by then (it then sends as soon as the reply arrives)."""
    period = len(users) / rate
    from_send: list[float] = []
    from_schedule: list[float] = []
    lateness: list[float] = []
    by_step: dict[str, list[float]] = {}  # which updates are slow: by their place in the script
    slowest: list[tuple[float, float, int]] = []  # (latency, sent at (s from the start), user)
    samples: list[tuple[float, float]] = []  # (sent at (perf_counter), latency)
    t0 = time.perf_counter() + 0.2

    async def play(i: int, user: SimUser) -> None:
        k = 0
        previous_reply = 0.0
        while (scheduled := t0 + i / rate + k * period) < t0 + duration:
            if previous_reply > scheduled:
                lateness.append(previous_reply - scheduled)
            else:
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)  # the schedule of an open-loop send, not a wait
            step = step_at(script, k)
            sent, arrived = await user.send(step, timeout)
            from_send.append(arrived - sent)
            slowest.append((arrived - sent, sent - t0, i))
            samples.append((sent, arrived - sent))
            place = 0 if k == 0 else (k - 1) % (len(script) - 1) + 1
            by_step.setdefault(f"{place:02d} {step.kind} {step.value[:24]}", []).append(arrived - sent)
            from_schedule.append(arrived - scheduled)
            previous_reply = arrived
            k += 1

    with Phase(bot) as phase:
        results = await asyncio.gather(*(play(i, u) for i, u in enumerate(users)), return_exceptions=True)
    failures = failures_of([r if isinstance(r, BaseException) else None for r in results])
    scheduled_total = sum(max(0, math.ceil((duration - i / rate) / period)) for i in range(len(users)))
    return {
        "users": len(users),
        "rate": rate,
        "duration_s": duration,
        "scheduled": scheduled_total,
        "sent": sum(u.sent for u in users),
        "achieved_rate": round(len(from_send) / phase.wall, 1),
        "late_sends": len(lateness),
        "max_lateness_ms": round(1000 * max(lateness, default=0.0), 1),
        "latency_ms": summary_ms(from_send),
        "latency_from_schedule_ms": summary_ms(from_schedule),
        "latency_by_step_ms": {step: summary_ms(values) for step, values in sorted(by_step.items())},
        "slowest_ms_at_s": [[round(1000 * lat, 1), round(at, 2)] for lat, at, _ in sorted(slowest)[-10:]],
        "internal_errors": sum(u.internal_errors for u in users),
        "failures": len(failures),
        "first_failures": failures[:3],
        "confirmed_seen": sum(u.confirmed for u in users),
        "wall_s": round(phase.wall, 2),
        **phase.cpu(),
        "_samples": samples,
    }


def verify(db: Path, confirmed_seen: int, updates_sent: int) -> dict[str, Any]:
    """Every answer committed before its reply: the database, read after formabot stopped."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        confirmed = conn.execute("SELECT COUNT(*) FROM actions WHERE confirmed_at IS NOT NULL").fetchone()[0]
        statuses = dict(conn.execute("SELECT status, COUNT(*) FROM actions GROUP BY status").fetchall())
        processed = conn.execute("SELECT COUNT(*) FROM processed_updates").fetchone()[0]
    return {
        "confirmed_actions_in_db": confirmed,
        "users_who_saw_confirmation": confirmed_seen,
        "actions_by_status": statuses,
        "processed_update_ids": processed,
        "updates_sent": updates_sent,
        "confirmed_ok": confirmed == confirmed_seen,
        "processed_ok": processed >= updates_sent,
    }


# ---------------------------------------------------------------------------- the run


async def daily_runs(
    args: argparse.Namespace, workdir: Path, env: dict[str, str], argv: list[str], script: list[Step]
) -> dict[str, Any]:
    """The daily-job phase (``bench/_daily_phase.py``): the job alone, then with users chatting."""

    async def start(name: str, db: Path, api: FakeBotApi) -> BotProcess:
        return await start_bot(name, argv, {
            **env, "FORMABOT_DATABASE_URL": f"sqlite+aiosqlite:///{db}",
            "FORMABOT_TELEGRAM_TOKEN": api.token, "FORMABOT_TELEGRAM_API_URL": api.base_url,
            "FORMABOT_EXPORT_DIR": str(workdir / f"exports-{name}"),
        }, api, workdir)

    async def chat(api: FakeBotApi, bot: BotProcess, codes: list[str], job_s: float) -> dict[str, Any]:
        users = new_users(api, LATENCY_FIRST_ID, codes, formabot=True)
        # Longer than the job alone took, so that the sends cover the whole job.
        return await latency(bot, users, script, args.rate, 1.5 * job_s + 3, args.reply_timeout)

    return await daily_phase(
        workdir=workdir, actions=args.daily_actions, today=date.fromisoformat(TODAY), start=start,
        stop=stop_bot, link_codes=create_link_codes, chat=chat, summary_ms=summary_ms,
        latency_users=args.latency_users, timeout=args.daily_timeout, progress=progress,
    )


def new_users(api: FakeBotApi, first_id: int, codes: list[str], *, formabot: bool) -> list[SimUser]:
    return [SimUser(api, first_id + i, code, formabot=formabot) for i, code in enumerate(codes)]


async def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    db = workdir / "formabot.db"
    database_url = f"sqlite+aiosqlite:///{db}"
    tp_users = args.rounds * args.users  # each throughput round has users of its own
    n_codes = 1 + tp_users + args.latency_users
    progress(f"creating {n_codes} organisations and link codes…")
    codes = await create_link_codes(database_url, n_codes)
    pilot_code, tp_codes, lat_codes = codes[0], codes[1 : 1 + tp_users], codes[1 + tp_users :]
    fake_codes = [f"ECHO-{i:06d}-{'X' * 28}"[: len(pilot_code)] for i in range(n_codes)]

    results: dict[str, Any] = {}
    bots: list[BotProcess] = []
    async with FakeBotApi() as formabot_api, FakeBotApi() as echo_api:
        try:
            formabot_env = bot_env(formabot_api, {
                "FORMABOT_DATABASE_URL": database_url,
                "FORMABOT_TODAY": TODAY,
                "FORMABOT_CHAT_RATE": CHAT_RATE,
                "FORMABOT_GLOBAL_RATE": CHAT_RATE,
                "FORMABOT_EXPORT_DIR": str(workdir / "exports"),
                "FORMABOT_FAST_PATHS": "1" if args.fast_paths == "on" else "0",
            })
            formabot_argv = args.formabot_cmd.split() if args.formabot_cmd else [str(VENV_BIN / "formabot"), "run"]
            formabot = await start_bot("formabot", formabot_argv, formabot_env, formabot_api, workdir)
            bots.append(formabot)
            echo = await start_bot(
                "echo", [sys.executable, str(ROOT / "bench" / "echo_bot.py")], bot_env(echo_api, {}),
                echo_api, workdir,
            )
            bots.append(echo)
            progress("bots polling; the pilot goes through a whole action (warm-up)…")
            t = time.perf_counter()
            script, last_text = await record_full_action(formabot_api, PILOT_ID, pilot_code)
            if "confirmée" not in last_text:
                raise RuntimeError(f"the pilot's action was not confirmed: {last_text[:300]!r}")
            pilot_updates = len(script)
            progress(f"  {pilot_updates} updates in {time.perf_counter() - t:.1f} s")
            echo_pilot = SimUser(echo_api, PILOT_ID, fake_codes[0], formabot=False)
            for step in script:
                await echo_pilot.send(step, args.reply_timeout)
            results["script_updates_per_action"] = len(script)

            if not args.daily_only:
                sides = {"echo": (echo, echo_api, False), "formabot": (formabot, formabot_api, True)}
                rounds: dict[str, list[dict[str, Any]]] = {"echo": [], "formabot": []}
                for name in round_order(args.rounds):
                    bot, api, formabot_side = sides[name]
                    k = len(rounds[name])
                    progress(f"throughput: {name}, round {k + 1}/{args.rounds}, {args.users} users × {len(script)} updates…")
                    first = k * args.users
                    codes_ = (tp_codes if formabot_side else fake_codes[1:])[first : first + args.users]
                    users = new_users(api, THROUGHPUT_FIRST_ID + first, codes_, formabot=formabot_side)
                    api.requests.clear()
                    one = await throughput(bot, users, script, args.reply_timeout)
                    one["api_calls"] = calls_per_update(api, one["updates"])
                    rounds[name].append(one)
                    progress(f"  {one['updates_per_s']} updates/s")
                    api.requests.clear()
                for name, done in rounds.items():
                    combined = combine_rounds(done)
                    combined["api_calls_per_update"] = done[-1]["api_calls"]
                    results.setdefault("throughput", {})[name] = combined
                for name, bot, api, formabot_side in (
                    ("echo", echo, echo_api, False), ("formabot", formabot, formabot_api, True)
                ):
                    progress(f"latency: {name}, {args.rate:g} updates/s over {args.latency_users} users, "
                             f"{args.duration:g} s…")
                    codes_ = lat_codes if formabot_side else fake_codes[1 + tp_users :]
                    users = new_users(api, LATENCY_FIRST_ID, codes_, formabot=formabot_side)
                    results.setdefault("latency", {})[name] = await latency(
                        bot, users, script, args.rate, args.duration, args.reply_timeout
                    )
                    del results["latency"][name]["_samples"]
                    progress(f"  p99 {results['latency'][name]['latency_ms']['p99']} ms")
                    api.requests.clear()
            if args.daily_actions:
                results["daily"] = await daily_runs(args, workdir, formabot_env, formabot_argv, script)
        finally:
            for bot in bots:
                try:
                    await stop_bot(bot)
                except Exception as exc:  # stop the others anyway
                    progress(f"could not stop {bot.name}: {exc!r}")
    results["processes"] = {
        b.name: {"stopped_cleanly": b.stopped_cleanly, "exit_code": b.proc.returncode, **b.log_levels()} for b in bots
    }
    if args.daily_only:
        return results
    tp, lat = results["throughput"]["formabot"], results["latency"]["formabot"]
    results["verification"] = verify(
        db,
        confirmed_seen=1 + tp["confirmed_seen"] + lat["confirmed_seen"],
        updates_sent=pilot_updates + tp["updates"] + lat["sent"],
    )
    results["verification"]["updates_answered_internal_error"] = tp["internal_errors"] + lat["internal_errors"]
    return results


def judge(results: dict[str, Any]) -> dict[str, bool]:
    daily = judge_daily(results["daily"]) if "daily" in results else {}
    if "throughput" not in results:  # --daily-only
        return daily
    return {**judge_main(results), **daily}


def judge_main(results: dict[str, Any]) -> dict[str, bool]:
    tp, lat, ver = results["throughput"], results["latency"], results["verification"]
    ratio = tp["formabot"]["updates_per_s"] / max(tp["echo"]["updates_per_s"], 1e-9)
    results["throughput_ratio"] = round(ratio, 3)
    no_failures = all(r[b]["failures"] == 0 for r in (tp, lat) for b in ("formabot", "echo"))
    return {
        "throughput_ratio_ge_target": ratio >= THROUGHPUT_TARGET,
        "formabot_p99_lt_100ms": lat["formabot"]["latency_ms"]["p99"] < P99_TARGET_MS,
        "confirmed_actions_equal_confirmations_seen": ver["confirmed_ok"],
        "processed_updates_ge_updates_sent": ver["processed_ok"],
        "no_failed_user": no_failures,
        "no_internal_error": all(r["formabot"]["internal_errors"] == 0 for r in (tp, lat)),
        "bots_stopped_cleanly": all(p["stopped_cleanly"] for p in results["processes"].values()),
    }


def _cpu_ms(phase: dict[str, Any]) -> float:
    return round(10 * phase["bot_cpu_percent"] / max(phase["updates_per_s"], 1e-9), 2)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def table(report: dict[str, Any]) -> str:
    m, p, r, v = report["machine"], report["parameters"], report["results"], report["verdicts"]
    head = [
        "formabot end to end: the real `formabot run` vs a bare PTB echo bot, fake Bot API on loopback",
        f"machine: {m['cpu_count']} cores, {m['platform']}, Python {m['python']}; "
        f"load average {m['loadavg_start']} at start, {m['loadavg_end']} at the end",
    ]
    daily = daily_table(r["daily"], v, p["rate"], p["latency_users"]) if "daily" in r else []
    if "throughput" not in r:
        return "\n".join([*head, *daily, f"overall: {verdict(all(v.values()))}"])
    tp, lat, ver = r["throughput"], r["latency"], r["verification"]
    lines = [
        *head,
        f"parameters: throughput {p['rounds']} rounds per bot (ABBA order) of {p['users']} users × "
        f"{r['script_updates_per_action']} updates (one full action each); latency {p['rate']:g} updates/s over {p['latency_users']} users for {p['duration_s']:g} s",
        f"FORMABOT_CHAT_RATE={CHAT_RATE}, FORMABOT_GLOBAL_RATE={CHAT_RATE}: formabot's pacing (Telegram: "
        "1 message/s per chat, 30/s overall) is switched off, because the echo bot has none and the "
        "fake enforces none.",
        "",
        f"{'':38}{'formabot':>12}{'echo bot':>12}",
    ]

    def row(label: str, a: object, b: object, note: str = "") -> None:
        lines.append(f"{label:38}{a!s:>12}{b!s:>12}  {note}".rstrip())

    f, e = tp["formabot"], tp["echo"]
    lines.append("throughput (closed loop)")
    row("  updates / s", f["updates_per_s"], e["updates_per_s"],
        f"ratio {100 * r['throughput_ratio']:.1f} % (target ≥ {100 * THROUGHPUT_TARGET:.0f} %)  {verdict(v['throughput_ratio_ge_target'])}")
    row("  updates / s by round", "/".join(map(str, f["updates_per_s_by_round"])),
        "/".join(map(str, e["updates_per_s_by_round"])))
    row("  updates", f["updates"], e["updates"])
    row("  wall time (s)", f["wall_s"], e["wall_s"])
    row("  reply latency p50 / p99 (ms)", f"{f['latency_ms']['p50']}/{f['latency_ms']['p99']}",
        f"{e['latency_ms']['p50']}/{e['latency_ms']['p99']}")
    row("  bot CPU (% of one core)", f["bot_cpu_percent"], e["bot_cpu_percent"])
    row("  bot CPU per update (ms)", _cpu_ms(f), _cpu_ms(e))
    row("  harness CPU (fake API + users)", f["harness_cpu_percent"], e["harness_cpu_percent"])
    row("  internal errors (update retried)", f["internal_errors"], e["internal_errors"])
    row("  failed users", f["failures"], e["failures"])
    for method in sorted(set(f.get("api_calls_per_update", {})) | set(e.get("api_calls_per_update", {}))):
        row(f"  {method} per update", f.get("api_calls_per_update", {}).get(method, 0),
            e.get("api_calls_per_update", {}).get(method, 0))
    f, e = lat["formabot"], lat["echo"]
    lines.append(f"latency (open loop, {p['rate']:g} updates/s scheduled)")
    row("  p50 (ms)", f["latency_ms"]["p50"], e["latency_ms"]["p50"])
    row("  p90 (ms)", f["latency_ms"]["p90"], e["latency_ms"]["p90"])
    row("  p99 (ms)", f["latency_ms"]["p99"], e["latency_ms"]["p99"],
        f"target formabot < 100 ms  {verdict(v['formabot_p99_lt_100ms'])}")
    row("  max (ms)", f["latency_ms"]["max"], e["latency_ms"]["max"])
    row("  sends / scheduled", f"{f['sent']}/{f['scheduled']}", f"{e['sent']}/{e['scheduled']}")
    row("  late sends (coordinated omission)", f["late_sends"], e["late_sends"])
    row("  max lateness (ms)", f["max_lateness_ms"], e["max_lateness_ms"])
    row("  p99 from scheduled time (ms)", f["latency_from_schedule_ms"]["p99"], e["latency_from_schedule_ms"]["p99"])
    row("  achieved updates / s", f["achieved_rate"], e["achieved_rate"])
    row("  bot CPU (% of one core)", f["bot_cpu_percent"], e["bot_cpu_percent"])
    row("  harness CPU (fake API + users)", f["harness_cpu_percent"], e["harness_cpu_percent"])
    row("  internal errors (update retried)", f["internal_errors"], e["internal_errors"])
    row("  failed users", f["failures"], e["failures"])
    lines += [
        "every answer committed before its reply (formabot's SQLite file, read after it stopped)",
        f"  confirmed actions {ver['confirmed_actions_in_db']} == users who saw the confirmation "
        f"{ver['users_who_saw_confirmation']}  {verdict(v['confirmed_actions_equal_confirmations_seen'])}",
        f"  processed update ids {ver['processed_update_ids']} ≥ updates sent {ver['updates_sent']}  "
        f"{verdict(v['processed_updates_ge_updates_sent'])} ({ver['updates_answered_internal_error']} of them were "
        "answered with formabot's internal-error message, rolled back, and sent again)",
    ]
    for name, proc in r["processes"].items():
        lines.append(f"{name}: stopped cleanly {proc['stopped_cleanly']} (exit {proc['exit_code']}), "
                     f"{proc['warning']} warnings, {proc['error']} errors logged")
    for phase in ("throughput", "latency"):
        for name in ("formabot", "echo"):
            for failure in r[phase][name]["first_failures"]:
                lines.append(f"{phase} {name} failure: {failure}")
    lines += daily
    lines.append(f"overall: {verdict(all(v.values()))}")
    return "\n".join(lines)


def calls_per_update(api: FakeBotApi, updates: int) -> dict[str, float]:
    """The Bot API requests the bot made, by method, per update it received."""
    counts: dict[str, int] = {}
    for request in api.requests:
        counts[request.method] = counts.get(request.method, 0) + 1
    return {method: round(n / max(updates, 1), 2) for method, n in sorted(counts.items())}


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=200, help="throughput: simultaneous users")
    parser.add_argument("--rounds", type=int, default=2,
                        help="throughput: rounds per bot, in ABBA order (echo, formabot, formabot, echo…)")
    parser.add_argument("--rate", type=float, default=50.0, help="latency: updates per second")
    parser.add_argument("--latency-users", type=int, default=100, help="latency: users sharing the rate")
    parser.add_argument("--duration", type=float, default=20.0, help="latency: seconds of scheduled sends")
    parser.add_argument("--reply-timeout", type=float, default=120.0, help="seconds before a user gives up")
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout instead of the table")
    parser.add_argument("--formabot-cmd", help="experiments only: another command line for the bot under test "
                        "(default: .venv/bin/formabot run); it gets the same FORMABOT_* environment")
    parser.add_argument("--fast-paths", choices=("on", "off"), default="on",
                        help="FORMABOT_FAST_PATHS of the bot under test (default: on)")
    parser.add_argument("--daily-actions", type=int, default=100_000,
                        help="daily-job phase: actions in its database (0: no such phase)")
    parser.add_argument("--daily-only", action="store_true",
                        help="only the daily-job phase (after the pilot): no throughput, no latency phase")
    parser.add_argument("--daily-timeout", type=float, default=900.0, help="seconds the daily job may take")
    parser.add_argument("--json-out", type=Path, help="also write the JSON document to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (database, logs)")
    args = parser.parse_args()
    if min(args.users, args.latency_users) < 1 or args.rate <= 0 or args.duration <= 0:
        parser.error("--users, --latency-users, --rate and --duration must be positive")
    return args


def main() -> int:
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="formabot-e2e-bench-"))
    loadavg_start = os.getloadavg()
    started = time.perf_counter()
    try:
        results = asyncio.run(run(args, workdir))
    finally:
        if args.keep:
            progress(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    verdicts = judge(results)
    report = {
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "loadavg_start": [round(x, 2) for x in loadavg_start],
            "loadavg_end": [round(x, 2) for x in os.getloadavg()],
        },
        "parameters": {
            "users": args.users,
            "rounds": args.rounds,
            "rate": args.rate,
            "latency_users": args.latency_users,
            "duration_s": args.duration,
            "daily_actions": args.daily_actions,
            "daily_only": args.daily_only,
            "formabot_env": {"FORMABOT_TODAY": TODAY, "FORMABOT_CHAT_RATE": CHAT_RATE,
                             "FORMABOT_GLOBAL_RATE": CHAT_RATE,
                             "FORMABOT_FAST_PATHS": "1" if args.fast_paths == "on" else "0"},
            "chat_rate_note": "Telegram's per-chat pacing switched off: the echo bot has none and the fake enforces none",
        },
        "results": results,
        "verdicts": verdicts,
        "total_wall_s": round(time.perf_counter() - started, 1),
    }
    document = json.dumps(report, ensure_ascii=False, indent=2)
    if args.json_out is not None:
        args.json_out.write_text(document + "\n")
    if args.json:
        print(document)
    else:
        print(table(report))
        print(f"total wall time {report['total_wall_s']} s")
    return 0 if all(verdicts.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
