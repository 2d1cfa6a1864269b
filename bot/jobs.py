"""Background work of the bot process: the outbox delivery and the daily job (with catch-up)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from bot.config import Settings
from bot.wiring import Services

log = logging.getLogger("formabot.jobs")


def background_jobs(
    settings: Settings, services: Services, app: Any, stop: asyncio.Event
) -> list[Coroutine[Any, Any, None]]:
    return []
