"""Structured logs (one JSON object per line), never the token nor what users wrote."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from typing import Any

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}
_TOKEN = re.compile(r"bot\d+:[A-Za-z0-9_-]+")


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
        return _TOKEN.sub("bot<token>", json.dumps(data, ensure_ascii=False, default=str))


def setup_logging(level: str | None = None) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level or os.environ.get("FORMABOT_LOG_LEVEL", "INFO"))
    # httpx logs every request URL at INFO, and the Bot API URL carries the token.
    for noisy in ("httpx", "httpcore", "telegram.ext.Updater", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
