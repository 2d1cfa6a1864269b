"""Value objects shared by the fake Bot API server and the fake users."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .formatting import Entity

ButtonRows = list[list[tuple[str, str | None]]]


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    data: bytes
    file_name: str | None
    content_type: str | None


class _Bytes:
    """A file whose bytes are at hand (``data``): its size is theirs."""

    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class StoredFile(_Bytes):
    """A file known to the fake server (uploaded by the bot or sent by a fake user)."""

    file_id: str
    file_unique_id: str
    data: bytes
    file_name: str | None
    mime_type: str | None
    file_path: str

    def document_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
        }
        if self.file_name is not None:
            document["file_name"] = self.file_name
        if self.mime_type is not None:
            document["mime_type"] = self.mime_type
        return document


@dataclass(frozen=True)
class DocumentInfo(_Bytes):
    """A document attached to a message, with its bytes."""

    file_id: str
    file_unique_id: str
    file_name: str | None
    mime_type: str | None
    data: bytes


@dataclass
class ChatMessage:
    """A snapshot of a message of a chat transcript, as the user sees it.

    ``text`` is the text (or the caption of a document) after entity parsing: what the user reads.
    ``buttons`` are the rows of the inline keyboard as (text, callback_data) pairs (callback_data is
    None for URL and other non-callback buttons). An edit is a new snapshot with ``edited=True``.
    """

    message_id: int
    chat_id: int
    from_bot: bool
    text: str
    date: int
    buttons: ButtonRows = field(default_factory=list)
    document: DocumentInfo | None = None
    edited: bool = False
    source_text: str | None = None
    parse_mode: str | None = None
    entities: tuple[Entity, ...] = ()
    reply_markup: dict[str, Any] | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def button_texts(self) -> list[str]:
        """The texts of all the inline buttons, row by row."""
        return [text for row in self.buttons for text, _ in row]

    def callback_data_of(self, button_text: str) -> str | None:
        """The callback_data of the button whose text is ``button_text`` (None if absent)."""
        for row in self.buttons:
            for text, data in row:
                if text == button_text:
                    return data
        return None

    def __str__(self) -> str:
        who = "bot" if self.from_bot else "user"
        flag = " (edited)" if self.edited else ""
        doc = f" [document {self.document.file_name}]" if self.document else ""
        buttons = f" {self.buttons}" if self.buttons else ""
        return f"#{self.message_id} {who}{flag}: {self.text!r}{doc}{buttons}"


@dataclass
class RecordedRequest:
    """One request received by the fake server."""

    method: str
    params: dict[str, Any]
    time: float = field(default_factory=time.monotonic)
    status: int | None = None
    description: str | None = None
    result: Any = None
    in_response: bool = False  # found in a webhook response's body, not received over HTTP

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class CallbackQueryRecord:
    """A callback query sent to the bot by a fake user, and its answer."""

    query_id: str
    user_id: int
    data: str | None
    message_id: int | None
    answered: bool = False
    answer: dict[str, Any] | None = None


@dataclass
class Stats:
    """Counters for benchmarks."""

    sent: int = 0
    edited: int = 0
    too_many_requests: int = 0
    server_errors: int = 0
    per_chat: Counter[int] = field(default_factory=Counter)
    texts: Counter[tuple[int, str]] = field(default_factory=Counter)

    @property
    def duplicates(self) -> dict[tuple[int, str], int]:
        """(chat_id, text) pairs the bot sent more than once, with their count."""
        return {key: count for key, count in self.texts.items() if count > 1}


class WaitTimeout(AssertionError, TimeoutError):
    """A waiting helper timed out (an AssertionError so that pytest reports a failure)."""
