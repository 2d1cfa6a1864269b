"""The fake Bot API behaves like Telegram for python-telegram-bot 22."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakebotapi import FakeBotApi, FakeUser, WaitTimeout, parse_html
from tests.fakebotapi import fixtures as fakebotapi_fixtures
from tests.fakebotapi.formatting import EntityParseError

CHAT = 1001

fake_api = fakebotapi_fixtures.fake_api  # registers the shared fixture in this module


@pytest.fixture
def api(fake_api: FakeBotApi) -> FakeBotApi:
    return fake_api


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[Bot]:
    """A bare Bot (no updater) talking to the fake."""
    async with Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url) as bare:
        yield bare


@pytest.fixture
def claire(api: FakeBotApi) -> FakeUser:
    return api.user(CHAT, "Claire", username="claire_of")


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.text is not None
    await update.message.reply_text(update.message.text)


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Oui", callback_data="yes")],
            [InlineKeyboardButton("Non", callback_data="no")],
        ]
    )
    await update.message.reply_text(
        f"Bienvenue {' '.join(context.args or [])}", reply_markup=keyboard
    )


async def _pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("Reçu")
    await query.edit_message_text(f"Choisi : {query.data}")


async def _document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.document is not None
    file = await update.message.document.get_file()
    content = bytes(await file.download_as_bytearray())
    await update.message.reply_text(f"{update.message.document.file_name}: {content.decode()}")


@pytest.fixture
async def echo_app(api: FakeBotApi) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """A bare python-telegram-bot echo bot, long polling the fake."""
    application = (
        Application.builder()
        .token(api.token)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
        .build()
    )
    application.add_handler(CommandHandler("start", _start))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo))
    application.add_handler(MessageHandler(filters.Document.ALL, _document))
    application.add_handler(CallbackQueryHandler(_pressed))
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0, timeout=10)
    yield application
    await application.updater.stop()
    await application.stop()
    await application.shutdown()


def _seconds(error: RetryAfter) -> float:
    # The public ``retry_after`` warns (int now, timedelta in PTB 23): read the stored timedelta.
    retry_after: dtm.timedelta = error._retry_after
    return retry_after.total_seconds()


# ---------------------------------------------------------------------- through a polling bot


async def test_text_is_echoed(echo_app: Application[Any, Any, Any, Any, Any, Any], api: FakeBotApi, claire: FakeUser) -> None:  # fmt: skip
    await claire.send_text("Bonjour, je déclare une action")
    reply = await claire.next_reply()
    assert reply.from_bot and not reply.edited
    assert reply.text == "Bonjour, je déclare une action"
    assert reply.chat_id == CHAT
    assert [m.from_bot for m in claire.messages] == [False, True]
    assert api.requests_for("getMe"), "PTB starts with getMe"


async def test_button_press_is_answered_and_edit_arrives(
    echo_app: Application[Any, Any, Any, Any, Any, Any], api: FakeBotApi, claire: FakeUser
) -> None:
    await claire.send_command("/start", "CODE42")
    welcome = await claire.next_reply()
    assert welcome.text == "Bienvenue CODE42"
    assert welcome.buttons == [[("Oui", "yes")], [("Non", "no")]]
    assert claire.last_keyboard() == welcome.buttons

    query_id = await claire.press("Oui")
    edited = await claire.next_reply()
    assert edited.edited and edited.message_id == welcome.message_id
    assert edited.text == "Choisi : yes"
    assert edited.buttons == [], "editMessageText without reply_markup removes the keyboard"
    await api.wait_until(lambda: not api.unanswered_callbacks())
    assert api.callbacks[query_id].answer is not None
    assert api.callbacks[query_id].answer["text"] == "Reçu"

    with pytest.raises(AssertionError, match="no bot message with an inline keyboard"):
        await claire.press("Non")
    with pytest.raises(AssertionError, match="no button 'Peut-être'"):
        await claire.press("Peut-être", message=welcome.message_id)


async def test_forged_callback_data_reaches_the_bot(
    echo_app: Application[Any, Any, Any, Any, Any, Any], api: FakeBotApi, claire: FakeUser
) -> None:
    await claire.send_command("/start")
    welcome = await claire.next_reply()
    await claire.send_callback("forged:data", welcome)
    edited = await claire.next_reply()
    assert edited.text == "Choisi : forged:data"
    await api.wait_until(lambda: not api.unanswered_callbacks())


async def test_user_document_is_downloaded_by_the_bot_with_get_file(
    echo_app: Application[Any, Any, Any, Any, Any, Any], api: FakeBotApi, claire: FakeUser
) -> None:
    await claire.send_document(b"siret;intitule\n123;CAP", "offre.csv", "text/csv")
    reply = await claire.next_reply()
    assert reply.text == "offre.csv: siret;intitule\n123;CAP"
    assert api.requests_for("getFile")[0].ok


async def test_same_update_id_twice_is_delivered_twice(
    echo_app: Application[Any, Any, Any, Any, Any, Any], api: FakeBotApi, claire: FakeUser
) -> None:
    update = {
        "update_id": 500,
        "message": {
            "message_id": 77,
            "date": 1_700_000_000,
            "chat": claire.chat_json(),
            "from": claire.user_json(),
            "text": "doublon",
        },
    }
    await claire.raw_update(update)
    assert (await claire.next_reply()).text == "doublon"
    await claire.raw_update(update)
    assert (await claire.next_reply()).text == "doublon"
    await claire.send_text("après")
    assert (await claire.next_reply()).text == "après"


async def test_next_reply_times_out_with_a_clear_message(api: FakeBotApi, claire: FakeUser) -> None:
    with pytest.raises(WaitTimeout, match="no reply from the bot within"):
        await claire.next_reply(timeout=0.05)


# ---------------------------------------------------------------------- refusals, with a bare Bot


async def test_text_over_4096_characters_is_refused(bot: Bot, claire: FakeUser) -> None:
    await bot.send_message(CHAT, "é" * 4096)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(CHAT, "é" * 4097)
    # Counted after entity parsing: tags and entities do not count.
    await bot.send_message(CHAT, "<b>" + "&amp;" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(CHAT, "<b>" + "&lt;" * 4097 + "</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(CHAT, "  \n ")
    assert [len(m.text) for m in claire.bot_messages] == [4096, 4096]


async def test_malformed_html_is_refused(bot: Bot, claire: FakeUser) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities: unsupported start tag"):
        await bot.send_message(CHAT, "a < b", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)can't find end tag"):
        await bot.send_message(CHAT, "<b>gras", parse_mode=ParseMode.HTML)
    sent = await bot.send_message(CHAT, "<b>Action</b> &lt;CAP&gt;", parse_mode=ParseMode.HTML)
    assert sent.text == "Action <CAP>"
    reply = await claire.next_reply()
    assert reply.text == "Action <CAP>"
    assert reply.source_text == "<b>Action</b> &lt;CAP&gt;"
    assert [(e.type, e.offset, e.length) for e in reply.entities] == [("bold", 0, 6)]


async def test_callback_data_over_64_bytes_is_refused(bot: Bot, claire: FakeUser) -> None:
    ok = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="é" * 32)]])
    await bot.send_message(CHAT, "64 octets", reply_markup=ok)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="a" * 63 + "é")]])
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(CHAT, "65 octets", reply_markup=too_long)
    no_action = {"inline_keyboard": [[{"text": "rien"}]]}
    with pytest.raises(BadRequest, match=r"(?i)text buttons are unallowed"):
        await bot.send_message(CHAT, "sans action", reply_markup=no_action)  # type: ignore[arg-type]
    two_actions = {
        "inline_keyboard": [[{"text": "2", "callback_data": "a", "url": "https://x.fr"}]]
    }
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(CHAT, "deux actions", reply_markup=two_actions)  # type: ignore[arg-type]


async def test_identical_edit_and_missing_message_are_refused(bot: Bot, claire: FakeUser) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Oui", callback_data="yes")]])
    sent = await bot.send_message(CHAT, "Question", reply_markup=markup)
    assert sent.reply_markup == markup, "the inline keyboard is echoed"
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("Question", CHAT, sent.message_id, reply_markup=markup)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=markup)
    edited = await bot.edit_message_text("Question", CHAT, sent.message_id)
    assert isinstance(edited, object) and claire.last_keyboard() is None
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("Autre", CHAT, 999)
    assert await bot.delete_message(CHAT, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(CHAT, sent.message_id)
    assert claire.deleted_message_ids == [sent.message_id]


async def test_callback_answered_twice_or_unknown_is_refused(
    bot: Bot, api: FakeBotApi, claire: FakeUser
) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Oui", callback_data="yes")]])
    await bot.send_message(CHAT, "Question", reply_markup=markup)
    query_id = await claire.press("yes")  # by callback_data
    assert [record.query_id for record in api.unanswered_callbacks()] == [query_id]
    assert await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query("123")
    assert api.unanswered_callbacks() == []


async def test_injected_429_raises_retry_after(bot: Bot, api: FakeBotApi, claire: FakeUser) -> None:
    api.inject_429(2, retry_after=1)
    for _ in range(2):
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(CHAT, "flood")
        assert _seconds(caught.value) == 1
    await bot.send_message(CHAT, "passé")
    assert [m.text for m in claire.bot_messages] == ["passé"]
    assert api.stats.too_many_requests == 2 and api.stats.sent == 1


async def test_injected_500_and_blocked_chat(bot: Bot, api: FakeBotApi, claire: FakeUser) -> None:
    api.inject_500(1)
    with pytest.raises(NetworkError):
        await bot.send_message(CHAT, "erreur serveur")
    api.block_chat(CHAT)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(CHAT, "bloqué")
    api.unblock_chat(CHAT)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(4242, "inconnu")
    await bot.send_message(CHAT, "débloqué")
    assert [m.text for m in claire.bot_messages] == ["débloqué"]


async def test_enforced_limits_and_stats(bot: Bot, api: FakeBotApi, claire: FakeUser) -> None:
    api.enforce_limits(global_per_s=30, per_chat_per_s=1)
    await bot.send_message(CHAT, "un")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(CHAT, "deux")
    assert _seconds(caught.value) >= 1
    other = api.user(1002, "Marc")
    await bot.send_message(other.chat_id, "un")
    assert api.stats.sent == 2 and api.stats.too_many_requests == 1
    assert api.stats.per_chat == {CHAT: 1, 1002: 1}
    api.disable_limits()
    await bot.send_message(CHAT, "un")
    assert api.stats.duplicates == {(CHAT, "un"): 2}


async def test_send_document_is_stored(bot: Bot, api: FakeBotApi, claire: FakeUser) -> None:
    payload = b'<?xml version="1.0"?><lheo/>'
    sent = await bot.send_document(
        CHAT,
        document=payload,
        filename="export.xml",
        caption="<i>Export</i> LHEO",
        parse_mode="HTML",
    )
    assert sent.document is not None and sent.document.file_name == "export.xml"
    reply = await claire.next_reply()
    assert reply.document is not None
    assert reply.document.data == payload
    assert reply.document.file_name == "export.xml"
    assert reply.document.mime_type in ("application/xml", "text/xml")
    assert reply.text == "Export LHEO"
    request = api.requests_for("sendDocument")[0]
    assert request.params["chat_id"] == CHAT
    # The bot can send the same file again by file_id.
    await bot.send_document(CHAT, document=sent.document.file_id)
    assert (await claire.next_reply()).document == reply.document


async def test_commands_and_chat_action(bot: Bot, api: FakeBotApi, claire: FakeUser) -> None:
    assert await bot.set_my_commands([BotCommand("start", "Commencer"), BotCommand("aide", "Aide")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "aide"]
    assert [c["command"] for c in api.commands_for()] == ["start", "aide"]
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "Majuscule")])
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    assert await bot.send_chat_action(CHAT, "typing")
    assert claire.chat_actions == ["typing"]
    me = await bot.get_me()
    assert me.username == "formabot_test_bot" and me.is_bot


async def test_pause_refuses_connections_until_resume(bot: Bot, api: FakeBotApi) -> None:
    port = api.port
    await bot.get_me()
    await api.pause()
    with pytest.raises(NetworkError):
        await bot.get_me()
    await api.resume()
    assert api.port == port
    assert (await bot.get_me()).username == "formabot_test_bot"


# ---------------------------------------------------------------------- raw HTTP, like Telegram


def _refusal(code: int, description: str) -> dict[str, object]:
    """The Bot API's answer to a refused call."""
    return {"ok": False, "error_code": code, "description": description}


