"""A fake Telegram Bot API server (aiohttp) for end-to-end tests and benchmarks.

It answers like https://api.telegram.org does (same JSON shapes, same error codes and
descriptions for what the tests care about), keeps the transcript of every private chat, lets fake
users send updates, and can inject faults (429, 500, blocked chats, latency, refused connections).

No dependency on pytest: benchmarks import it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import mimetypes
import re
import secrets
import socket
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from .formatting import Entity, EntityParseError, parse_text
from .models import (
    ButtonRows,
    CallbackQueryRecord,
    ChatMessage,
    DocumentInfo,
    RecordedRequest,
    Stats,
    StoredFile,
    UploadedFile,
    WaitTimeout,
)
from .user import FakeUser

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_BUTTONS = 100
MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024

#: Methods subject to inject_429 / inject_500 by default and to enforce_limits (lower case).
SEND_METHODS = frozenset(
    {
        "sendmessage",
        "senddocument",
        "sendphoto",
        "copymessage",
        "forwardmessage",
        "editmessagetext",
        "editmessagereplymarkup",
        "editmessagecaption",
    }
)

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
_DEFAULT_ALLOWED_UPDATES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "allowed_updates",
        "commands",
        "scope",
        "entities",
        "caption_entities",
        "link_preview_options",
        "reply_parameters",
        "media",
    }
)
_INT_PARAMS = frozenset(
    {
        "chat_id",
        "message_id",
        "offset",
        "limit",
        "timeout",
        "user_id",
        "reply_to_message_id",
        "message_thread_id",
        "cache_time",
        "max_connections",
    }
)
_BOOL_PARAMS = frozenset(
    {"show_alert", "drop_pending_updates", "disable_notification", "protect_content"}
)
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


class ApiError(Exception):
    """An error answered to the bot: ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


