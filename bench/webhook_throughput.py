"""Benchmark: formabot and the bare echo bot, each on a webhook, closed loop (issue 17, part 3).

    .venv/bin/python bench/webhook_throughput.py                     # 100 users, 2 rounds of 15 s
    .venv/bin/python bench/webhook_throughput.py --users 40 --duration 8

The fake Bot API (``tests.fakebotapi``) posts every update to the bot's webhook (several chats at
once, one chat's updates in order, what gets no 200 sent again) and executes the Bot API method a
webhook response carries. formabot: ``formabot run --webhook-url`` on a temporary SQLite file
(``tests/e2e/multi_process.py``'s ``WebhookProcess``: it answers 200 once the update is stored and
its replies sent, a pressed button's answer in the response body); the echo bot: ``bench/echo_bot.py``
under python-telegram-bot's ``run_webhook`` (200 as soon as the update is queued). The users replay
a pilot's whole Région action (``bench/_players.py``) in a closed loop, ``--duration`` seconds after
a warm-up, in rounds ordered formabot, echo, echo, formabot (a drifting machine weighs on both).
Target: formabot ≥ 90 % of the echo bot's updates per second.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _players import SimUser, Step, record_full_action  # noqa: E402
from multi_process import closed_loop  # noqa: E402

from tests.e2e.multi_process import START_TIMEOUT, WebhookProcess, free_port, member_codes  # noqa: E402
from tests.e2e.support import settings_for  # noqa: E402
from tests.fakebotapi import FakeBotApi  # noqa: E402

TARGET = 0.90
PILOT_ID = 1
FIRST_USER = 10_000


async def formabot_round(
    args: argparse.Namespace, workdir: Path, first: int
) -> tuple[dict[str, Any], list[Step]]:
    async with FakeBotApi() as api:
        db = workdir / f"formabot-{first}.db"
        codes = await member_codes(settings_for(api, db), args.users + 1)
        port = free_port()
        bot = WebhookProcess(
            api,
            f"sqlite+aiosqlite:///{db}",
            f"http://127.0.0.1:{port}/telegram",
            port=port,
            log_path=workdir / f"formabot-{first}.log",
        )
        await bot.start()
        try:
            await api.wait_until(lambda: api.webhook_url is not None, START_TIMEOUT)
            script, _ = await record_full_action(api, PILOT_ID, codes[0])
            users = [SimUser(api, first + i, c, formabot=True) for i, c in enumerate(codes[1:])]
            window: dict[str, float] = {}
            assert bot.process is not None
            counted, elapsed, errors = await closed_loop(
                users, script, args.warmup, args.duration, window, bot.process.pid
            )
            calls = len(api.requests)
        finally:
            await bot.stop()
        return {
            "bot": "formabot",
            "updates_per_second": round(counted / elapsed, 1),
            "errors": errors[:3],
            "cpu_ms_per_update": round(1000 * window["cpu"] / max(counted, 1), 2),
            "in_response": api.via_webhook_response,
            "calls": calls,
        }, script


async def echo_round(
    args: argparse.Namespace, workdir: Path, first: int, script: list[Step]
) -> dict[str, Any]:
    async with FakeBotApi() as api:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("FORMABOT_")}
        env.update(
            FORMABOT_TELEGRAM_TOKEN=api.token,
            FORMABOT_TELEGRAM_API_URL=api.base_url,
            ECHO_WEBHOOK_URL=f"http://127.0.0.1:{port}/echo",
            ECHO_WEBHOOK_PORT=str(port),
        )
        log = (workdir / f"echo-{first}.log").open("wb")
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "bench" / "echo_bot.py"),
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
        try:
            await api.wait_until(lambda: api.webhook_url is not None, START_TIMEOUT)
            code = "ECHO-CODE"
            users = [SimUser(api, first + i, code, formabot=False) for i in range(args.users)]
            window: dict[str, float] = {}
            counted, elapsed, errors = await closed_loop(
                users, script, args.warmup, args.duration, window, proc.pid
            )
        finally:
            proc.terminate()
            await proc.wait()
            log.close()
        return {
            "bot": "echo",
            "updates_per_second": round(counted / elapsed, 1),
            "cpu_ms_per_update": round(1000 * window["cpu"] / max(counted, 1), 2),
            "errors": errors[:3],
        }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    rounds: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="formabot-webhook-") as tmp:
        workdir = Path(tmp)
        first, script = await formabot_round(args, workdir, FIRST_USER)
        rounds.append(first)
        for i, bot in enumerate(["echo", "echo", "formabot"][: 2 * args.rounds - 1], start=1):
            base = FIRST_USER + i * 10_000
            result = await (
                echo_round(args, workdir, base, script)
                if bot == "echo"
                else formabot_round(args, workdir, base)
            )
            rounds.append(result if isinstance(result, dict) else result[0])
            print(json.dumps(rounds[-1]), file=sys.stderr, flush=True)

    def mean(bot: str) -> float:
        values = [r["updates_per_second"] for r in rounds if r["bot"] == bot]
        return sum(values) / len(values)

    ratio = mean("formabot") / mean("echo")
    return {
        "rounds": rounds,
        "formabot": round(mean("formabot"), 1),
        "echo": round(mean("echo"), 1),
        "ratio": round(ratio, 3),
        "target_met": ratio >= TARGET,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=2, choices=[1, 2])
    args = parser.parse_args()
    report = asyncio.run(run(args))
    print(json.dumps(report, indent=1))
    errors = [e for r in report["rounds"] for e in r["errors"]]
    return 0 if report["target_met"] and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