async def test_wrong_token_unknown_method_and_encodings(api: FakeBotApi, claire: FakeUser) -> None:
    root = api.base_url
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{root}999:WRONG/getMe") as response:
            assert response.status == 401
            assert await response.json() == _refusal(401, "Unauthorized")
        async with session.get(f"{root}{api.token}/sendPigeon") as response:
            assert response.status == 404
            assert await response.json() == _refusal(404, "Not Found")
        async with session.post(
            f"{root}{api.token}/sendMessage", json={"chat_id": CHAT, "text": "json"}
        ) as response:
            body = await response.json()
            assert body["ok"] and body["result"]["text"] == "json"
            assert body["result"]["from"]["is_bot"] is True
        async with session.post(
            f"{root}{api.token}/sendMessage", data={"chat_id": str(CHAT), "text": "form"}
        ) as response:
            assert (await response.json())["result"]["text"] == "form"
        async with session.get(
            f"{root}{api.token}/sendMessage", params={"chat_id": str(CHAT), "text": "query"}
        ) as response:
            assert (await response.json())["result"]["text"] == "query"
    assert [m.text for m in claire.bot_messages] == ["json", "form", "query"]
    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=api.base_url):
            pass


async def test_get_updates_long_polls_until_an_update_arrives(
    api: FakeBotApi, claire: FakeUser
) -> None:
    url = f"{api.base_url}{api.token}/getUpdates"
    async with aiohttp.ClientSession() as session:

        async def poll(offset: int) -> list[dict[str, Any]]:
            async with session.post(url, json={"offset": offset, "timeout": 20}) as response:
                body = await response.json()
                assert body["ok"], body
                result: list[dict[str, Any]] = body["result"]
                return result

        waiting = asyncio.create_task(poll(0))
        await api.wait_until(lambda: len(api.requests_for("getUpdates")) == 1)
        assert not waiting.done()
        await claire.send_text("réveil")
        updates = await asyncio.wait_for(waiting, 10)
        assert [u["message"]["text"] for u in updates] == ["réveil"]
        first_id = updates[0]["update_id"]
        await claire.send_text("suivant")
        updates = await poll(first_id + 1)  # confirms the first one
        assert [u["update_id"] for u in updates] == [first_id + 1]
        assert [u["update_id"] for u in api.pending_updates] == [first_id + 1]

        # A second getUpdates terminates the first one with 409, like Telegram.
        older = asyncio.create_task(poll(first_id + 2))
        await api.wait_until(lambda: len(api.requests_for("getUpdates")) == 3)
        async with session.post(url, json={"offset": first_id + 2, "timeout": 0}) as response:
            assert (await response.json())["result"] == []
        with pytest.raises(AssertionError, match="terminated by other getUpdates"):
            await asyncio.wait_for(older, 10)


