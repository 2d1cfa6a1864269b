"""Validation of ``reply_markup`` as Telegram does it (inline keyboards, reply keyboards).

``validate_markup`` answers the inline keyboard as Telegram echoes it back (buttons reduced to
their text and their one action) and any other markup (reply keyboard, removal, force reply), or
raises the ``Bad Request`` Telegram answers: too many buttons, a button without or with two
actions, callback data over 64 bytes, a malformed object.
"""

from __future__ import annotations

from typing import Any

from .protocol import Params, bad_request

MAX_CALLBACK_DATA_BYTES = 64
MAX_BUTTONS = 100

_INLINE_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def validate_markup(params: Params) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Validate reply_markup: (inline markup as echoed, other markup)."""
    markup = params.json("reply_markup")
    if markup is None:
        return None, None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request("can't parse inline keyboard button: field \"inline_keyboard\" must be an Array of Arrays")  # fmt: skip
        if sum(len(row) for row in rows) > MAX_BUTTONS:
            raise bad_request("reply markup is too long")
        echoed_rows: list[list[dict[str, Any]]] = []
        for row in rows:
            echoed_row: list[dict[str, Any]] = []
            for button in row:
                echoed_row.append(_inline_button(button))
            if echoed_row:
                echoed_rows.append(echoed_row)
        if not echoed_rows:
            return None, None
        return {"inline_keyboard": echoed_rows}, None
    if "keyboard" in markup or "remove_keyboard" in markup or "force_reply" in markup:
        return None, markup
    raise bad_request("can't parse reply keyboard markup JSON object")


def _inline_button(button: Any) -> dict[str, Any]:
    if not isinstance(button, dict):
        raise bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")  # fmt: skip
    text = button.get("text")
    if not isinstance(text, str):
        raise bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')  # fmt: skip
    actions = [
        name for name in _INLINE_BUTTON_ACTIONS if name in button and button[name] not in (None, "")
    ]
    if not actions:
        if button.get("callback_data") == "":
            raise bad_request("BUTTON_DATA_INVALID")
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        # Stricter than Telegram (which silently keeps one of them): it is always a bug.
        raise bad_request("BUTTON_DATA_INVALID")
    action = actions[0]
    if action == "callback_data":
        data = button["callback_data"]
        if not isinstance(data, str) or len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    if action == "url" and not isinstance(button["url"], str):
        raise bad_request("BUTTON_URL_INVALID")
    return {"text": text, action: button[action]}
