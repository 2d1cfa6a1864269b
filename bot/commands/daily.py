"""The daily job and the outbox delivery from the command line (scripts, cron, tests).

- ``formabot daily [--today YYYY-MM-DD]``: the archive sweep, the reminders, the LHEO exports, once
  (``--today`` or ``FORMABOT_TODAY`` fixes the day; otherwise the time zone's today).
- ``formabot deliver [--once]``: sends the queued notifications (until nothing is left, or one
  batch with ``--once``). The bot process delivers by itself; this is for scripts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from datetime import date
from typing import Any

from bot.commands import say
from bot.config import Settings


def register(sub: Any) -> None:
    daily = sub.add_parser(
        "daily", help="run the daily job once: archive sweep, reminders, LHEO exports"
    )
    daily.add_argument("--today", type=date.fromisoformat, metavar="YYYY-MM-DD",
                       help="the day to run for (default: FORMABOT_TODAY, else today)")
    daily.set_defaults(handler=_daily)

    deliver = sub.add_parser("deliver", help="send the queued notifications to Telegram")
    deliver.add_argument("--once", action="store_true", help="one batch, then stop")
    deliver.set_defaults(handler=_deliver)


def summary_lines(report: Any) -> list[str]:
    """One French line per step of a ``DailyReport``."""
    day = report.day.strftime("%d/%m/%Y")
    if not report.ran:
        why = {
            "locked": "un autre processus l'exécute en ce moment",
            "done": "déjà fait ce jour-là",
        }.get(report.skipped or "", report.skipped or "")
        return [f"Traitement quotidien du {day} non exécuté : {why}."]
    lines = [f"Archivage du {day} : {len(report.archived)} action(s) archivée(s)."]
    if report.reminders:
        detail = ", ".join(f"{days} j : {n}" for days, n in sorted(report.reminders.items(),
                                                                    reverse=True))
        lines.append(f"Rappels : {sum(report.reminders.values())} action(s) ({detail}).")
    else:
        lines.append("Rappels : aucun rappel à envoyer.")
    lines.append(f"Notifications mises en file : {report.queued}.")
    if not report.exports_available:
        lines.append("Exports LHEO : module d'export absent, exports non faits.")
    for export in report.exports:
        if export.empty:
            lines.append(f"Export LHEO {export.scope} : aucune action à exporter, pas de fichier.")
        elif export.error:
            lines.append(f"Export LHEO {export.scope} : ÉCHEC, le fichier précédent est conservé "
                         f"({export.error}).")
        else:
            lines.append(f"Export LHEO {export.scope} : {export.formations} formation(s), "
                         f"{export.sessions} session(s) → {export.path}.")
        if export.left_out:
            lines.append(say("daily_left_out", scope=export.scope, count=len(export.left_out)))
    lines.append("Exécution enregistrée." if report.recorded else "Exécution NON enregistrée.")
    return lines


async def _daily(args: argparse.Namespace, settings: Settings) -> int:
    from bot.daily import run_daily
    from bot.wiring import open_services

    async with open_services(settings, today=args.today) as services:
        clock = services.clock
        report = await run_daily(services.uow_factory, clock, settings, today=clock.today(),
                                 force=True, files=services.lheo_files)
    for line in summary_lines(report):
        print(line)
    if not report.ran:
        return 3
    return 0 if report.ok else 1


async def _deliver(args: argparse.Namespace, settings: Settings) -> int:
    from telegram.error import TelegramError

    from bot.delivery import DeliveryReport, DeliverySettings, OutboxDelivery
    from bot.jobs import delivery_bot
    from bot.wiring import open_services

    if not settings.telegram_token:
        print(say("no_token"), file=sys.stderr)
        return 2
    total = DeliveryReport()
    bot = delivery_bot(settings, DeliverySettings().max_concurrency)
    try:
        await bot.initialize()
    except TelegramError as exc:
        await bot.shutdown()
        print(say("telegram_unreachable", url=settings.telegram_api_url, error=exc), file=sys.stderr)
        return 2
    async with open_services(settings) as services, bot:
        delivery = OutboxDelivery(bot, services.uow_factory, services.clock)
        if args.once:
            total = await delivery.run_once()
        else:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.add_signal_handler(sig, stop.set)
            while not stop.is_set():  # until nothing is due any more
                report = await delivery.run_once()
                _add(total, report)
                if report.claimed == 0:
                    break
    print(say("notifications", report=total))
    return 0 if total.dead == 0 else 1


def _add(total: Any, report: Any) -> None:
    for name in ("claimed", "sent", "failed", "dead", "unreachable", "rate_limited", "seconds"):
        setattr(total, name, getattr(total, name) + getattr(report, name))
