"""A fake Telegram Bot API server (aiohttp) for end-to-end tests and benchmarks.

It answers like https://api.telegram.org does (same JSON shapes, same error codes and
descriptions for what the tests care about), keeps the transcript of every private chat, lets fake
users send updates, and can inject faults (429, 500, blocked chats, latency, refused connections).

No dependency on pytest: benchmarks import it too.

``FakeBotApi`` is assembled from one mixin per concern; start reading here, then:

- ``state.py``      shared state: users, stored messages, files, callbacks, the change condition
- ``protocol.py``   request parameters (``Params``), ``ApiError``, what a request records
- ``app.py``        the aiohttp application and socket, recording of calls, ``pause``/``resume``
- ``updates.py``    ``push_update``, getUpdates (long polling) and the webhook delivery loop
- ``messages.py``   sendMessage / edit* / deleteMessage / sendChatAction, text and caption limits
- ``markup.py``     ``reply_markup`` validation (buttons, callback data)
- ``documents.py``  sendDocument, getFile, stored files
- ``callbacks.py``  callback queries and answerCallbackQuery
- ``account.py``    getMe, setMyCommands & co, close, logOut
- ``faults.py``     inject_429 / inject_500, blocked chats, latency, flood limits
- ``recording.py``  what tests inspect: ``user()``, ``requests_for``, ``wait_until``, …
- ``user.py``       ``FakeUser``, the user side of a private chat
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from .account import AccountMixin
from .app import HttpMixin
from .callbacks import CallbacksMixin
from .documents import DocumentsMixin
from .faults import SEND_METHODS, FaultsMixin
from .protocol import ApiError, Params
from .recording import InspectionMixin
from .updates import UpdatesMixin

__all__ = ["SEND_METHODS", "ApiError", "FakeBotApi"]


class FakeBotApi(
    HttpMixin,
    UpdatesMixin,
    DocumentsMixin,
    CallbacksMixin,
    AccountMixin,
    FaultsMixin,
    InspectionMixin,
):
    """A fake Telegram Bot API server listening on 127.0.0.1 (random free port).

    Usage::

        async with FakeBotApi() as api:
            application = (
                Application.builder().token(api.token).base_url(api.base_url)
                .base_file_url(api.base_file_url).build()
            )
            ...
            claire = api.user(1001, "Claire")
            await claire.send_command("/start")
            reply = await claire.next_reply()
    """

    def __init__(
        self,
        token: str = "123456:TEST",
        *,
        bot_username: str = "formabot_test_bot",
        bot_first_name: str = "Formabot",
    ) -> None:
        super().__init__(token, bot_username=bot_username, bot_first_name=bot_first_name)
        self._init_http()
        self._init_updates()
        self._init_documents()
        self._init_callbacks()
        self._init_account()
        self._init_faults()

        #: The Bot API methods the fake answers (lower case) and their handlers.
        self._methods: dict[str, Callable[[Params], Any]] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "editmessagecaption": self._edit_message_caption,
            "answercallbackquery": self._answer_callback_query,
            "senddocument": self._send_document,
            "sendchataction": self._send_chat_action,
            "getfile": self._get_file,
            "deletemessage": self._delete_message,
            "close": self._close,
            "logout": self._log_out,
        }

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self._cond = asyncio.Condition()
        self._closing = False
        await self._serve()

    async def stop(self) -> None:
        self._closing = True
        await self._notify()
        await self._stop_updates()
        await self._stop_serving()

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ one call

    async def _dispatch(
        self, token: str, method: str, values: dict[str, Any]
    ) -> tuple[Any, str | None]:
        """Answer one call: check the token, apply latency and faults, run its handler."""
        if token != self.token:
            raise ApiError(401, "Unauthorized")
        await self._delay()
        lowered = method.lower()
        handler = self._methods.get(lowered)
        if handler is None:
            raise ApiError(404, "Not Found")
        self._apply_faults(lowered)
        params = Params(values)
        self._check_limits(lowered, params.int("chat_id"))
        outcome = handler(params)
        if asyncio.iscoroutine(outcome):
            outcome = await outcome
        if isinstance(outcome, tuple):
            return outcome[0], outcome[1]
        return outcome, None
