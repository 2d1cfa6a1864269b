"""Updates for the bot: the queue, long polling (getUpdates) and the webhook (its delivery loop).

``UpdatesMixin`` queues what fake users do (``push_update``; updates of a type the bot did not
ask for in ``allowed_updates`` go to ``dropped_updates``), answers getUpdates like Telegram (offset
confirms, long polling, 409 when a second poller or a webhook is active) and, once setWebhook is
called, POSTs the pending updates to the bot's URL (several at once, one chat's in order), each
retried until it gets a 2xx, with the error recorded in getWebhookInfo.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from .models import CallbackQueryRecord
from .protocol import ApiError, Params, bad_request
from .state import ServerState

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


class UpdatesMixin(ServerState):
    """The update queue, getUpdates, and the webhook."""

    def _init_updates(self) -> None:
        self.dropped_updates: list[dict[str, Any]] = []
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
        self.webhook_deliveries = 0  # updates the webhook answered with a 2xx
        self.webhook_failures = 0  # deliveries that got anything else (each sent again)
        self.via_webhook_response = 0  # Bot API methods found in webhook responses (executed)

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by getUpdates nor delivered to the webhook."""
        return list(self._pending)

    @property
    def webhook_url(self) -> str | None:
        return self._webhook.url if self._webhook else None

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

    async def _stop_updates(self) -> None:
        """Stop the webhook delivery loop and its HTTP client."""
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._client is not None:
            await self._client.close()
            self._client = None

    # ------------------------------------------------------------------ getUpdates

    async def _get_updates(self, params: Params) -> list[dict[str, Any]]:
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

    # ------------------------------------------------------------------ webhook

    async def _set_webhook(self, params: Params) -> tuple[bool, str]:
        url = params.str("url", "") or ""
        if url == "":
            return await self._delete_webhook(params)
        if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.str("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise bad_request("secret token contains unallowed characters")
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

    async def _delete_webhook(self, params: Params) -> tuple[bool, str]:
        if params.bool("drop_pending_updates"):
            self._pending.clear()
        if self._webhook is None:
            return True, "Webhook is already deleted"
        self._webhook = None
        return True, "Webhook was deleted"

    def _get_webhook_info(self, params: Params) -> dict[str, Any]:
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
        """POST pending updates to the webhook like Telegram: up to ``max_connections`` at once, but
        one chat's updates one at a time and in order (a chat's next update only once the previous
        one got a 2xx); an update that got anything else (or no answer) stays pending and is sent
        again after a short back-off. Until the server stops."""
        condition = self._condition
        if self._client is None:
            self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        busy: set[int] = set()  # chats with an update in flight (or backing off)
        tasks: set[asyncio.Task[None]] = set()

        def next_update() -> dict[str, Any] | None:
            webhook = self._webhook
            if webhook is None or len(tasks) >= webhook.max_connections:
                return None
            seen: set[int] = set()
            for update in self._pending:
                chat = _chat_of(update)
                if chat not in busy and chat not in seen:
                    return update
                seen.add(chat)
            return None

        try:
            while not self._closing:
                async with condition:
                    await condition.wait_for(lambda: self._closing or next_update() is not None)
                if self._closing:
                    return
                update = next_update()
                assert update is not None and self._webhook is not None
                chat = _chat_of(update)
                busy.add(chat)
                task = asyncio.create_task(self._post_update(self._webhook, update, chat, busy))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _execute_response(self, body: bytes) -> None:
        """Telegram executes the Bot API method a webhook answered with (``{"method": …, …}``),
        recorded like any call (``via_webhook_response`` counts them); its outcome is told to no
        one, an error included."""
        try:
            values = json.loads(body) if body.strip() else None
        except ValueError:
            return
        if not isinstance(values, dict) or not isinstance(values.get("method"), str):
            return
        method = values.pop("method")
        self.via_webhook_response += 1
        call = getattr(self, "_call", None)
        if call is not None:
            await call(self.token, method, values, in_response=True)

    async def _post_update(
        self, webhook: _Webhook, update: dict[str, Any], chat: int, busy: set[int]
    ) -> None:
        assert self._client is not None
        headers = {}
        if webhook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = webhook.secret_token
        error: str | None = None
        body = b""
        try:
            async with self._client.post(webhook.url, json=update, headers=headers) as response:
                if not 200 <= response.status < 300:
                    error = f"Wrong response from the webhook: {response.status} {response.reason}"
                else:
                    self.webhook_deliveries += 1
                    body = await response.read()
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            error = f"Connection error: {exc!r}"
        if error is None:
            self._pending = [pending for pending in self._pending if pending is not update]
            await self._execute_response(body)
        else:
            webhook.last_error_date = int(time.time())
            webhook.last_error_message = error
            self.webhook_failures += 1
            await self._notify()
            # Back off before retrying (or until the webhook changes / the server stops).

            def changed() -> bool:
                return self._closing or self._webhook is not webhook

            async with self._condition:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._condition.wait_for(changed), 0.2)
        busy.discard(chat)
        await self._notify()


def _chat_of(update: dict[str, Any]) -> int:
    """The chat (private chats: the user) an update belongs to; 0 when it has none."""
    for key, value in update.items():
        if key != "update_id" and isinstance(value, dict):
            owner = value.get("chat") or value.get("from") or {}
            return int(owner.get("id", 0))
    return 0
