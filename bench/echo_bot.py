"""A bare python-telegram-bot echo bot: the ceiling the formabot benchmark is compared with.

No logic, no storage: every text is answered with the same text, every callback query with an
answer and a message. Long polling; with ``ECHO_WEBHOOK_URL`` (and ``ECHO_WEBHOOK_PORT``), a webhook
served on loopback by python-telegram-bot's ``run_webhook`` instead. python-telegram-bot's own
HTTP client (httpx); with ``ECHO_HTTP=formabot``, formabot's (``bot.http_client``, on aiohttp), to
tell how much of a difference between the two bots is the transport's.

    FORMABOT_TELEGRAM_API_URL=http://127.0.0.1:PORT/bot FORMABOT_TELEGRAM_TOKEN=123456:TEST \\
        python bench/echo_bot.py

FORMABOT_TELEGRAM_API_URL defaults to https://api.telegram.org/bot; the file URL is derived from it
(``.../bot`` -> ``.../file/bot``).
"""

from __future__ import annotations

import logging
import os
import sys

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

DEFAULT_API_URL = "https://api.telegram.org/bot"


def file_url_for(api_url: str) -> str:
    """The Bot API file URL matching a Bot API base URL."""
    root, separator, last = api_url.rstrip("/").rpartition("/")
    if separator and last == "bot":
        return f"{root}/file/bot"
    return f"{api_url.rstrip('/')}/file/bot"


async def echo_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text:
        await message.reply_text(message.text)


async def echo_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    chat = update.effective_chat
    if chat is not None:
        await context.bot.send_message(chat.id, f"callback: {query.data}")


def build_application(token: str, api_url: str) -> Application:  # type: ignore[type-arg]
    builder = (
        Application.builder()
        .token(token)
        .base_url(api_url)
        .base_file_url(file_url_for(api_url))
    )
    if os.environ.get("ECHO_HTTP") == "formabot":
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        from bot.http_client import bot_request

        builder = builder.request(bot_request(256)).get_updates_request(bot_request(1))
    application = builder.build()
    application.add_handler(MessageHandler(filters.TEXT, echo_text))
    application.add_handler(CallbackQueryHandler(echo_callback))
    return application


def main() -> int:
    token = os.environ.get("FORMABOT_TELEGRAM_TOKEN", "")
    if not token:
        print("FORMABOT_TELEGRAM_TOKEN is not set", file=sys.stderr)
        return 2
    api_url = os.environ.get("FORMABOT_TELEGRAM_API_URL", DEFAULT_API_URL)
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    application = build_application(token, api_url)
    webhook_url = os.environ.get("ECHO_WEBHOOK_URL")
    if webhook_url:
        application.run_webhook(
            listen="127.0.0.1",
            port=int(os.environ.get("ECHO_WEBHOOK_PORT", "8443")),
            url_path=webhook_url.rsplit("/", 1)[-1],
            webhook_url=webhook_url,
            allowed_updates=Update.ALL_TYPES,
        )
        return 0
    application.run_polling(poll_interval=0, timeout=10, allowed_updates=Update.ALL_TYPES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
