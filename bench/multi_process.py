"""Benchmark: 1, 2 and 3 ``formabot run --webhook-url`` processes on one PostgreSQL.

    FORMABOT_TEST_POSTGRES_URL=postgresql+asyncpg://… .venv/bin/python bench/multi_process.py
    FORMABOT_TEST_POSTGRES_URL=… .venv/bin/python bench/multi_process.py --processes 1 2 --users 60 --duration 10

For each number of processes: a new database on that server, the processes behind the round-robin
proxy of ``tests/e2e/multi_process.py`` (the fake Bot API of ``tests.fakebotapi`` posting every
update to the proxy, one chat's updates one at a time, several chats at once), and ``--users``
simulated users in a closed loop (each sends its next update as soon as the screen answering the
previous one arrived) replaying a pilot's whole Région action (``bench/_players.py``) for
``--duration`` seconds after a warm-up. Reports updates per second per number of processes, and
the ratio to one process. On a 2-core machine the fake, the users and PostgreSQL share the cores
with the bots: more processes add CPU contention as much as they add capacity.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _players import SimUser, Step, record_full_action, step_at  # noqa: E402

from tests.e2e.multi_process import member_codes, webhook_processes  # noqa: E402
from tests.e2e.support import settings_for  # noqa: E402
from tests.fakebotapi import FakeBotApi  # noqa: E402
from tests.integration.conftest import _postgres_database  # noqa: E402

PILOT_ID = 30_000
FIRST_USER = 30_001


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def closed_loop(
    users: list[SimUser], script: list[Step], warmup: float, duration: float,
    window: dict[str, float] | None = None, pid: int | None = None,
) -> tuple[int, float, list[str]]:
    """Every user replays ``script`` in a closed loop; the updates answered during ``duration``
    seconds after ``warmup`` seconds: (updates, seconds, errors). With ``pid`` and ``window``:
    ``window["cpu"]``, the CPU seconds process ``pid`` used during those seconds."""
    counting = False
    counted = 0
    stop = False

    async def play(user: SimUser) -> None:
        nonlocal counted
        index = 0
        while not stop:
            await user.send(step_at(script, index), 60)
            index += 1
            counted += counting

    tasks = [asyncio.create_task(play(u)) for u in users]
    await asyncio.sleep(warmup)  # the benchmark's own clock: a measuring window
    counting = True
    began = time.perf_counter()
    cpu_began = cpu_seconds(pid) if pid is not None else 0.0
    await asyncio.sleep(duration)
    elapsed = time.perf_counter() - began
    if pid is not None and window is not None:
        window["cpu"] = cpu_seconds(pid) - cpu_began
    counting, stop = False, True
    results = await asyncio.gather(*tasks, return_exceptions=True)
    return counted, elapsed, [repr(r) for r in results if isinstance(r, BaseException)]


async def measure(processes: int, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    async with _postgres_database() as url, FakeBotApi() as api:
        settings = settings_for(api, workdir / "unused.db", database_url=url)
        codes = await member_codes(settings, args.users + 1)
        async with webhook_processes(api, url, processes, workdir) as (proxy, _bots):
            script, _ = await record_full_action(api, PILOT_ID, codes[0])
            users = [
                SimUser(api, FIRST_USER + i, c, formabot=True) for i, c in enumerate(codes[1:])
            ]
            counted, elapsed, errors = await closed_loop(users, script, args.warmup, args.duration)
            return {
                "processes": processes,
                "updates": counted,
                "seconds": round(elapsed, 2),
                "updates_per_second": round(counted / elapsed, 1),
                "per_process_forwarded": proxy.forwarded,
                "errors": errors[:3],
            }


async def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    results = []
    for n in args.processes:
        with tempfile.TemporaryDirectory(prefix=f"formabot-multi{n}-") as tmp:
            result = await measure(n, args, Path(tmp))
        print(json.dumps(result), file=sys.stderr, flush=True)
        results.append(result)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    args = parser.parse_args()
    if not os.environ.get("FORMABOT_TEST_POSTGRES_URL"):
        print("FORMABOT_TEST_POSTGRES_URL is not set (a PostgreSQL server's URL)", file=sys.stderr)
        return 2
    results = asyncio.run(run(args))
    base = results[0]["updates_per_second"] or 1.0
    print("| processes | updates/s | ratio to the first | errors |")
    print("|---|---|---|---|")
    for r in results:
        ratio = r["updates_per_second"] / base
        print(
            f"| {r['processes']} | {r['updates_per_second']} | {ratio:.2f} | {len(r['errors'])} |"
        )
    return 0 if all(not r["errors"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
