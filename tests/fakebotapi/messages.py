"""Messages in the private chats: sending, editing, deleting, with Telegram's checks.

``MessagesMixin`` answers sendMessage, editMessageText, editMessageReplyMarkup,
editMessageCaption, deleteMessage and sendChatAction. Text and captions are parsed like Telegram
(HTML or MarkdownV2 through ``formatting.py``; an unparsable text is a ``can't parse entities``
error) and checked against its limits (4096 characters of text, 1024 of caption, "message is not
modified"); ``reply_markup`` is checked by ``markup.py``. It also stores what the fake users send
(``_store_user_message``) so that both sides share one transcript.
"""

from __future__ import annotations

import time
from typing import Any

from .formatting import Entity, EntityParseError, parse_text
from .markup import validate_markup
from .models import ChatMessage, StoredFile
from .protocol import Params, bad_request
from .state import ServerState, StoredMessage
from .user import FakeUser

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024

_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


class MessagesMixin(ServerState):
    """Send, edit and delete messages; the messages fake users send."""

    # ------------------------------------------------------------------ validation

    @staticmethod
    def _parse(text: str, parse_mode: str | None) -> tuple[str, tuple[Entity, ...]]:
        try:
            parsed = parse_text(text, parse_mode)
        except EntityParseError as error:
            raise bad_request(f"can't parse entities: {error}") from error
        return parsed.text, parsed.entities

    def _message_text(self, params: Params, *, editing: bool) -> tuple[str, tuple[Entity, ...]]:
        source = params.str("text")
        if source is None or source.strip() == "":
            raise bad_request("message text is empty")
        text, entities = self._parse(source, params.str("parse_mode"))
        if text.strip() == "":
            raise bad_request("message text is empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG" if editing else "message is too long")
        return text, entities

    def _caption(self, params: Params) -> tuple[str | None, tuple[Entity, ...]]:
        source = params.str("caption")
        if source is None or source == "":
            return None, ()
        caption, entities = self._parse(source, params.str("parse_mode"))
        if len(caption) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        return caption, entities

    # ------------------------------------------------------------------ storing

    def _bot_message(self, user: FakeUser, **fields: Any) -> StoredMessage:
        """Store a message sent by the bot, add it to the user's transcript, count it."""
        stored = self._new_stored_message(user.chat_id, from_bot=True, **fields)
        if stored.other_markup is not None:
            user._set_reply_keyboard(stored.other_markup)
        user._record(self._snapshot(stored, edited=False))
        self.stats.sent += 1
        self.stats.per_chat[user.chat_id] += 1
        key_text = stored.text if stored.text is not None else f"[document] {stored.caption or ''} {stored.document.file_name if stored.document else ''}"  # fmt: skip
        self.stats.texts[(user.chat_id, key_text)] += 1
        return stored

    def _store_user_message(
        self, user: FakeUser, *, text: str | None = None, document: StoredFile | None = None,
        caption: str | None = None, entities: list[dict[str, Any]] | None = None,
    ) -> tuple[ChatMessage, dict[str, Any]]:  # fmt: skip
        """Store a message sent by a fake user: (its transcript entry, its Message JSON)."""
        stored = self._new_stored_message(
            user.chat_id, from_bot=False, text=text, caption=caption, document=document
        )
        if entities:
            stored.extra["entities"] = entities
        snapshot = self._snapshot(stored, edited=False)
        user._record(snapshot)
        return snapshot, snapshot.raw

    def _last_bot_message_with_keyboard(self, chat_id: int) -> ChatMessage | None:
        candidates = [
            stored
            for (chat, _), stored in self._messages.items()
            if chat == chat_id and stored.from_bot and not stored.deleted and stored.inline_markup
        ]
        if not candidates:
            return None
        last = max(candidates, key=lambda stored: stored.message_id)
        return self._snapshot(last, edited=last.edit_date is not None)

    def _message_to_edit(self, params: Params) -> tuple[FakeUser, StoredMessage] | None:
        """The stored message designated by chat_id + message_id (None for inline messages)."""
        if params.has("inline_message_id") and not params.has("chat_id"):
            return None
        user = self._chat(params, for_sending=False)
        message_id = params.int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        stored = self._messages.get((user.chat_id, message_id))
        if stored is None or stored.deleted:
            raise bad_request("message to edit not found")
        if not stored.from_bot:
            raise bad_request("message can't be edited")
        return user, stored

    def _record_edit(self, user: FakeUser, stored: StoredMessage) -> dict[str, Any]:
        stored.edit_date = int(time.time())
        user._record(self._snapshot(stored, edited=True))
        self.stats.edited += 1
        return self._message_json(stored)

    # ------------------------------------------------------------------ methods

    def _send_message(self, params: Params) -> dict[str, Any]:
        user = self._chat(params)
        text, entities = self._message_text(params, editing=False)
        return self._sent(user, params, "text", text=text, entities=entities)

    def _sent(self, user: FakeUser, params: Params, source: str, **content: Any) -> dict[str, Any]:
        """A message (or document) sent: ``content`` as parsed from ``params[source]``, the markup
        of ``params`` checked after it; the message as the Bot API answers it."""
        inline, other = validate_markup(params)
        stored = self._bot_message(
            user,
            **content,
            source_text=params.str(source),
            parse_mode=params.str("parse_mode"),
            inline_markup=inline,
            other_markup=other,
        )
        return self._message_json(stored)

    def _edit_message_text(self, params: Params) -> dict[str, Any] | bool:
        target = self._message_to_edit(params)
        text, entities = self._message_text(params, editing=True)
        return self._edited(params, target, "text", text, entities)

    def _edited(
        self,
        params: Params,
        target: tuple[FakeUser, StoredMessage] | None,
        field: str,
        value: str | None,
        entities: tuple[Entity, ...],
    ) -> dict[str, Any] | bool:
        """editMessageText or editMessageCaption, its new ``field`` (« text », « caption ») parsed:
        the checks in the Bot API's order, then the message changed."""
        inline, _ = validate_markup(params)
        if target is None:
            raise bad_request("MESSAGE_ID_INVALID")
        user, stored = target
        if (stored.text if field == "text" else stored.document) is None:
            raise bad_request(f"there is no {field} in the message to edit")
        if (getattr(stored, field), stored.entities, stored.inline_markup) == (
            value,
            entities,
            inline,
        ):
            raise bad_request(_NOT_MODIFIED)
        setattr(stored, field, value)
        stored.entities = entities
        stored.inline_markup = inline
        if field == "text":
            stored.source_text = params.str("text")
            stored.parse_mode = params.str("parse_mode")
        return self._record_edit(user, stored)

    def _edit_message_reply_markup(self, params: Params) -> dict[str, Any] | bool:
        target = self._message_to_edit(params)
        inline, _ = validate_markup(params)
        if target is None:
            raise bad_request("MESSAGE_ID_INVALID")
        user, stored = target
        if stored.inline_markup == inline:
            raise bad_request(_NOT_MODIFIED)
        stored.inline_markup = inline
        return self._record_edit(user, stored)

    def _edit_message_caption(self, params: Params) -> dict[str, Any] | bool:
        target = self._message_to_edit(params)
        caption, entities = self._caption(params)
        return self._edited(params, target, "caption", caption, entities)

    def _delete_message(self, params: Params) -> bool:
        user = self._chat(params, for_sending=False)
        stored = self._messages.get((user.chat_id, params.int("message_id") or 0))
        if stored is None or stored.deleted:
            raise bad_request("message to delete not found")
        stored.deleted = True
        user.deleted_message_ids.append(stored.message_id)
        return True

    def _send_chat_action(self, params: Params) -> bool:
        user = self._chat(params)
        action = params.str("action")
        if action not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        user.chat_actions.append(action)
        return True
