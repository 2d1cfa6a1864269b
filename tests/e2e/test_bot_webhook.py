"""Webhook mode: Telegram (the fake) pushes updates with the secret token; others are refused."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.runtime import BotRuntime
from tests.dialogs.support import field_asked
from tests.e2e.support import Player, new_link_code, settings_for
from tests.fakebotapi import FakeBotApi
from tests.samples import VALID_SAMPLES


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def _webhook_bot(tmp_path: Path) -> AsyncIterator[tuple[FakeBotApi, str, int]]:
    """The bot on a webhook with a secret token, the fake Telegram posting to it: (the fake, a
    member's link code, the webhook's port)."""
    async with FakeBotApi() as api:
        port = free_port()
        settings = settings_for(api, tmp_path / "bot.db", webhook_port=port, webhook_secret="s3cret-token")
        _, code = await new_link_code(settings)
        runtime = BotRuntime(settings, webhook_url=f"http://127.0.0.1:{port}/telegram")
        await runtime.start()
        try:
            yield api, code, port
        finally:
            await runtime.stop()


async def test_webhook_mode_with_secret_token(tmp_path: Path) -> None:
    async with FakeBotApi() as api:
        port = free_port()
        settings = settings_for(api, tmp_path / "bot.db", webhook_listen="127.0.0.1", webhook_port=port,
                                webhook_secret="s3cret-token")
        _, code = await new_link_code(settings)
        url = f"http://127.0.0.1:{port}/telegram"
        runtime = BotRuntime(settings, webhook_url=url)
        await runtime.start()
        try:
            claire = Player(api.user(1001, "Claire"))
            await claire.command("start", code)
            assert "Bienvenue" in claire.text
            forged = {"update_id": 77, "message": {"message_id": 1, "date": 0, "text": "/menu",
                                                   "chat": claire.user.chat_json(), "from": claire.user.user_json()}}
            async with aiohttp.ClientSession() as http:
                async with http.post(url, json=forged, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}) as r:
                    assert r.status == 403
                async with http.post(url, json=forged) as r:
                    assert r.status == 403
        finally:
            await runtime.stop()


async def _raw_post(port: int, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    """An HTTP/1.1 POST written by hand (headers, then ``body``, possibly shorter than announced);
    the whole answer until the server closes the connection."""
    import asyncio

    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
        writer.write(head.encode() + body)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 10)  # the server answers and closes
    finally:
        writer.close()


async def test_webhook_refuses_a_large_body_before_reading_it_and_listens_locally(tmp_path: Path) -> None:
    async with FakeBotApi() as api:
        port = free_port()
        settings = settings_for(api, tmp_path / "bot.db", webhook_port=port, webhook_secret="s3cret-token")
        assert settings.webhook_listen == "127.0.0.1"  # the default: behind a reverse proxy
        _, code = await new_link_code(settings)
        url = f"http://127.0.0.1:{port}/telegram"
        runtime = BotRuntime(settings, webhook_url=url)
        await runtime.start()
        try:
            # 95 MB announced, not a byte of it sent: refused at
            # once from the headers, with a wrong secret, without one, and even with the right one.
            for secret in ("wrong", None, "s3cret-token"):
                headers = {"Content-Type": "application/json", "Content-Length": str(95 * 1024 * 1024)}
                if secret is not None:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = secret
                answer = await _raw_post(port, "/telegram", headers, b'{"update_id": 1')
                assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
            # A chunked body is counted as it comes: a chunk announced past 1 MiB is refused.
            answer = await _raw_post(port, "/telegram", {"Content-Type": "application/json",
                                                         "Transfer-Encoding": "chunked"}, b"%x\r\n" % (2 << 20))
            assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
            # Telegram's own updates still arrive.
            claire = Player(api.user(1001, "Claire"))
            await claire.command("start", code)
            assert "Bienvenue" in claire.text
        finally:
            await runtime.stop()


async def test_webhook_answers_in_the_response_body(tmp_path: Path) -> None:
    """The update's last call goes in the webhook response (one request saved), executed by
    Telegram after the 200: a typed message's reply when it is one message, a pressed button's
    answer (its screen is still an edit the bot makes and sees succeed)."""
    async with _webhook_bot(tmp_path) as (api, code, _port):
        claire = Player(api.user(1001, "Claire"))
        await claire.command("start", code)
        assert "Bienvenue" in claire.text
        # The welcome and the menu, one message, went in the response: no sendMessage call.
        assert api.via_webhook_response == 1
        assert [r.in_response for r in api.requests_for("sendMessage")] == [True]
        await claire.press("➕ Créer une action")
        await claire.press("Région")
        await api.wait_until(lambda: all(c.answered for c in api.callbacks.values()))
        assert len(api.callbacks) == 2 and api.via_webhook_response == 3
        answers = api.requests_for("answerCallbackQuery")
        assert len(answers) == 2 and all(r.ok and r.in_response for r in answers)
        edits = api.requests_for("editMessageText")
        assert len(edits) == 2 and all(r.ok and not r.in_response for r in edits)
        assert "question 1/" in claire.text
        first = claire.current_field()
        assert first is not None
        await claire.say(VALID_SAMPLES[first.key])
        assert "question 2/" in claire.text and api.via_webhook_response == 4
        sent = api.requests_for("sendMessage")
        assert len(sent) == 2 and all(r.ok and r.in_response for r in sent)


async def test_a_processed_update_delivered_again_shows_the_screen_again(tmp_path: Path) -> None:
    """Telegram sends an update again when its 200 did not arrive (the process killed after the
    commit, the response lost): the replies may never have left. The answer is not taken a
    second time; the user is shown where they are, and its buttons work."""
    async with _webhook_bot(tmp_path) as (api, code, _port):
        claire = Player(api.user(1001, "Claire"))
        await claire.command("start", code)
        await claire.press("➕ Créer une action")
        await claire.press("Région")
        first = claire.current_field()
        assert first is not None
        _snapshot, message = api._store_user_message(claire.user, text=VALID_SAMPLES[first.key])
        claire.user.skip_replies()
        update_id = await api.push_update({"message": message})
        second_question = await claire.user.wait_for(lambda m: "question 2/" in m.text)
        second = field_asked(second_question.text)
        assert second is not None and second.key != first.key
        # The same update again: the same question 2, on a new message, nothing answered.
        await api.push_update({"update_id": update_id, "message": message})
        again = await claire.user.wait_for(lambda m: bool(m.buttons))
        assert "question 2/" in again.text and again.message_id != second_question.message_id
        assert again.text == second_question.text
        # The screen shown again is the one that counts: its buttons answer.
        claire.screen = again
        await claire.say(VALID_SAMPLES[second.key])
        assert "question 3/" in claire.text


async def test_a_body_that_does_not_come_is_refused_after_the_body_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client announcing a body and sending part of it (slowloris) holds nothing for long: the
    request is answered 400 once ``WEBHOOK_BODY_TIMEOUT`` is over, and real updates still come."""
    import time

    monkeypatch.setattr("bot.runtime.WEBHOOK_BODY_TIMEOUT", 0.5)
    async with _webhook_bot(tmp_path) as (api, code, port):
        began = time.monotonic()
        headers = {"Content-Type": "application/json", "Content-Length": "100",
                   "X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
        answer = await _raw_post(port, "/telegram", headers, b'{"update_id": 1')
        assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
        assert 0.5 <= time.monotonic() - began < 5
        claire = Player(api.user(1001, "Claire"))
        await claire.command("start", code)
        assert "Bienvenue" in claire.text