async def test_webhook_delivers_updates_with_the_secret_token(
    bot: Bot, api: FakeBotApi, claire: FakeUser
) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    arrived = asyncio.Event()

    async def receive(request: web.Request) -> web.Response:
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        arrived.set()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        url = f"http://127.0.0.1:{port}/hook"
        assert await bot.set_webhook(url, secret_token="s3cret-Token_1")
        info = await bot.get_webhook_info()
        assert info.url == url
        with pytest.raises(Exception, match=r"(?i)can't use getupdates method while webhook"):
            await bot.get_updates()

        await claire.send_text("par webhook")
        await asyncio.wait_for(arrived.wait(), 10)
        secret, update = received[0]
        assert secret == "s3cret-Token_1"
        assert update["message"]["text"] == "par webhook"
        assert Update.de_json(update, bot).message.text == "par webhook"  # type: ignore[union-attr]
        await api.wait_until(lambda: not api.pending_updates)
        assert (await bot.get_webhook_info()).pending_update_count == 0

        assert await bot.delete_webhook()
        await claire.send_text("par polling")
        updates = await bot.get_updates(timeout=5)
        assert [u.message.text for u in updates if u.message] == ["par polling"]
        assert len(received) == 1
    finally:
        await runner.cleanup()


# ---------------------------------------------------------------------- HTML parsing


def test_parse_html_like_telegram() -> None:
    parsed = parse_html(
        '<b>Session</b> du 1&#x2F;2 &amp; <a href="https://a.fr/?x=1&amp;y">lien</a>'
    )
    assert parsed.text == "Session du 1/2 & lien"
    assert [(e.type, e.offset, e.length, e.argument) for e in parsed.entities] == [
        ("bold", 0, 7, ""),
        ("text_link", 17, 4, "https://a.fr/?x=1&y"),
    ]
    assert parse_html("R&D &copy; &lt").text == "R&D &copy; <"
    for bad, message in [
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("é<p>", 'Unsupported start tag "p" at byte offset 2'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ]:
        with pytest.raises(EntityParseError) as caught:
            parse_html(bad)
        assert str(caught.value) == message


async def test_json_bodies_are_recorded_normalized(api: FakeBotApi) -> None:
    # Recorded params of a form request are typed like those of a JSON request.
    normalized = api._normalized(
        {"chat_id": "12", "reply_markup": json.dumps({"inline_keyboard": []}), "text": "12"}
    )
    assert normalized == {"chat_id": 12, "reply_markup": {"inline_keyboard": []}, "text": "12"}