class _Params:
    """Typed access to the parameters of one request, whatever its encoding."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def str(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, UploadedFile):
            raise _bad_request(f"wrong type of the parameter {name}")
        return value if isinstance(value, str) else json.dumps(value)

    def int(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        try:
            return int(str(value))
        except ValueError:
            return default

    def bool(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        return bool(value)

    def json(self, name: str) -> Any:
        value = self.values.get(name)
        if isinstance(value, str):
            if value == "":
                return None
            try:
                return json.loads(value)
            except ValueError as error:
                raise _bad_request(f"can't parse {name} JSON object") from error
        return value


@dataclass
class _StoredMessage:
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


@dataclass
class _Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None
    last_error_date: int | None = None
    last_error_message: str | None = None


def _update_type(update: dict[str, Any]) -> str:
    for key in update:
        if key != "update_id":
            return key
    return ""


def _rows(markup: dict[str, Any] | None) -> ButtonRows:
    if not markup or "inline_keyboard" not in markup:
        return []
    return [
        [(button.get("text", ""), button.get("callback_data")) for button in row]
        for row in markup["inline_keyboard"]
    ]


class FakeBotApi:
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
        self.token = token
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        bot_id_text = token.split(":", 1)[0]
        self.bot_id = int(bot_id_text) if bot_id_text.isdigit() else 123456
        self.requests: list[RecordedRequest] = []
        self.stats = Stats()
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.callbacks: dict[str, CallbackQueryRecord] = {}
        self.dropped_updates: list[dict[str, Any]] = []
        self.closed = False
        self.logged_out = False

        self._users: dict[int, FakeUser] = {}
        self._messages: dict[tuple[int, int], _StoredMessage] = {}
        self._next_message_id: dict[int, int] = {}
        self._pending: list[dict[str, Any]] = []
        # Forged updates reusing an update_id: delivered by the next getUpdates whatever its offset.
        self._forced: set[int] = set()
        self._next_update_id = 1
        # After ``restart_update_ids``: ids below this were used before the restart (see there).
        self._restart_ceiling = 0
        self._allowed_updates: frozenset[str] = _DEFAULT_ALLOWED_UPDATES
        self._poll_generation = 0
        self._webhook: _Webhook | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._client: aiohttp.ClientSession | None = None
        self._file_counter = itertools.count(1)
        self._callback_counter = itertools.count(1)
        self._blocked: set[int] = set()
        self._latency = 0.0
        self._faults: list[tuple[int, int, frozenset[str], dict[str, Any] | None]] = []
        self._limits: tuple[float, float] | None = None
        self._global_window: deque[float] = deque()
        self._chat_windows: dict[int, deque[float]] = {}

        self._cond: asyncio.Condition | None = None
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._site: web.SockSite | None = None
        self._port: int | None = None

        self._methods: dict[str, Callable[[_Params], Any]] = {
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

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeBotApi is not started")
        return self._port

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """The value for python-telegram-bot's ``base_url`` (``http://127.0.0.1:PORT/bot``)."""
        return f"{self.root_url}/bot"

    @property
    def base_file_url(self) -> str:
        """The value for python-telegram-bot's ``base_file_url``."""
        return f"{self.root_url}/file/bot"

    async def start(self) -> None:
        self._cond = asyncio.Condition()
        self._closing = False
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        await self._listen(0)

    async def stop(self) -> None:
        self._closing = True
        await self._notify()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self._site = None

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _listen(self, port: int) -> None:
        assert self._runner is not None
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.setblocking(False)
        self._port = sock.getsockname()[1]
        self._site = web.SockSite(self._runner, sock)
        await self._site.start()

    async def pause(self) -> None:
        """Close the listening socket and every open connection: connections are refused."""
        if self._site is None:
            return
        await self._site.stop()
        self._site = None
        assert self._runner is not None and self._runner.server is not None
        for connection in self._runner.server.connections:
            connection.force_close()

    async def resume(self) -> None:
        """Listen again, on the same port."""
        if self._site is None:
            await self._listen(self.port)

    # ------------------------------------------------------------------ waiting

    @property
    def _condition(self) -> asyncio.Condition:
        if self._cond is None:
            raise RuntimeError("FakeBotApi is not started")
        return self._cond

    async def _notify(self) -> None:
        if self._cond is None:
            return
        async with self._cond:
            self._cond.notify_all()

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until ``predicate()`` is true (checked after every change of the fake's state).

        Raises TimeoutError (an AssertionError too) after ``timeout`` seconds.
        """
        condition = self._condition
        try:
            async with condition:
                await asyncio.wait_for(condition.wait_for(predicate), timeout)
        except TimeoutError:
            raise WaitTimeout(f"condition not met within {timeout} s") from None

    # ------------------------------------------------------------------ programmable faults

    def inject_429(
        self, count: int, retry_after: int = 1, methods: Iterable[str] | None = None
    ) -> None:
        """The next ``count`` send calls (or calls of ``methods``) get 429 with retry_after."""
        self._faults.append(
            (429, count, self._method_set(methods), {"retry_after": int(retry_after)})
        )

    def inject_500(self, count: int, methods: Iterable[str] | None = None) -> None:
        """The next ``count`` send calls (or calls of ``methods``) get 500 Internal Server Error."""
        self._faults.append((500, count, self._method_set(methods), None))

    @staticmethod
    def _method_set(methods: Iterable[str] | None) -> frozenset[str]:
        if methods is None:
            return SEND_METHODS
        return frozenset(method.lower() for method in methods)

    def block_chat(self, chat_id: int) -> None:
        """The user blocked the bot: sending to this chat gives 403."""
        self._blocked.add(chat_id)

    def unblock_chat(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    def set_latency(self, seconds: float) -> None:
        """Every request is answered after ``seconds`` more."""
        self._latency = seconds

    def enforce_limits(self, global_per_s: float, per_chat_per_s: float) -> None:
        """Answer 429 to send calls over these rates (sliding one-second windows)."""
        self._limits = (global_per_s, per_chat_per_s)

    def disable_limits(self) -> None:
        self._limits = None

    # ------------------------------------------------------------------ inspection

    def user(
        self, user_id: int, first_name: str = "Claire", username: str | None = None
    ) -> FakeUser:
        """The fake user ``user_id`` (created on first call; private chat id == user id)."""
        existing = self._users.get(user_id)
        if existing is not None:
            return existing
        created = FakeUser(self, user_id, first_name, username)
        self._users[user_id] = created
        return created

    @property
    def users(self) -> dict[int, FakeUser]:
        return dict(self._users)

    def unanswered_callbacks(self) -> list[CallbackQueryRecord]:
        """Callback queries sent to the bot that it has not answered yet."""
        return [record for record in self.callbacks.values() if not record.answered]

    def requests_for(self, method: str) -> list[RecordedRequest]:
        """Recorded requests of ``method`` (case-insensitive)."""
        lowered = method.lower()
        return [request for request in self.requests if request.method.lower() == lowered]

    def failed_requests(self) -> list[RecordedRequest]:
        """Recorded requests that were not answered with 200."""
        return [request for request in self.requests if request.status not in (None, 200)]

    @property
    def webhook_url(self) -> str | None:
        return self._webhook.url if self._webhook else None

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by getUpdates nor delivered to the webhook."""
        return list(self._pending)

    def current_message(self, chat_id: int, message_id: int) -> ChatMessage | None:
        """The current state of a message (None if unknown or deleted)."""
        stored = self._messages.get((chat_id, message_id))
        if stored is None or stored.deleted:
            return None
        return self._snapshot(stored, edited=stored.edit_date is not None)

    # ------------------------------------------------------------------ user side (internal API)

    def restart_update_ids(self, next_id: int) -> None:
        """Telegram after a week without updates: « the identifier of the next update will be
        chosen randomly instead of sequentially ». The next updates get ids from ``next_id`` on
        (lower than before) and are delivered whatever the bot's offset."""
        self._restart_ceiling = max(self._restart_ceiling, self._next_update_id)
        self._next_update_id = next_id

    async def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update for the bot (assigns update_id if absent); returns its update_id."""
        update = dict(update)
        if "update_id" in update:
            update_id = int(update["update_id"])
            if update_id < self._next_update_id:
                self._forced.add(id(update))
            self._next_update_id = max(self._next_update_id, update_id + 1)
        else:
            update = {"update_id": self._next_update_id, **update}
            update_id = self._next_update_id
            self._next_update_id += 1
            if update_id < self._restart_ceiling:
                self._forced.add(id(update))
        query = update.get("callback_query")
        if isinstance(query, dict) and str(query.get("id")) not in self.callbacks:
            # A forged callback query: the bot must answer it like any other.
            sender = query.get("from") or {}
            message = query.get("message") or {}
            self.callbacks[str(query.get("id"))] = CallbackQueryRecord(
                str(query.get("id")), int(sender.get("id", 0)), query.get("data"),
                message.get("message_id"),
            )  # fmt: skip
        if _update_type(update) not in self._allowed_updates:
            self.dropped_updates.append(update)
        else:
            self._pending.append(update)
        await self._notify()
        return update_id

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _store_user_message(
        self, user: FakeUser, *, text: str | None = None, document: StoredFile | None = None,
        caption: str | None = None, entities: list[dict[str, Any]] | None = None,
    ) -> tuple[ChatMessage, dict[str, Any]]:  # fmt: skip
        stored = _StoredMessage(
            chat_id=user.chat_id,
            message_id=self._new_message_id(user.chat_id),
            from_bot=False,
            date=int(time.time()),
            text=text,
            caption=caption,
            document=document,
        )
        if entities:
            stored.extra["entities"] = entities
        self._messages[(stored.chat_id, stored.message_id)] = stored
        snapshot = self._snapshot(stored, edited=False)
        user._record(snapshot)
        return snapshot, snapshot.raw

    def _new_callback(
        self, user: FakeUser, data: str | None, message_id: int | None
    ) -> CallbackQueryRecord:
        query_id = f"{user.user_id}{next(self._callback_counter):012d}"
        record = CallbackQueryRecord(query_id, user.user_id, data, message_id)
        self.callbacks[query_id] = record
        return record

    def _message_json_by_id(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        stored = self._messages.get((chat_id, message_id))
        return None if stored is None else self._message_json(stored)

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

    # ------------------------------------------------------------------ JSON objects

    def bot_user_json(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _message_json(self, stored: _StoredMessage) -> dict[str, Any]:
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

    def _snapshot(self, stored: _StoredMessage, *, edited: bool) -> ChatMessage:
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
            buttons=_rows(stored.inline_markup),
            document=document,
            edited=edited,
            source_text=stored.source_text,
            parse_mode=stored.parse_mode,
            entities=stored.entities,
            reply_markup=stored.inline_markup or stored.other_markup,
            raw=self._message_json(stored),
        )

    def _store_file(self, data: bytes, file_name: str | None, mime_type: str | None) -> StoredFile:
        number = next(self._file_counter)
        extension = ""
        if file_name and "." in file_name:
            extension = "." + file_name.rsplit(".", 1)[1]
        stored = StoredFile(
            file_id=f"BQACAgQAAxkBAAI{number:06d}{secrets.token_hex(8)}",
            file_unique_id=f"AgAD{number:06d}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
            file_path=f"documents/file_{number}{extension}",
        )
        self.files[stored.file_id] = stored
        return stored

    # ------------------------------------------------------------------ HTTP

    @staticmethod
    async def _read_params(request: web.Request) -> dict[str, Any]:
        values: dict[str, Any] = dict(request.query)
        if request.method != "POST" or not request.can_read_body:
            return values
        content_type = request.content_type
        if content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                values.update(body)
            return values
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for name, value in form.items():
                if isinstance(value, web.FileField):
                    values[name] = UploadedFile(
                        value.file.read(), value.filename, value.content_type
                    )
                else:
                    values[name] = value
        return values

    @staticmethod
    def _normalized(values: dict[str, Any]) -> dict[str, Any]:
        normalized: dict[str, Any] = {}
        for name, value in values.items():
            if isinstance(value, str):
                if name in _JSON_PARAMS and value[:1] in ("{", "["):
                    with contextlib.suppress(ValueError):
                        value = json.loads(value)
                elif name in _INT_PARAMS:
                    with contextlib.suppress(ValueError):
                        value = int(value)
                elif name in _BOOL_PARAMS and value in ("true", "false"):
                    value = value == "true"
            normalized[name] = value
        return normalized

    @staticmethod
    def _json_response(status: int, body: dict[str, Any]) -> web.Response:
        return web.json_response(body, status=status)

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            values = await self._read_params(request)
        except ValueError:
            values = {}
        record = RecordedRequest(method, self._normalized(values))
        self.requests.append(record)
        await self._notify()
        try:
            result, description = await self._dispatch(request.match_info["token"], method, values)
        except ApiError as error:
            record.status = error.code
            record.description = error.description
            if error.code == 429:
                self.stats.too_many_requests += 1
            elif error.code >= 500:
                self.stats.server_errors += 1
            await self._notify()
            return self._json_response(error.code, error.body())
        record.status = 200
        record.result = result
        body: dict[str, Any] = {"ok": True, "result": result}
        if description:
            body["description"] = description
        await self._notify()
        return self._json_response(200, body)

    async def _dispatch(
        self, token: str, method: str, values: dict[str, Any]
    ) -> tuple[Any, str | None]:
        if token != self.token:
            raise ApiError(401, "Unauthorized")
        if self._latency > 0:
            await asyncio.sleep(self._latency)
        lowered = method.lower()
        handler = self._methods.get(lowered)
        if handler is None:
            raise ApiError(404, "Not Found")
        self._apply_faults(lowered)
        params = _Params(values)
        if self._limits is not None and lowered in SEND_METHODS:
            self._check_limits(params.int("chat_id"))
        outcome = handler(params)
        if asyncio.iscoroutine(outcome):
            outcome = await outcome
        if isinstance(outcome, tuple):
            return outcome[0], outcome[1]
        return outcome, None

    def _apply_faults(self, method: str) -> None:
        for index, (code, count, methods, parameters) in enumerate(self._faults):
            if method not in methods or count <= 0:
                continue
            if count == 1:
                del self._faults[index]
            else:
                self._faults[index] = (code, count - 1, methods, parameters)
            if code == 429:
                assert parameters is not None
                raise ApiError(
                    429, f"Too Many Requests: retry after {parameters['retry_after']}", parameters
                )
            raise ApiError(code, "Internal Server Error")

    def _check_limits(self, chat_id: int | None) -> None:
        assert self._limits is not None
        global_limit, chat_limit = self._limits
        now = time.monotonic()
        windows = [(self._global_window, global_limit)]
        if chat_id is not None:
            windows.append((self._chat_windows.setdefault(chat_id, deque()), chat_limit))
        retry_after = 0
        for window, limit in windows:
            while window and window[0] <= now - 1.0:
                window.popleft()
            if len(window) >= limit:
                retry_after = max(retry_after, math.ceil(window[0] + 1.0 - now), 1)
        if retry_after:
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )
        for window, _ in windows:
            window.append(now)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return self._json_response(
                404, {"ok": False, "error_code": 404, "description": "Not Found"}
            )
        path = request.match_info["path"]
        for stored in self.files.values():
            if stored.file_path == path:
                return web.Response(
                    body=stored.data,
                    content_type=stored.mime_type or "application/octet-stream",
                )
        return self._json_response(
            404, {"ok": False, "error_code": 404, "description": "Not Found"}
        )

    # ------------------------------------------------------------------ helpers for methods

    def _chat(self, params: _Params, *, for_sending: bool = True) -> FakeUser:
        raw = params.values.get("chat_id")
        if raw is None or raw == "":
            raise _bad_request("chat_id is empty")
        chat_id = params.int("chat_id")
        if chat_id is None or chat_id not in self._users:
            raise _bad_request("chat not found")
        if for_sending and chat_id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return self._users[chat_id]

    @staticmethod
    def _parse(text: str, parse_mode: str | None) -> tuple[str, tuple[Entity, ...]]:
        try:
            parsed = parse_text(text, parse_mode)
        except EntityParseError as error:
            raise _bad_request(f"can't parse entities: {error}") from error
        return parsed.text, parsed.entities

    def _message_text(self, params: _Params, *, editing: bool) -> tuple[str, tuple[Entity, ...]]:
        source = params.str("text")
        if source is None or source.strip() == "":
            raise _bad_request("message text is empty")
        text, entities = self._parse(source, params.str("parse_mode"))
        if text.strip() == "":
            raise _bad_request("message text is empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise _bad_request("MESSAGE_TOO_LONG" if editing else "message is too long")
        return text, entities

    def _caption(self, params: _Params) -> tuple[str | None, tuple[Entity, ...]]:
        source = params.str("caption")
        if source is None or source == "":
            return None, ()
        caption, entities = self._parse(source, params.str("parse_mode"))
        if len(caption) > MAX_CAPTION_LENGTH:
            raise _bad_request("message caption is too long")
        return caption, entities

    @staticmethod
    def _markup(params: _Params) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """Validate reply_markup: (inline markup as echoed, other markup)."""
        markup = params.json("reply_markup")
        if markup is None:
            return None, None
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise _bad_request("can't parse inline keyboard button: field \"inline_keyboard\" must be an Array of Arrays")  # fmt: skip
            if sum(len(row) for row in rows) > MAX_BUTTONS:
                raise _bad_request("reply markup is too long")
            echoed_rows: list[list[dict[str, Any]]] = []
            for row in rows:
                echoed_row: list[dict[str, Any]] = []
                for button in row:
                    echoed_row.append(FakeBotApi._inline_button(button))
                if echoed_row:
                    echoed_rows.append(echoed_row)
            if not echoed_rows:
                return None, None
            return {"inline_keyboard": echoed_rows}, None
        if "keyboard" in markup or "remove_keyboard" in markup or "force_reply" in markup:
            return None, markup
        raise _bad_request("can't parse reply keyboard markup JSON object")

    @staticmethod
    def _inline_button(button: Any) -> dict[str, Any]:
        if not isinstance(button, dict):
            raise _bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")  # fmt: skip
        text = button.get("text")
        if not isinstance(text, str):
            raise _bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')  # fmt: skip
        actions = [
            name
            for name in _INLINE_BUTTON_ACTIONS
            if name in button and button[name] not in (None, "")
        ]
        if not actions:
            if button.get("callback_data") == "":
                raise _bad_request("BUTTON_DATA_INVALID")
            raise _bad_request(
                "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
            )
        if len(actions) > 1:
            # Stricter than Telegram (which silently keeps one of them): it is always a bug.
            raise _bad_request("BUTTON_DATA_INVALID")
        action = actions[0]
        if action == "callback_data":
            data = button["callback_data"]
            if not isinstance(data, str) or len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
                raise _bad_request("BUTTON_DATA_INVALID")
        if action == "url" and not isinstance(button["url"], str):
            raise _bad_request("BUTTON_URL_INVALID")
        return {"text": text, action: button[action]}

    def _bot_message(self, user: FakeUser, **fields: Any) -> _StoredMessage:
        stored = _StoredMessage(
            chat_id=user.chat_id,
            message_id=self._new_message_id(user.chat_id),
            from_bot=True,
            date=int(time.time()),
            **fields,
        )
        self._messages[(stored.chat_id, stored.message_id)] = stored
        if stored.other_markup is not None:
            user._set_reply_keyboard(stored.other_markup)
        user._record(self._snapshot(stored, edited=False))
        self.stats.sent += 1
        self.stats.per_chat[user.chat_id] += 1
        key_text = stored.text if stored.text is not None else f"[document] {stored.caption or ''} {stored.document.file_name if stored.document else ''}"  # fmt: skip
        self.stats.texts[(user.chat_id, key_text)] += 1
        return stored

    def _message_to_edit(self, params: _Params) -> tuple[FakeUser, _StoredMessage] | None:
        """The stored message designated by chat_id + message_id (None for inline messages)."""
        if params.has("inline_message_id") and not params.has("chat_id"):
            return None
        user = self._chat(params, for_sending=False)
        message_id = params.int("message_id")
        if message_id is None:
            raise _bad_request("message identifier is not specified")
        stored = self._messages.get((user.chat_id, message_id))
        if stored is None or stored.deleted:
            raise _bad_request("message to edit not found")
        if not stored.from_bot:
            raise _bad_request("message can't be edited")
        return user, stored

    def _record_edit(self, user: FakeUser, stored: _StoredMessage) -> dict[str, Any]:
        stored.edit_date = int(time.time())
        user._record(self._snapshot(stored, edited=True))
        self.stats.edited += 1
        return self._message_json(stored)

    # ------------------------------------------------------------------ methods

    def _get_me(self, params: _Params) -> dict[str, Any]:
        return {
            **self.bot_user_json(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: _Params) -> list[dict[str, Any]]:
        if self._webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.int("offset", 0) or 0
        limit = max(1, min(params.int("limit", 100) or 100, 100))
        timeout = max(0, params.int("timeout", 0) or 0)
        allowed = params.json("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) if allowed else _DEFAULT_ALLOWED_UPDATES
        if offset:
            self._confirm(offset)
        self._poll_generation += 1
        generation = self._poll_generation

        def ready() -> bool:
            return bool(self._pending) or self._closing or generation != self._poll_generation

        if timeout and not ready():
            condition = self._condition
            async with condition:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(condition.wait_for(ready), timeout)
        if generation != self._poll_generation:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        if self._webhook is not None or self._closing:
            return []
        result = [
            update
            for update in self._pending
            if id(update) in self._forced or update["update_id"] >= offset
        ][:limit]
        delivered = {id(update) for update in result} & self._forced
        if delivered:
            self._forced -= delivered
            self._pending = [update for update in self._pending if id(update) not in delivered]
        return result

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            # Negative offsets select the last updates, forgetting the previous ones.
            self._pending = self._pending[offset:]
            return
        self._pending = [
            update
            for update in self._pending
            if id(update) in self._forced or update["update_id"] >= offset
        ]

    async def _set_webhook(self, params: _Params) -> tuple[bool, str]:
        url = params.str("url", "") or ""
        if url == "":
            return await self._delete_webhook(params)
        if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.str("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise _bad_request("secret token contains unallowed characters")
        allowed = params.json("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) if allowed else _DEFAULT_ALLOWED_UPDATES
        if params.bool("drop_pending_updates"):
            self._pending.clear()
        self._webhook = _Webhook(
            url=url,
            secret_token=secret,
            max_connections=params.int("max_connections", 40) or 40,
            allowed_updates=allowed if isinstance(allowed, list) else None,
        )
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.create_task(self._deliver_webhooks())
        return True, "Webhook was set"

    async def _delete_webhook(self, params: _Params) -> tuple[bool, str]:
        if params.bool("drop_pending_updates"):
            self._pending.clear()
        if self._webhook is None:
            return True, "Webhook is already deleted"
        self._webhook = None
        return True, "Webhook was deleted"

    def _get_webhook_info(self, params: _Params) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self._webhook.url if self._webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self._webhook is not None:
            info["max_connections"] = self._webhook.max_connections
            info["ip_address"] = "127.0.0.1"
            if self._webhook.allowed_updates is not None:
                info["allowed_updates"] = self._webhook.allowed_updates
            if self._webhook.last_error_date is not None:
                info["last_error_date"] = self._webhook.last_error_date
                info["last_error_message"] = self._webhook.last_error_message
        return info

    async def _deliver_webhooks(self) -> None:
        condition = self._condition
        if self._client is None:
            self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        while not self._closing:
            async with condition:
                await condition.wait_for(
                    lambda: self._closing or (self._webhook is not None and bool(self._pending))
                )
            if self._closing:
                return
            webhook = self._webhook
            assert webhook is not None
            update = self._pending[0]
            headers = {}
            if webhook.secret_token:
                headers["X-Telegram-Bot-Api-Secret-Token"] = webhook.secret_token
            error: str | None = None
            try:
                async with self._client.post(webhook.url, json=update, headers=headers) as response:
                    if not 200 <= response.status < 300:
                        error = (
                            f"Wrong response from the webhook: {response.status} {response.reason}"
                        )
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                error = f"Connection error: {exc!r}"
            if error is None:
                if self._pending and self._pending[0] is update:
                    self._pending.pop(0)
                await self._notify()
                continue
            webhook.last_error_date = int(time.time())
            webhook.last_error_message = error
            await self._notify()
            # Back off before retrying (or until the webhook changes / the server stops).
            failed = webhook

            def changed(failed: _Webhook = failed) -> bool:
                return self._closing or self._webhook is not failed

            async with condition:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(condition.wait_for(changed), 0.2)

    def _set_my_commands(self, params: _Params) -> bool:
        commands = params.json("commands")
        if not isinstance(commands, list):
            raise _bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad_request("too many commands specified")
        checked: list[dict[str, Any]] = []
        for command in commands:
            if not isinstance(command, dict):
                raise _bad_request("can't parse BotCommand")
            name = command.get("command")
            description = command.get("description")
            if not isinstance(name, str) or not _COMMAND_RE.fullmatch(name.removeprefix("/")):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            checked.append({"command": name.removeprefix("/"), "description": description})
        self.commands[self._commands_key(params)] = checked
        return True

    @staticmethod
    def _commands_key(params: _Params) -> tuple[str, str]:
        scope = params.json("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), params.str("language_code", "") or ""

    def _get_my_commands(self, params: _Params) -> list[dict[str, Any]]:
        return self.commands.get(self._commands_key(params), [])

    def _delete_my_commands(self, params: _Params) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    def commands_for(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        """The commands set by the bot for ``scope`` (default scope when None)."""
        key = json.dumps(scope or {"type": "default"}, sort_keys=True)
        return self.commands.get((key, language_code), [])

    def _send_message(self, params: _Params) -> dict[str, Any]:
        user = self._chat(params)
        text, entities = self._message_text(params, editing=False)
        inline, other = self._markup(params)
        stored = self._bot_message(
            user,
            text=text,
            entities=entities,
            source_text=params.str("text"),
            parse_mode=params.str("parse_mode"),
            inline_markup=inline,
            other_markup=other,
        )
        return self._message_json(stored)

    def _edit_message_text(self, params: _Params) -> dict[str, Any] | bool:
        target = self._message_to_edit(params)
        text, entities = self._message_text(params, editing=True)
        inline, _ = self._markup(params)
        if target is None:
            raise _bad_request("MESSAGE_ID_INVALID")
        user, stored = target
        if stored.text is None:
            raise _bad_request("there is no text in the message to edit")
        if (stored.text, stored.entities, stored.inline_markup) == (text, entities, inline):
            raise _bad_request(_NOT_MODIFIED)
        stored.text = text
        stored.entities = entities
        stored.source_text = params.str("text")
        stored.parse_mode = params.str("parse_mode")
        stored.inline_markup = inline
        return self._record_edit(user, stored)

    def _edit_message_reply_markup(self, params: _Params) -> dict[str, Any] | bool:
        target = self._message_to_edit(params)
        inline, _ = self._markup(params)
        if target is None:
            raise _bad_request("MESSAGE_ID_INVALID")
        user, stored = target
        if stored.inline_markup == inline:
            raise _bad_request(_NOT_MODIFIED)
        stored.inline_markup = inline
        return self._record_edit(user, stored)

    def _edit_message_caption(self, params: _Params) -> dict[str, Any] | bool:
        target = self._message_to_edit(params)
        caption, entities = self._caption(params)
        inline, _ = self._markup(params)
        if target is None:
            raise _bad_request("MESSAGE_ID_INVALID")
        user, stored = target
        if stored.document is None:
            raise _bad_request("there is no caption in the message to edit")
        if (stored.caption, stored.entities, stored.inline_markup) == (caption, entities, inline):
            raise _bad_request(_NOT_MODIFIED)
        stored.caption = caption
        stored.entities = entities
        stored.inline_markup = inline
        return self._record_edit(user, stored)

    def _answer_callback_query(self, params: _Params) -> bool:
        query_id = params.str("callback_query_id")
        record = self.callbacks.get(query_id or "")
        if record is None or record.answered:
            raise _bad_request(_QUERY_TOO_OLD)
        text = params.str("text")
        if text is not None and len(text) > 200:
            raise _bad_request("MESSAGE_TOO_LONG")
        record.answered = True
        record.answer = self._normalized(dict(params.values))
        return True

    def _send_document(self, params: _Params) -> dict[str, Any]:
        user = self._chat(params)
        value = params.values.get("document")
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.values.get(value.removeprefix("attach://"))
        if isinstance(value, UploadedFile):
            if not value.data:
                raise _bad_request("file must be non-empty")
            mime = value.content_type
            if not mime or mime == "application/octet-stream":
                guessed = mimetypes.guess_type(value.file_name or "")[0]
                mime = guessed or mime or "application/octet-stream"
            file = self._store_file(value.data, value.file_name, mime)
        elif isinstance(value, str) and value in self.files:
            file = self.files[value]
        elif value is None or value == "":
            raise _bad_request("there is no document in the request")
        else:
            raise _bad_request("wrong file identifier/HTTP URL specified")
        caption, entities = self._caption(params)
        inline, other = self._markup(params)
        stored = self._bot_message(
            user,
            caption=caption,
            entities=entities,
            source_text=params.str("caption"),
            parse_mode=params.str("parse_mode"),
            document=file,
            inline_markup=inline,
            other_markup=other,
        )
        return self._message_json(stored)

    def _send_chat_action(self, params: _Params) -> bool:
        user = self._chat(params)
        action = params.str("action")
        if action not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        user.chat_actions.append(action)
        return True

    def _get_file(self, params: _Params) -> dict[str, Any]:
        file = self.files.get(params.str("file_id") or "")
        if file is None:
            raise _bad_request("invalid file_id")
        if file.size > MAX_DOWNLOAD_SIZE:
            raise _bad_request("file is too big")
        return {
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
            "file_size": file.size,
            "file_path": file.file_path,
        }

    def _delete_message(self, params: _Params) -> bool:
        user = self._chat(params, for_sending=False)
        stored = self._messages.get((user.chat_id, params.int("message_id") or 0))
        if stored is None or stored.deleted:
            raise _bad_request("message to delete not found")
        stored.deleted = True
        user.deleted_message_ids.append(stored.message_id)
        return True

    def _close(self, params: _Params) -> bool:
        self.closed = True
        return True

    def _log_out(self, params: _Params) -> bool:
        self.logged_out = True
        return True
