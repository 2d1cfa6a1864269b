"""Structured logs (one JSON object per line), never the token nor what users wrote."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from typing import Any, TextIO

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}
_TOKEN = re.compile(r"bot\d+:[A-Za-z0-9_-]+")
_SECRETS: set[str] = set()


def mask_secret(value: str | None) -> None:
    """``value`` (the configured token) is masked wherever it appears in a log line, not only in
    a Bot API URL (python-telegram-bot's ``InvalidToken`` message quotes the bare token)."""
    if value:
        _SECRETS.add(value)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "at": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        data.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        # A library may put the Bot API URL (which contains the token) in a message: mask it.
        line = _TOKEN.sub("bot<token>", json.dumps(data, ensure_ascii=False, default=str))
        for secret in _SECRETS:
            line = line.replace(secret, "<token>")
        return line


# Libraries that log what we must not: httpx logs every request URL (the Bot API URL carries the
# token), python-telegram-bot logs whole updates (what users wrote) at DEBUG, the database drivers
# log the statements' parameters. They stay at WARNING whatever FORMABOT_LOG_LEVEL says.
LEAKY_LOGGERS = ("httpx", "httpcore", "telegram", "apscheduler", "aiosqlite", "sqlalchemy", "asyncpg", "aiohttp")


def setup_logging(level: str | None = None, stream: TextIO | None = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level or os.environ.get("FORMABOT_LOG_LEVEL", "INFO"))
    for name in LEAKY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler
