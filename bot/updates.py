"""An update as the dialogs see it: an ``Incoming``, and for a pressed button a ``Pressed``.

Two readers of the same Bot API update, kept equal by ``tests/unit/test_updates.py``:
``from_update`` reads python-telegram-bot's ``Update`` (long polling: python-telegram-bot has
built it already), ``from_json`` the JSON of a webhook request, where building python-telegram-
bot's objects (``Update.de_json``: a user, a chat, a message, its entities…) for the few fields
read here cost about 6 % of the bot's CPU per update.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from telegram import Message, Update

from dialogs.io import Incoming
from domain.models import Document


@dataclass(frozen=True, slots=True)
class Pressed:
    """A pressed button: its query (to answer), and the message it is under, whose edit is tried
    (None: a button not under a message of a chat, e.g. an inline one)."""

    query_id: str
    chat_id: int | None = None
    message_id: int | None = None


Read = tuple[Incoming | None, Pressed | None]


def from_update(update: Update) -> Read:
    """The input of a python-telegram-bot ``Update`` (None: not one the dialogs handle)."""
    query = update.callback_query
    pressed = None
    if query is not None:
        message = query.message
        pressed = (
            Pressed(query.id, message.chat.id, message.message_id)
            if isinstance(message, Message) else Pressed(query.id)
        )
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None or chat.type != "private":
        return None, pressed
    incoming = functools.partial(
        Incoming, chat_id=chat.id, user_id=user.id, update_id=update.update_id, user_name=user.first_name
    )
    if query is not None:
        return incoming(payload=query.data or ""), pressed
    message = update.message
    if message is None:
        return None, None
    if message.document is not None:
        d = message.document
        doc = Document(file_id=d.file_id, file_name=d.file_name, mime_type=d.mime_type, size=d.file_size)
        return incoming(document=doc), None
    if message.photo:
        p = message.photo[-1]
        doc = Document(file_id=p.file_id, file_name="photo.jpg", mime_type="image/jpeg", size=p.file_size)
        return incoming(document=doc), None
    return _text(incoming, message.text), None


def from_json(update: Mapping[str, Any]) -> Read:
    """The same from the update's JSON (a webhook request's body)."""
    query = update.get("callback_query")
    pressed = None
    message: Mapping[str, Any] | None
    if isinstance(query, Mapping):
        seen = query.get("message")
        message = seen if isinstance(seen, Mapping) else None
        # As python-telegram-bot reads it: any message the button is under is tried for the edit
        # (one too old comes with a date of 0; Telegram refuses the edit, a new message goes).
        pressed = (
            Pressed(str(query["id"]), message["chat"]["id"], message["message_id"])
            if message is not None else Pressed(str(query["id"]))
        )
        user = query.get("from")
    else:
        query = None
        sent = update.get("message")
        if not isinstance(sent, Mapping):
            return None, None
        message = sent
        user = message.get("from")
    chat = message.get("chat") if message is not None else None
    if not isinstance(user, Mapping) or not isinstance(chat, Mapping) or chat.get("type") != "private":
        return None, pressed
    incoming = functools.partial(
        Incoming, chat_id=chat["id"], user_id=user["id"], update_id=update["update_id"],
        user_name=user.get("first_name"),
    )
    if isinstance(query, Mapping):
        return incoming(payload=query.get("data") or ""), pressed
    assert message is not None  # a message update (returned above without one)
    document = message.get("document")
    if isinstance(document, Mapping):
        doc = Document(file_id=document["file_id"], file_name=document.get("file_name"),
                       mime_type=document.get("mime_type"), size=document.get("file_size"))
        return incoming(document=doc), None
    photo = message.get("photo")
    if photo:
        p = photo[-1]
        doc = Document(file_id=p["file_id"], file_name="photo.jpg", mime_type="image/jpeg",
                       size=p.get("file_size"))
        return incoming(document=doc), None
    return _text(incoming, message.get("text")), None


def _text(incoming: functools.partial[Incoming], text: str | None) -> Incoming:
    if text is None:
        return incoming(text="")  # a sticker, a voice note…: answered like unexpected text
    if text.startswith("/"):
        head, _, args = text.partition(" ")
        command = head[1:].split("@", 1)[0].lower()
        return incoming(command=command, args=args.strip())
    return incoming(text=text)
