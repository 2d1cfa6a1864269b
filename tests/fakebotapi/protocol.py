"""The wire protocol of the fake Bot API: decoding request parameters and answering errors.

Holds ``ApiError`` (an error answered as ``{"ok": false, "error_code": ..., "description": ...}``),
``Params`` (typed access to one request's parameters, whatever their encoding), ``read_params``
(query string, JSON, url-encoded or multipart body) and ``normalized`` (the decoded values kept in
``RecordedRequest.params``). Nothing here knows about chats or messages.
"""

from __future__ import annotations

import builtins
import contextlib
import json
from typing import Any

from aiohttp import web

from .models import UploadedFile

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


def bad_request(detail: str) -> ApiError:
    """The 400 error Telegram answers, ``Bad Request: <detail>``."""
    return ApiError(400, f"Bad Request: {detail}")


class Params:
    """Typed access to the parameters of one request, whatever its encoding."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def has(self, name: builtins.str) -> bool:
        return self.values.get(name) not in (None, "")

    def str(self, name: builtins.str, default: builtins.str | None = None) -> builtins.str | None:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, UploadedFile):
            raise bad_request(f"wrong type of the parameter {name}")
        return value if isinstance(value, str) else json.dumps(value)

    def int(self, name: builtins.str, default: builtins.int | None = None) -> builtins.int | None:
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

    def bool(self, name: builtins.str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        return bool(value)

    def json(self, name: builtins.str) -> Any:
        value = self.values.get(name)
        if isinstance(value, str):
            if value == "":
                return None
            try:
                return json.loads(value)
            except ValueError as error:
                raise bad_request(f"can't parse {name} JSON object") from error
        return value


async def read_params(request: web.Request) -> dict[str, Any]:
    """The raw parameters of a request: query string, then the JSON or form body."""
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
                values[name] = UploadedFile(value.file.read(), value.filename, value.content_type)
            else:
                values[name] = value
    return values


def normalized(values: dict[str, Any]) -> dict[str, Any]:
    """The parameters as recorded: JSON, integer and boolean parameters decoded from strings."""
    decoded: dict[str, Any] = {}
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
        decoded[name] = value
    return decoded


def json_response(status: int, body: dict[str, Any]) -> web.Response:
    return web.json_response(body, status=status)
