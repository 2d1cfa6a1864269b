"""The dialogs on Telegram (python-telegram-bot 22): updates in, replies out.

The dialog engine commits every answer before it returns the replies, so a reply is only ever sent
for something already stored. PTB's in-memory conversation state is not used at all.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.exc import DBAPIError
from telegram import Bot, BotCommand, InputFile, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot import bot_api
from bot.http_client import bot_request
from bot.ordering import FlowControlledRequest, PerUserUpdateProcessor
from bot.throttle import ChatThrottle
from bot.updates import Pressed, from_json, from_update
from bot.uploads import with_catalogue
from bot.webhook import in_response, responding
from dialogs.engine import DialogEngine
from dialogs.io import Incoming, Reply
from dialogs.printing import PrintFailed
from dialogs.render import TELEGRAM_LIMIT, split_message, text

log = logging.getLogger("formabot.telegram")

COMMANDS = (
    ("start", "Commencer, ou se rattacher avec un code"),
    ("menu", "Vos actions de formation"),
    ("nouvelle", "Créer une action de formation"),
    ("dates", "Mettre à jour des sessions"),
    ("aide", "Où suis-je, que puis-je faire ?"),
    ("annuler", "Abandonner l'opération en cours"),
)
SEND_PATIENCE = 180.0  # seconds a reply keeps being retried while Telegram cannot be reached
STORE_PATIENCE = 600.0  # seconds an answer is kept pending while the database cannot store it


def fold_notices(replies: Sequence[Reply]) -> Sequence[Reply]:
    """Short notices before a screen (« Bienvenue… », « Opération impossible… ») go on top of the
    screen's own message: one message to read (and one to send) instead of several, and a pressed
    button's message can still be edited in place."""
    if len(replies) < 2 or not replies[-1].screen:
        return replies
    *notices, screen = replies
    if any(n.buttons or n.document is not None or n.screen for n in notices):
        return replies
    text = "\n\n".join([*(n.text for n in notices), screen.text])
    if len(text) > TELEGRAM_LIMIT:
        return replies
    return [dataclasses.replace(screen, text=text)]


