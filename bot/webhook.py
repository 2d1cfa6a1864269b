"""The webhook server: an update is answered 200 only once it is handled.

python-telegram-bot's own webhook server answers 200 as soon as the update is queued in memory: a
process killed (or stopped) a moment later has lost updates Telegram will never send again, and
with several processes behind one webhook a user's next update, delivered as soon as the previous
one got its 200, can be handled by another process while the first is still being handled (two
quick answers swapped). Here the request is answered once the update went through the per-user
processor (its answer committed, its replies sent): Telegram sends a chat's next update only then,
and redelivers an update that got no 200 (the processed update ids make the redelivery harmless).

On aiohttp's server (``WebhookServer``), with the same limits as before: a body over ``max_body``
is refused from its ``Content-Length`` before it is read; the secret token is checked.
"""

from __future__ import annotations

import asyncio
import contextvars
import hmac
import logging
from http import HTTPStatus
from typing import Any

import pydantic_core
from aiohttp import web

log = logging.getLogger("formabot.webhook")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
STOP_GRACE = 5.0  # seconds

# The Bot API method (``{"method": …, params…}``) the current webhook request will answer with,
# set by ``in_response``; None outside a webhook request.
_response: contextvars.ContextVar[dict[str, object] | None] = contextvars.ContextVar(
    "webhook_response", default=None
)


def responding() -> bool:
    """Whether a webhook request is being handled and its response's body is still free."""
    holder = _response.get()
    return holder is not None and not holder


def in_response(method: str, **params: object) -> bool:
    """Put ``method`` in the body of the webhook response being prepared, which Telegram then
    executes: one request saved. False (nothing done: make the call yourself) outside a webhook
    request or when the response already carries a method (Telegram takes one).

    Telegram never says whether a method in a response succeeded, and it is executed only after
    the 200, i.e. after every other call of the update: only the update's last call belongs here,
    and only one whose failure costs little. Two do: ``answerCallbackQuery`` (the button's
    spinner; if it is lost, the client stops it by itself after a few seconds), and the
    ``sendMessage`` of a reply to a typed message when it is the reply's only message (no
    document, one part, paced like any message): what it could meet is a blocked bot (nobody to
    tell), a 429 (the pacing makes it unlikely) or a refused text (a bug: our templates are
    tested against the Bot API's limits); the answer itself is already committed, and the user's
    next message or ``/menu`` shows the screen again. A response Telegram did not get (the
    process killed after the commit) is retried by Telegram: the update comes again, is found
    processed, and its current screen is sent again (``Incoming.show_again``)."""
    holder = _response.get()
    if holder is None or holder:
        return False
    holder.update({"method": method, **params})
    return True


def update_key(update: dict[str, Any]) -> int:
    """The per-user processor's key of an update's JSON: its user, else its chat, else 0 (as
    ``bot.ordering.PerUserUpdateProcessor`` keys python-telegram-bot's updates)."""
    for kind in ("message", "callback_query"):
        part = update.get(kind)
        if isinstance(part, dict):
            user = part.get("from")
            if isinstance(user, dict) and isinstance(user.get("id"), int):
                return int(user["id"])
            message = part.get("message") if kind == "callback_query" else part
            chat = message.get("chat") if isinstance(message, dict) else None
            if isinstance(chat, dict) and isinstance(chat.get("id"), int):
                return int(chat["id"])
    return 0


def _refused(status: HTTPStatus) -> web.Response:
    """An error answer after which the connection is closed (its body, if any, is never read)."""
    response = web.Response(status=status)
    response.force_close()
    return response


class WebhookServer:
    """Serves ``path`` on ``listen:port`` for ``app`` (an initialised, started PTB application)
    and ``channel``, which reads each update from its JSON (``bot.updates.from_json``).

    aiohttp's server (its HTTP parser in C): tornado's, pure Python, took about a tenth of the
    bot's CPU per update on a busy webhook (``bench/README.md``). Refused before the body is read:
    a body announced over ``max_body`` or not announced at all (chunked: Telegram always sends a
    ``Content-Length``) with 400, a wrong or missing secret token with 403; a body that does not
    arrive within ``body_timeout`` seconds with 400."""

    def __init__(
        self, app: Any, channel: Any, *, path: str, secret: str, max_body: int, body_timeout: float
    ) -> None:
        self.app = app
        self.channel = channel  # ``bot.telegram_channel.TelegramChannel``: ``on_webhook``
        self.secret = secret.encode()
        self.max_body = max_body
        self.body_timeout = body_timeout
        server = web.Application(client_max_size=max_body)
        route = f"/{path.strip('/')}"
        server.router.add_post(route, self._post)
        server.router.add_post(route + "/", self._post)
        # At stop, the updates being handled get STOP_GRACE seconds to finish (and their 200);
        # beyond, they are cancelled before their commit or after it: Telegram sends them again.
        # A refused body is never read: no lingering to drain it, the connection is closed.
        self._runner = web.AppRunner(
            server, access_log=None, handle_signals=False, shutdown_timeout=STOP_GRACE,
            lingering_time=0,
        )

    async def listen(self, port: int, address: str) -> None:
        await self._runner.setup()
        await web.TCPSite(self._runner, address, port).start()

    async def stop(self) -> None:
        await self._runner.cleanup()

    async def _post(self, request: web.Request) -> web.Response:
        length = request.content_length
        if length is None or length > self.max_body:
            return _refused(HTTPStatus.BAD_REQUEST)
        token = request.headers.get(SECRET_HEADER)
        if token is None or not hmac.compare_digest(token.encode(), self.secret):
            return _refused(HTTPStatus.FORBIDDEN)
        try:
            body = await asyncio.wait_for(request.read(), self.body_timeout)
            update = pydantic_core.from_json(body)
            if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
                raise ValueError("not an update")
            key = update_key(update)
        except Exception:  # too slow, or not an update: Telegram never sends that
            return _refused(HTTPStatus.BAD_REQUEST)
        app = self.app
        holder: dict[str, object] = {}
        reset = _response.set(holder)
        try:
            # Through the per-user processor (one update of a user at a time), as polling does;
            # the handler's errors are reported by the channel: the update is handled.
            await app.update_processor.process_update(key, self.channel.on_webhook(app.bot, update))
        except Exception as exc:  # not handled: no 200, Telegram sends it again
            log.error("webhook request failed", extra={"error": exc.__class__.__name__})
            return web.Response(status=HTTPStatus.INTERNAL_SERVER_ERROR)
        finally:
            _response.reset(reset)
        if holder:
            return web.Response(body=pydantic_core.to_json(holder), content_type="application/json")
        return web.Response()
