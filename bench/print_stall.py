"""Benchmark: does one member printing stall the others? Another organisation's ``/menu`` latency
while one member presses « 🖨 Imprimer » again and again.

    .venv/bin/python bench/print_stall.py                        # 15 prints of an 80-session action
    .venv/bin/python bench/print_stall.py --workers 0            # renders in a thread of the bot
    .venv/bin/python bench/print_stall.py --code /tmp/old-tree   # the same against another tree

The real ``formabot run`` in a subprocess (``--code``: the source tree it runs, this one by
default, so that older code can be measured with the same harness), long-polling a fake Telegram
Bot API (``tests.fakebotapi``) served from this process, which also plays the two users:

- Claire (organisation A) opens the récapitulatif of a draft with ``--sessions`` sessions (the cap,
  ``MAX_SESSIONS``, by default) and presses « 🖨 Imprimer » ``--presses`` times, each time once the
  previous PDF arrived (so every press renders: ``FORMABOT_PRINT_PER_MINUTE`` is set high);
- Denis (organisation B) sends ``/menu`` meanwhile, every ``--interval`` seconds (0.1), or at once
  when the previous menu came later; the latency is from his update to his menu. The same is measured before, Claire idle (baseline).

``--workers`` sets ``FORMABOT_PRINT_WORKERS`` (1: a worker process, the default; 0: a thread).
Prints median and max of Denis's latency, and the time of each PDF. Exit status 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from e2e_throughput import bot_env, start_bot, stop_bot  # noqa: E402

from domain.funders import Funder  # noqa: E402
from domain.ports import Role  # noqa: E402
from domain.rules import MAX_SESSIONS  # noqa: E402
from storage.database import create_engine, upgrade  # noqa: E402
from storage.uow import SqlUnitOfWorkFactory  # noqa: E402
from tests.e2e.support import Player  # noqa: E402
from tests.factories import FIRST_SESSION, make_organisation, make_session, make_valid_action  # noqa: E402
from tests.fakebotapi import FakeBotApi, FakeUser  # noqa: E402

TODAY = "2026-12-01"
CLAIRE, DENIS = 1001, 2002


async def prepare(database_url: str, sessions: int) -> tuple[str, str, str]:
    """Two organisations, a link code each, a draft of A with ``sessions`` sessions."""
    engine = create_engine(database_url)
    await upgrade(engine)
    try:
        async with SqlUnitOfWorkFactory(engine)() as uow:
            a = await uow.organisations.add(make_organisation(nom_organisme="Forma Sud"))
            b = await uow.organisations.add(make_organisation(nom_organisme="Autre Forma", siret="73282932000074"))
            assert a.id is not None and b.id is not None
            action = make_valid_action(
                Funder.REGION, organisation_id=a.id, sessions=[make_session(*FIRST_SESSION) for _ in range(sessions)]
            )
            draft = await uow.actions_for_organisation(a.id).add(action)
            code_a = await uow.link_codes.create(Role.MEMBER, organisation_id=a.id)
            code_b = await uow.link_codes.create(Role.MEMBER, organisation_id=b.id)
            await uow.commit()
    finally:
        await engine.dispose()
    return code_a, code_b, draft.reference or ""


def documents(user: FakeUser) -> int:
    return sum(1 for m in user.bot_messages if m.document is not None)


async def menu_latencies(denis: Player, until: asyncio.Event | None, count: int, interval: float) -> list[float]:
    """Denis's /menu every ``interval`` seconds (or at once when the previous one came later):
    ``count`` of them, or until ``until`` is set."""
    out: list[float] = []
    while (until is None and len(out) < count) or (until is not None and not until.is_set()):
        t = time.perf_counter()
        await denis.command("menu")
        out.append(time.perf_counter() - t)
        await asyncio.sleep(max(0.0, interval - out[-1]))  # a person's pace, not a flood
    return out


async def run(args: argparse.Namespace) -> dict[str, Any]:
    code_root = Path(args.code).resolve()
    with tempfile.TemporaryDirectory(prefix="print-stall-") as tmp:
        workdir = Path(tmp)
        database_url = f"sqlite+aiosqlite:///{workdir / 'bot.db'}"
        code_a, code_b, reference = await prepare(database_url, args.sessions)
        async with FakeBotApi() as api:
            env = bot_env(api, {
                "FORMABOT_DATABASE_URL": database_url,
                "FORMABOT_TODAY": TODAY,
                "FORMABOT_CHAT_RATE": "1000",
                "FORMABOT_GLOBAL_RATE": "1000",
                "FORMABOT_PRINT_WORKERS": str(args.workers),
                "FORMABOT_PRINT_PER_MINUTE": "600",
                "FORMABOT_EXPORT_DIR": str(workdir / "exports"),
                "PYTHONPATH": str(code_root),
            })
            bot = await start_bot("formabot", [sys.executable, "-m", "bot", "run"], env, api, workdir)
            try:
                claire, denis = Player(api.user(CLAIRE, "Claire")), Player(api.user(DENIS, "Denis"))
                await claire.command("start", code_a)
                await denis.command("start", code_b)
                await claire.command("menu")
                await claire.press("En cours de création (1)")
                await claire.press(reference)
                await claire.press("✏ Modifier")
                # Warm-up: one print (the worker's first render, WeasyPrint's caches), then idle.
                await claire.press("🖨 Imprimer")
                await api.wait_until(lambda: documents(claire.user) >= 1, timeout=120)
                baseline = await menu_latencies(denis, None, args.baseline, args.interval)

                done = asyncio.Event()
                pdf_times: list[float] = []

                async def printing() -> None:
                    try:
                        for _ in range(args.presses):
                            before = documents(claire.user)
                            t = time.perf_counter()
                            await claire.press("🖨 Imprimer")
                            await api.wait_until(lambda b=before: documents(claire.user) > b, timeout=120)
                            pdf_times.append(time.perf_counter() - t)
                    finally:
                        done.set()

                t0 = time.perf_counter()
                _, during = await asyncio.gather(printing(), menu_latencies(denis, done, 0, args.interval))
                wall = time.perf_counter() - t0
                cpu = bot.cpu_seconds()
            finally:
                await stop_bot(bot)
            log_tail = bot.log.read_text(errors="replace")[-1500:] if bot.stopped_cleanly is False else ""

    def ms(values: list[float]) -> dict[str, float]:
        return {
            "median_ms": round(statistics.median(values) * 1000, 1),
            "p90_ms": round(statistics.quantiles(values, n=10)[-1] * 1000, 1) if len(values) > 1 else 0.0,
            "max_ms": round(max(values) * 1000, 1),
            "n": len(values),
        }

    return {
        "code": str(code_root),
        "sessions": args.sessions,
        "presses": args.presses,
        "menu_interval_s": args.interval,
        "print_workers": args.workers,
        "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg()},
        "menu_baseline": ms(baseline),
        "menu_while_printing": ms(during),
        "pdf": ms(pdf_times),
        "printing_wall_s": round(wall, 2),
        "bot_cpu_s_main_process": round(cpu, 2),
        "bot_log_tail": log_tail,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sessions", type=int, default=MAX_SESSIONS)
    parser.add_argument("--presses", type=int, default=15)
    parser.add_argument("--baseline", type=int, default=30, help="/menu before any printing")
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between Denis's /menu")
    parser.add_argument("--workers", type=int, default=1, help="FORMABOT_PRINT_WORKERS (0: a thread)")
    parser.add_argument("--code", default=str(ROOT), help="the source tree `formabot run` runs from")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    b, d, p = result["menu_baseline"], result["menu_while_printing"], result["pdf"]
    print(f"code: {result['code']}  sessions: {result['sessions']}  print workers: {result['print_workers']}")
    print(f"Denis /menu, Claire idle:      median {b['median_ms']} ms, p90 {b['p90_ms']} ms, max {b['max_ms']} ms ({b['n']})")
    print(f"Denis /menu, Claire printing:  median {d['median_ms']} ms, p90 {d['p90_ms']} ms, max {d['max_ms']} ms ({d['n']})")
    print(f"Claire's PDFs: {p['n']}, median {p['median_ms']} ms, max {p['max_ms']} ms "
          f"(wall {result['printing_wall_s']} s); load average {result['machine']['load_average']}")
    if result["bot_log_tail"]:
        print("the bot did not stop cleanly:\n" + result["bot_log_tail"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
