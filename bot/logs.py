"""Structured logs (one JSON object per line), never the token nor what users wrote.

An exception is logged by its type and where it happened (``describe_exception``), never by its
message, its values or a traceback's source lines: messages of errors raised on user input (or on
stored personal data) carry that input.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from types import TracebackType
from typing import Any, TextIO

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}
_TOKEN = re.compile(r"bot\d+:[A-Za-z0-9_-]+")
_SECRETS: set[str] = set()


def mask_secret(value: str | None) -> None:
    """``value`` (the configured token) is masked wherever it appears in a log line, not only in
    a Bot API URL (python-telegram-bot's ``InvalidToken`` message quotes the bare token)."""
    if value:
        _SECRETS.add(value)


def _frames(tb: TracebackType | None) -> list[str]:
    out: list[str] = []
    while tb is not None:
        code = tb.tb_frame.f_code
        out.append(f"{tb.tb_frame.f_globals.get('__name__', '?')}:{code.co_name}:{tb.tb_lineno}")
        tb = tb.tb_next
    return out


def describe_exception(error: BaseException | None) -> dict[str, Any] | None:
    """An exception as the logs tell it: its type and where it was raised (module:function:line,
    every frame of the traceback, and the same for its causes), never its message nor any value.

    An exception's message may quote what a user wrote or what is stored (a pydantic error lists
    the input: a fiche's e-mail, phone, contact); the type and the place are enough to find a bug.
    """
    if error is None:
        return None
    chain: list[dict[str, Any]] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen and len(chain) < 5:
        seen.add(id(current))
        frames = _frames(current.__traceback__)
        kind = type(current)
        chain.append({
            "type": f"{kind.__module__}.{kind.__qualname__}",
            "where": frames[-1] if frames else None,
            "trace": frames,
        })
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    first, causes = chain[0], chain[1:]
    return {**first, "causes": causes} if causes else first


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
            data["exc"] = describe_exception(record.exc_info[1])
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
