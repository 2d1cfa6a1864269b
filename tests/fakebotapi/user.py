"""The user side of the fake Bot API: a Telegram user talking to the bot in a private chat."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .models import ButtonRows, ChatMessage, WaitTimeout

if TYPE_CHECKING:
    from .server import FakeBotApi


class FakeUser:
    """A fake Telegram user; its private chat with the bot has ``chat_id == user_id``.

    ``messages`` is the transcript of the chat in order: the user's messages, the bot's messages and
    every edit of a bot message (a new snapshot with ``edited=True``).
    """

    def __init__(
        self, api: FakeBotApi, user_id: int, first_name: str, username: str | None
    ) -> None:
        self.api = api
        self.user_id = user_id
        self.first_name = first_name
        self.username = username
        self.messages: list[ChatMessage] = []
        self.chat_actions: list[str] = []
        self.deleted_message_ids: list[int] = []
        self.reply_keyboard: list[list[str]] | None = None
        self._cursor = 0

    def __repr__(self) -> str:
        return f"FakeUser({self.user_id}, {self.first_name!r})"

    @property
    def chat_id(self) -> int:
        return self.user_id

    def user_json(self) -> dict[str, Any]:
        user: dict[str, Any] = {
            "id": self.user_id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": "fr",
        }
        if self.username:
            user["username"] = self.username
        return user

    def chat_json(self) -> dict[str, Any]:
        chat: dict[str, Any] = {
            "id": self.chat_id,
            "type": "private",
            "first_name": self.first_name,
        }
        if self.username:
            chat["username"] = self.username
        return chat

    # ------------------------------------------------------------------ called by the server

    def _record(self, snapshot: ChatMessage) -> None:
        self.messages.append(snapshot)

    def _set_reply_keyboard(self, markup: dict[str, Any]) -> None:
        if "keyboard" in markup:
            self.reply_keyboard = [
                [
                    button if isinstance(button, str) else str(button.get("text", ""))
                    for button in row
                ]
                for row in markup["keyboard"]
            ]
        elif markup.get("remove_keyboard"):
            self.reply_keyboard = None

    # ------------------------------------------------------------------ sending

    async def send_text(self, text: str) -> ChatMessage:
        """Send a text message to the bot."""
        snapshot, message = self.api._store_user_message(self, text=text)
        await self.api.push_update({"message": message})
        return snapshot

    async def send_command(self, command: str, *args: str) -> ChatMessage:
        """Send a command (``send_command("/start", "CODE")`` sends "/start CODE")."""
        if not command.startswith("/"):
            command = "/" + command
        text = " ".join((command, *args))
        entities = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        snapshot, message = self.api._store_user_message(self, text=text, entities=entities)
        await self.api.push_update({"message": message})
        return snapshot

    async def send_document(
        self,
        data: bytes,
        file_name: str,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
    ) -> ChatMessage:
        """Send a document; the bot can download it with getFile."""
        file = self.api._store_file(data, file_name, mime_type)
        snapshot, message = self.api._store_user_message(self, document=file, caption=caption)
        await self.api.push_update({"message": message})
        return snapshot

    async def press(self, button: str, message: ChatMessage | int | None = None) -> str:
        """Press an inline button (matched by its text, else by its callback_data).

        The button is looked for in ``message`` (a snapshot or a message_id; its current state is
        used) or else in the last bot message of the chat that has an inline keyboard. Returns the
        callback query id. Raises AssertionError if there is no such button.
        """
        if message is None:
            target = self.api._last_bot_message_with_keyboard(self.chat_id)
            if target is None:
                raise AssertionError(
                    f"{self!r}: no bot message with an inline keyboard to press {button!r} in; "
                    f"transcript: {self._tail()}"
                )
        else:
            message_id = message if isinstance(message, int) else message.message_id
            found = self.api.current_message(self.chat_id, message_id)
            if found is None:
                raise AssertionError(f"{self!r}: message #{message_id} does not exist (deleted?)")
            target = found
        data: str | None = None
        matched = False
        for candidates in ((text for row in target.buttons for text, _ in row), None):
            if candidates is None:
                for row in target.buttons:
                    for _, callback_data in row:
                        if callback_data == button:
                            data, matched = callback_data, True
                break
            for row in target.buttons:
                for text, callback_data in row:
                    if text == button and not matched:
                        data, matched = callback_data, True
            if matched:
                break
        if not matched:
            raise AssertionError(
                f"{self!r}: no button {button!r} in message #{target.message_id} "
                f"({target.text[:80]!r}); buttons: {target.buttons}"
            )
        if data is None:
            raise AssertionError(
                f"{self!r}: button {button!r} of message #{target.message_id} has no callback_data"
            )
        return await self.send_callback(data, target.message_id)

    async def send_callback(self, data: str, message: ChatMessage | int | None = None) -> str:
        """Send a callback query with any (possibly forged) data; returns the query id.

        ``message`` defaults to the last bot message of the chat.
        """
        if message is None:
            bot_messages = [snapshot for snapshot in self.messages if snapshot.from_bot]
            message_id = bot_messages[-1].message_id if bot_messages else None
        else:
            message_id = message if isinstance(message, int) else message.message_id
        record = self.api._new_callback(self, data, message_id)
        query: dict[str, Any] = {
            "id": record.query_id,
            "from": self.user_json(),
            "chat_instance": f"-{self.user_id}{self.api.bot_id}",
            "data": data,
        }
        if message_id is not None:
            message_json = self.api._message_json_by_id(self.chat_id, message_id)
            if message_json is not None:
                query["message"] = message_json
        await self.api.push_update({"callback_query": query})
        return record.query_id

    async def raw_update(self, update: dict[str, Any]) -> int:
        """Send a forged update as is (update_id assigned if absent); returns its update_id."""
        return await self.api.push_update(update)

    # ------------------------------------------------------------------ reading

    @property
    def bot_messages(self) -> list[ChatMessage]:
        """The bot's messages and edits in this chat, in order."""
        return [snapshot for snapshot in self.messages if snapshot.from_bot]

    def last_keyboard(self) -> ButtonRows | None:
        """The inline keyboard (rows of (text, callback_data)) of the last bot message having one."""
        message = self.api._last_bot_message_with_keyboard(self.chat_id)
        return None if message is None else message.buttons

    def last_bot_message(self) -> ChatMessage | None:
        """The current state of the last message the bot sent in this chat (None if none)."""
        ids = [snapshot.message_id for snapshot in self.messages if snapshot.from_bot]
        for message_id in reversed(ids):
            current = self.api.current_message(self.chat_id, message_id)
            if current is not None:
                return current
        return None

    def pending_replies(self) -> list[ChatMessage]:
        """Bot messages and edits not yet returned by next_reply / wait_for (cursor unchanged)."""
        return [snapshot for snapshot in self.messages[self._cursor :] if snapshot.from_bot]

    def skip_replies(self) -> list[ChatMessage]:
        """Mark every reply received so far as read; returns them."""
        skipped = self.pending_replies()
        self._cursor = len(self.messages)
        return skipped

    async def next_reply(self, timeout: float = 10.0) -> ChatMessage:
        """The next message the bot sent or edited in this chat since the last call."""
        return await self.wait_for(lambda _: True, timeout, what="reply")

    async def wait_for(
        self,
        predicate: Callable[[ChatMessage], bool],
        timeout: float = 10.0,
        *,
        what: str = "reply matching the predicate",
    ) -> ChatMessage:
        """Wait for the next bot message or edit satisfying ``predicate``; the replies before it
        are skipped (the next next_reply returns what comes after it)."""
        found: list[int] = []

        def match() -> bool:
            for index in range(self._cursor, len(self.messages)):
                snapshot = self.messages[index]
                if snapshot.from_bot and predicate(snapshot):
                    found.append(index)
                    return True
            return False

        try:
            await self.api.wait_until(match, timeout)
        except WaitTimeout:
            raise WaitTimeout(
                f"{self!r}: no {what} from the bot within {timeout} s; "
                f"transcript since the last reply read: {self._tail(self._cursor)}"
            ) from None
        index = found[-1]
        self._cursor = index + 1
        return self.messages[index]

    def _tail(self, start: int | None = None) -> str:
        messages = self.messages[start:] if start is not None else self.messages[-5:]
        return "\n  " + "\n  ".join(str(message) for message in messages) if messages else "(empty)"
