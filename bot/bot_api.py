"""The Bot API calls formabot makes for every update, made raw (``Bot.do_api_request``).

The named methods (``send_message``, ``edit_message_text``…) build a ``Message`` (with its
keyboard, user and chat objects) from every answer, and the keyboards from button objects; nobody
reads those answers, and on a busy bot that building is a large share of the CPU. The raw call goes
through the same pipeline (rate limiter, request, errors: ``RetryAfter``, ``Forbidden``,
``BadRequest``…) with the keyboard already as JSON.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

from telegram import Bot
from telegram.warnings import PTBUserWarning

from dialogs.io import Reply

HTML = "HTML"
NO_PREVIEW = '{"is_disabled": true}'
# ``do_api_request`` suggests the named method on every call; here the raw call is deliberate.
warnings.filterwarnings("ignore", message="Please use 'Bot.", category=PTBUserWarning)


def keyboard_markup(reply: Reply) -> dict[str, Any] | None:
    """The reply's buttons as an inline keyboard (callback data = the button's payload)."""
    rows = [
        [{"text": button.label, "callback_data": button.payload} for button in row]
        for row in reply.buttons
        if row
    ]
    return {"inline_keyboard": rows} if rows else None


def keyboard_json(reply: Reply) -> str | None:
    """``keyboard_markup`` JSON-encoded, as a call's parameter."""
    markup = keyboard_markup(reply)
    return json.dumps(markup, ensure_ascii=False) if markup is not None else None


def message_in_body(chat_id: int, reply: Reply) -> dict[str, Any]:
    """sendMessage's parameters for a webhook response's JSON body (``bot.webhook.in_response``):
    the same message as ``send_message`` makes, the keyboard and preview options as objects."""
    params: dict[str, Any] = {
        "chat_id": chat_id, "text": reply.text, "parse_mode": HTML,
        "link_preview_options": {"is_disabled": True},
    }
    markup = keyboard_markup(reply)
    if markup is not None:
        params["reply_markup"] = markup
    return params


def _text_kwargs(text: str, keyboard: str | None, **target: int) -> dict[str, Any]:
    """A message's text in HTML, no link preview, its keyboard if any, for ``target`` (the chat,
    and the message for an edit)."""
    kwargs: dict[str, Any] = {**target, "text": text, "parse_mode": HTML, "link_preview_options": NO_PREVIEW}
    if keyboard is not None:
        kwargs["reply_markup"] = keyboard
    return kwargs


async def send_message(bot: Bot, chat_id: int, text: str, keyboard: str | None = None) -> None:
    await bot.do_api_request("sendMessage", api_kwargs=_text_kwargs(text, keyboard, chat_id=chat_id))


async def edit_message_text(
    bot: Bot, chat_id: int, message_id: int, text: str, keyboard: str | None = None
) -> None:
    await bot.do_api_request(
        "editMessageText",
        api_kwargs=_text_kwargs(text, keyboard, chat_id=chat_id, message_id=message_id),
    )


def callback_answer(query_id: str, alert: str | None = None) -> dict[str, Any]:
    """answerCallbackQuery's parameters."""
    kwargs: dict[str, Any] = {"callback_query_id": query_id}
    if alert:
        kwargs["text"] = alert
    return kwargs


async def answer_callback_query(bot: Bot, query_id: str, alert: str | None = None) -> None:
    await bot.do_api_request("answerCallbackQuery", api_kwargs=callback_answer(query_id, alert))