class TelegramChannel:
    def __init__(self, engine: DialogEngine, *, per_chat_rate: float = 1.0) -> None:
        self.engine = engine
        self.throttle = ChatThrottle(rate=per_chat_rate)
        self._printing: set[asyncio.Task[None]] = set()

    async def on_update(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """python-telegram-bot's handler (long polling): the update it has parsed."""
        if not isinstance(update, Update):
            return
        await self.handle(context.bot, *from_update(update))

    async def on_webhook(self, bot: Bot, update: Mapping[str, Any]) -> None:
        """A webhook request's update, read from its JSON (``bot.updates.from_json``); an error
        escaping the handler is dealt with as python-telegram-bot's error handler does
        (``report_error``): the request is answered, the update is not sent again."""
        inc, pressed = from_json(update)
        try:
            await self.handle(bot, inc, pressed)
        except Exception as exc:
            await report_error(bot, inc.chat_id if inc is not None else None, exc)

    async def handle(self, bot: Bot, inc: Incoming | None, pressed: Pressed | None) -> None:
        """One update: the dialog step, then its replies (the pressed button answered, its
        message edited into the new screen when it can be)."""
        if inc is None:
            if pressed is not None:
                await self._answer(bot, pressed, None)
            return
        inc = await with_catalogue(bot, inc)  # a catalogue's bytes, read before the step
        if responding():
            # Telegram sends an update again only if it got no 200: its replies may be lost.
            inc = dataclasses.replace(inc, show_again=True)
        replies = await self._handle_until_stored(bot, inc, pressed)
        if replies is None:
            return
        log.debug("update handled", extra={"update_id": inc.update_id, "chat": inc.chat_id, "replies": len(replies)})
        if pressed is not None:
            alert = next((r.alert for r in replies if r.alert), None)
            await self._answer(bot, pressed, alert, in_webhook_response=True)
        for reply in replies:
            if reply.pending is not None:
                self._print(bot, inc, reply)
        now = [r for r in replies if r.pending is None]  # the PDF's reply goes once it is made
        if pressed is None and await self._reply_in_response(inc.chat_id, now):
            return
        await self.send(bot, inc.chat_id, now, edit=pressed)

    async def _reply_in_response(self, chat_id: int, replies: Sequence[Reply]) -> bool:
        """On a webhook, a reply that is one message (one part, no document) goes in the
        response's body, paced like any message: one request saved (``bot.webhook.in_response``
        says what that costs). False: send it as usual."""
        if not responding():
            return False
        folded = fold_notices(replies)
        if len(folded) != 1 or folded[0].document is not None or len(folded[0].text) > TELEGRAM_LIMIT:
            return False
        await self.throttle.wait(chat_id)
        return in_response("sendMessage", **bot_api.message_in_body(chat_id, folded[0]))

    def _print(self, bot: Bot, inc: Incoming, reply: Reply) -> None:
        """Make the reply's PDF in the printer's worker and send it once ready, as a task of its own:
        the user's next updates (and everybody else's) go on meanwhile. The step is already stored."""

        async def make_and_send() -> None:
            assert reply.pending is not None
            try:
                document = await self.engine.printer.render(inc.user_id, reply.pending)
            except PrintFailed as exc:
                log.warning("could not make a document", extra={"chat": inc.chat_id, "error": str(exc)})
                await self._send_one(bot, inc.chat_id, Reply(text("print_failed")))
                return
            await self._send_one(bot, inc.chat_id, dataclasses.replace(reply, document=document, pending=None))

        task = asyncio.create_task(make_and_send())
        self._printing.add(task)
        task.add_done_callback(self._printed)

    def _printed(self, task: asyncio.Task[None]) -> None:
        self._printing.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            log.error("could not send a document", extra={"error": exc.__class__.__name__})

    async def stop_printing(self) -> None:
        """Stop: documents still in preparation are dropped (the users may press again)."""
        for task in list(self._printing):
            task.cancel()
        await asyncio.gather(*self._printing, return_exceptions=True)

    async def _handle_until_stored(
        self, bot: Bot, inc: Incoming, pressed: Pressed | None
    ) -> list[Reply] | None:
        """The dialog step, retried while the database cannot store it (locked, disk full, down).

        The user is told at once that the answer is not saved yet and waits; their next updates
        wait behind this one (per-user ordering), other users go on. Nothing is pretended: the
        usual reply comes only once the answer is committed. After ``STORE_PATIENCE`` seconds the
        user is told to send it again.
        """
        delay, waited, told = 1.0, 0.0, False
        while True:
            try:
                return await self.engine.handle(inc)
            except (DBAPIError, OSError) as exc:
                log.warning("cannot store an update, keeping it pending",
                            extra={"chat": inc.chat_id, "error": exc.__class__.__name__, "waited": waited})
                if not told:
                    told = True
                    if pressed is not None:
                        await self._answer(bot, pressed, None)
                    await self._send_one(bot, inc.chat_id, Reply(text("storage_unavailable")))
                if waited >= STORE_PATIENCE:
                    await self._send_one(bot, inc.chat_id, Reply(text("storage_gave_up")))
                    return None
                await asyncio.sleep(delay)  # backoff before trying to store it again
                waited += delay
                delay = min(delay * 2, 30.0)

    async def _answer(
        self, bot: Bot, pressed: Pressed, alert: str | None, *, in_webhook_response: bool = False
    ) -> None:
        """Answer the pressed button; on a webhook (``in_webhook_response``), in the response's body
        (``bot.webhook.in_response``: one request saved, the answer committed before it)."""
        answer = bot_api.callback_answer(pressed.query_id, alert)
        if in_webhook_response and in_response("answerCallbackQuery", **answer):
            return
        try:
            await self._call(None, lambda: bot_api.answer_callback_query(bot, pressed.query_id, alert))
        except BadRequest:
            log.info("callback query too old to answer")  # the reply still goes out as a message

    async def send(
        self, bot: Bot, chat_id: int, replies: Sequence[Reply], *, edit: Pressed | None = None
    ) -> None:
        """Send the replies in order; the screen message replaces the pressed one when it can."""
        replies = fold_notices(replies)
        editable = (
            edit is not None and edit.message_id is not None
            and len(replies) == 1 and replies[0].document is None
        )
        for reply in replies:
            if editable and reply.screen and len(reply.text) <= TELEGRAM_LIMIT:
                assert edit is not None
                if await self._edit(bot, edit, reply):
                    continue
            await self._send_one(bot, chat_id, reply)

    async def _edit(self, bot: Bot, pressed: Pressed, reply: Reply) -> bool:
        chat_id, message_id = pressed.chat_id, pressed.message_id
        assert chat_id is not None and message_id is not None
        try:
            await self._call(chat_id, lambda: bot_api.edit_message_text(
                bot, chat_id, message_id, reply.text, bot_api.keyboard_json(reply)))
            return True
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return True
            log.info("edit refused, sending a new message", extra={"error": exc.__class__.__name__})
            return False

    async def _send_one(self, bot: Bot, chat_id: int, reply: Reply) -> None:
        parts = split_message(reply.text)
        for i, part in enumerate(parts):
            keyboard = bot_api.keyboard_json(reply) if i == len(parts) - 1 else None  # buttons under the last part
            await self._call(chat_id, functools.partial(bot_api.send_message, bot, chat_id, part, keyboard))
        if reply.document is not None:
            doc = reply.document
            await self._call(chat_id, lambda: bot.send_document(
                chat_id, InputFile(doc.content, filename=doc.file_name), filename=doc.file_name))

    async def _call(self, chat_id: int | None, send: object) -> None:
        """One API call with the per-chat pacing (``chat_id``; None: not a message, no pacing).

        429 waits ``retry_after`` and tries again; a network error or a timeout backs off and tries
        again for up to ``SEND_PATIENCE`` seconds (Telegram down for a while: the reply still comes
        once it is back); 403 marks the chat unreachable; BadRequest goes to the caller.
        """
        assert callable(send)
        delay, waited, attempt = 0.5, 0.0, 0
        while True:
            if chat_id is not None:
                await self.throttle.wait(chat_id)
            try:
                await send()
                return
            except RetryAfter as exc:
                wait = exc.retry_after if isinstance(exc.retry_after, int | float) else exc.retry_after.total_seconds()
                await asyncio.sleep(float(wait))
            except Forbidden:
                log.info("chat unreachable (bot blocked)", extra={"chat": chat_id})
                if chat_id is not None:
                    await self.engine.mark_unreachable(chat_id)
                return
            except BadRequest:
                raise  # a subclass of NetworkError in PTB, but final: retrying cannot help
            except (TimedOut, NetworkError) as exc:
                attempt += 1
                if waited >= SEND_PATIENCE:
                    raise
                log.info("network error, retrying", extra={"error": exc.__class__.__name__, "attempt": attempt})
                await asyncio.sleep(delay)
                waited += delay
                delay = min(delay * 2, 10.0)


def build_application(
    token: str,
    base_url: str,
    engine: DialogEngine,
    *,
    rate_limiter: bool = True,
    chat_rate: float = 1.0,
    global_rate: float = 30.0,
    connections: int = 8,
    fast_paths: bool = True,
) -> tuple[Application, TelegramChannel]:  # type: ignore[type-arg]
    """The PTB application: per-user ordering, rate limiting, one handler for every update;
    ``connections`` Bot API calls in flight at most, on ``bot.http_client``'s request
    (``fast_paths``) or python-telegram-bot's own."""
    file_url = base_url[: -len("/bot")] + "/file/bot" if base_url.endswith("/bot") else base_url
    processor = PerUserUpdateProcessor(256)
    builder: ApplicationBuilder = (  # type: ignore[type-arg]
        Application.builder()
        .token(token)
        .base_url(base_url)
        .base_file_url(file_url)
        .concurrent_updates(processor)
        .request(bot_request(connections, fast_paths=fast_paths))
        .get_updates_request(FlowControlledRequest(processor.flow, bot_request(1, fast_paths=fast_paths)))
    )
    if rate_limiter:
        builder = builder.rate_limiter(AIORateLimiter(overall_max_rate=global_rate, max_retries=3))
    app = builder.build()
    channel = TelegramChannel(engine, per_chat_rate=chat_rate)
    app.add_handler(TypeHandler(Update, channel.on_update))
    app.add_error_handler(_on_error)
    return app, channel


async def register_commands(app: Application) -> None:  # type: ignore[type-arg]
    """The commands menu; a refusal or an outage at start is logged, the bot runs anyway."""
    try:
        await app.bot.set_my_commands([BotCommand(c, d) for c, d in COMMANDS])
    except TelegramError as exc:
        log.warning("could not register the commands menu", extra={"error": exc.__class__.__name__})


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """python-telegram-bot's error handler (long polling): ``report_error``."""
    chat = update.effective_chat if isinstance(update, Update) else None
    await report_error(context.bot, chat.id if chat is not None else None, context.error)


async def report_error(bot: Bot, chat_id: int | None, error: BaseException | None) -> None:
    """An unexpected error: logged without the message content; the user is told, nothing else."""
    log.error("error while handling an update", exc_info=error)
    if chat_id is not None:
        try:
            await bot.send_message(chat_id, text("internal_error"), parse_mode=ParseMode.HTML)
        except Exception:
            log.warning("could not tell the user about the error")
