"""The state every part of the fake Bot API shares, and the stored messages of the private chats.

``ServerState`` is the base of every mixin the server is built from (see ``server.py``): the bot's
identity, the fake users and their chats, the stored messages and their JSON / snapshot forms, the
files, the callback queries, the recorded requests and statistics, and the condition every change
of state notifies (what ``wait_until`` and long polling wait on). State that only one concern uses
lives in that concern's mixin (``_init_*`` methods), not here.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from .formatting import Entity
from .models import (
    ButtonRows,
    CallbackQueryRecord,
    ChatMessage,
    DocumentInfo,
    RecordedRequest,
    Stats,
    StoredFile,
)
from .protocol import ApiError, Params, bad_request
from .user import FakeUser


@dataclass
class StoredMessage:
    """A message of a private chat as the server keeps it (sent by the bot or by the user)."""

    chat_id: int
    message_id: int
    from_bot: bool
    date: int
    text: str | None = None
    caption: str | None = None
    entities: tuple[Entity, ...] = ()
    source_text: str | None = None
    parse_mode: str | None = None
    inline_markup: dict[str, Any] | None = None
    other_markup: dict[str, Any] | None = None
    document: StoredFile | None = None
    edit_date: int | None = None
    deleted: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def inline_rows(markup: dict[str, Any] | None) -> ButtonRows:
    """The (text, callback_data) rows of an inline keyboard."""
    if not markup or "inline_keyboard" not in markup:
        return []
    return [
        [(button.get("text", ""), button.get("callback_data")) for button in row]
        for row in markup["inline_keyboard"]
    ]


class ServerState:
    """Shared state and the store of chats and messages (the base of every mixin)."""

    def __init__(self, token: str, *, bot_username: str, bot_first_name: str) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        bot_id_text = token.split(":", 1)[0]
        self.bot_id = int(bot_id_text) if bot_id_text.isdigit() else 123456
        self.requests: list[RecordedRequest] = []
        self.stats = Stats()
        self.files: dict[str, StoredFile] = {}
        self.callbacks: dict[str, CallbackQueryRecord] = {}

        self._users: dict[int, FakeUser] = {}
        self._messages: dict[tuple[int, int], StoredMessage] = {}
        self._next_message_id: dict[int, int] = {}
        # Chats whose user blocked the bot (see FaultsMixin.block_chat): sending there gives 403.
        self._blocked: set[int] = set()

        self._cond: asyncio.Condition | None = None
        self._closing = False

    # ------------------------------------------------------------------ change notification

    @property
    def _condition(self) -> asyncio.Condition:
        if self._cond is None:
            raise RuntimeError("FakeBotApi is not started")
        return self._cond

    async def _notify(self) -> None:
        """Wake every waiter (``wait_until``, long polling, webhook delivery) after a change."""
        if self._cond is None:
            return
        async with self._cond:
            self._cond.notify_all()

    # ------------------------------------------------------------------ chats and messages

    def _chat(self, params: Params, *, for_sending: bool = True) -> FakeUser:
        """The user whose private chat is ``chat_id`` (403 if sending to a blocked chat)."""
        raw = params.values.get("chat_id")
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        chat_id = params.int("chat_id")
        if chat_id is None or chat_id not in self._users:
            raise bad_request("chat not found")
        if for_sending and chat_id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return self._users[chat_id]

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _new_stored_message(self, chat_id: int, *, from_bot: bool, **fields: Any) -> StoredMessage:
        """Store a new message at the end of the chat ``chat_id``."""
        stored = StoredMessage(
            chat_id=chat_id,
            message_id=self._new_message_id(chat_id),
            from_bot=from_bot,
            date=int(time.time()),
            **fields,
        )
        self._messages[(stored.chat_id, stored.message_id)] = stored
        return stored

    def bot_user_json(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _message_json(self, stored: StoredMessage) -> dict[str, Any]:
        """The Message object of the Bot API for a stored message."""
        user = self._users.get(stored.chat_id)
        chat = user.chat_json() if user is not None else {"id": stored.chat_id, "type": "private"}
        sender = self.bot_user_json() if stored.from_bot else (user.user_json() if user else {})
        message: dict[str, Any] = {
            "message_id": stored.message_id,
            "from": sender,
            "chat": chat,
            "date": stored.date,
        }
        if stored.edit_date is not None:
            message["edit_date"] = stored.edit_date
        if stored.text is not None:
            message["text"] = stored.text
        if stored.document is not None:
            message["document"] = stored.document.document_json()
            if stored.caption is not None:
                message["caption"] = stored.caption
        if stored.inline_markup is not None:
            message["reply_markup"] = stored.inline_markup
        message.update(stored.extra)
        return message

    def _message_json_by_id(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        stored = self._messages.get((chat_id, message_id))
        return None if stored is None else self._message_json(stored)

    def _snapshot(self, stored: StoredMessage, *, edited: bool) -> ChatMessage:
        """The transcript entry (``ChatMessage``) for the current state of a stored message."""
        document = None
        if stored.document is not None:
            file = stored.document
            document = DocumentInfo(
                file.file_id, file.file_unique_id, file.file_name, file.mime_type, file.data
            )
        return ChatMessage(
            message_id=stored.message_id,
            chat_id=stored.chat_id,
            from_bot=stored.from_bot,
            text=stored.text if stored.text is not None else (stored.caption or ""),
            date=stored.date,
            buttons=inline_rows(stored.inline_markup),
            document=document,
            edited=edited,
            source_text=stored.source_text,
            parse_mode=stored.parse_mode,
            entities=stored.entities,
            reply_markup=stored.inline_markup or stored.other_markup,
            raw=self._message_json(stored),
        )
