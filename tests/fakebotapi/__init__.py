"""A fake Telegram Bot API server for end-to-end tests and benchmarks (no pytest dependency)."""

from .faults import SEND_METHODS
from .formatting import EntityParseError, ParsedText, parse_html, parse_text
from .models import (
    CallbackQueryRecord,
    ChatMessage,
    DocumentInfo,
    RecordedRequest,
    Stats,
    StoredFile,
    WaitTimeout,
)
from .protocol import ApiError
from .server import FakeBotApi
from .user import FakeUser

__all__ = [
    "SEND_METHODS",
    "ApiError",
    "CallbackQueryRecord",
    "ChatMessage",
    "DocumentInfo",
    "EntityParseError",
    "FakeBotApi",
    "FakeUser",
    "ParsedText",
    "RecordedRequest",
    "Stats",
    "StoredFile",
    "WaitTimeout",
    "parse_html",
    "parse_text",
]
