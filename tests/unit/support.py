"""Support of the unit tests: a logger writing through the bot's JSON formatter into a string."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from bot.logs import JsonFormatter


@contextmanager
def json_logger(name: str) -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """The logger ``name``, formatted by ``JsonFormatter`` into the string stream (and nowhere else)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger(name)
    log.addHandler(handler)
    log.propagate = False
    try:
        yield log, stream
    finally:
        log.removeHandler(handler)
        log.propagate = True
