"""The webhook server: an update is answered 200 only once it is handled.

python-telegram-bot's own webhook server answers 200 as soon as the update is queued in memory: a
process killed (or stopped) a moment later has lost updates Telegram will never send again, and
with several processes behind one webhook a user's next update, delivered as soon as the previous
one got its 200, can be handled by another process while the first is still being handled (two
quick answers swapped). Here the request is answered once the update went through the per-user
processor (its answer committed, its replies sent): Telegram sends a chat's next update only then,
and redelivers an update that got no 200 (the processed update ids make the redelivery harmless).

Tornado (python-telegram-bot's webhook dependency), with the same limits as before: a body over
``max_body`` is refused from its ``Content-Length`` before it is read; the secret token is checked.
"""

from __future__ import annotations

import contextvars
import hmac
import json
import logging
from http import HTTPStatus
from typing import Any

import tornado.web
from telegram import Update
from tornado.httpserver import HTTPServer

log = logging.getLogger("formabot.webhook")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

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


class _UpdateHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("POST",)

    def initialize(self, app: Any, secret: str) -> None:
        self.app = app
        self.secret = secret

    async def post(self) -> None:
        token = self.request.headers.get(SECRET_HEADER)
        if token is None or not hmac.compare_digest(token.encode(), self.secret.encode()):
            raise tornado.web.HTTPError(HTTPStatus.FORBIDDEN)
        try:
            update = Update.de_json(json.loads(self.request.body), self.app.bot)
        except Exception as exc:  # not an update: Telegram never sends that
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST) from exc
        app = self.app
        body: dict[str, object] = {}
        reset = _response.set(body)
        try:
            # Through the per-user processor (one update of a user at a time), as polling does;
            # the handler's errors go to the application's error handler: the update is handled.
            await app.update_processor.process_update(update, app.process_update(update))
        finally:
            _response.reset(reset)
        self.set_status(HTTPStatus.OK)
        if body:
            self.set_header("Content-Type", "application/json")
            self.write(json.dumps(body))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, tornado.web.HTTPError):
            return
        log.error("webhook request failed", extra={"error": getattr(typ, "__name__", "?")})


class WebhookServer:
    """Serves ``path`` on ``listen:port`` for ``app`` (an initialised, started PTB application)."""

    def __init__(
        self, app: Any, *, path: str, secret: str, max_body: int, body_timeout: float
    ) -> None:
        routes = [(rf"/{path.strip('/')}/?", _UpdateHandler, {"app": app, "secret": secret})]
        application = tornado.web.Application(routes, log_function=lambda _handler: None)
        self._server = HTTPServer(application, max_body_size=max_body, body_timeout=body_timeout)

    def listen(self, port: int, address: str) -> None:
        self._server.listen(port, address)

    async def stop(self) -> None:
        self._server.stop()
        await self._server.close_all_connections()
