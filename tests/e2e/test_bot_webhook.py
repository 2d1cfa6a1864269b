"""Webhook mode: Telegram (the fake) pushes updates with the secret token; others are refused."""

from __future__ import annotations

import socket
from pathlib import Path

import aiohttp

from bot.runtime import BotRuntime
from tests.e2e.support import Player, new_link_code, settings_for
from tests.fakebotapi import FakeBotApi


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
            # 95 MB announced (tornado's own limit is 100 MB), not a byte of it sent: refused at
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


async def test_webhook_answers_a_pressed_button_in_the_response_body(tmp_path: Path) -> None:
    """answerCallbackQuery goes in the webhook response (one request saved), executed by Telegram
    after the 200; the screen itself is still an edit the bot makes and sees succeed."""
    async with FakeBotApi() as api:
        port = free_port()
        settings = settings_for(api, tmp_path / "bot.db", webhook_port=port, webhook_secret="s3cret-token")
        _, code = await new_link_code(settings)
        runtime = BotRuntime(settings, webhook_url=f"http://127.0.0.1:{port}/telegram")
        await runtime.start()
        try:
            claire = Player(api.user(1001, "Claire"))
            await claire.command("start", code)
            assert api.via_webhook_response == 0  # a message: nothing to answer in the response
            await claire.press("➕ Créer une action")
            await claire.press("Région")
            await api.wait_until(lambda: all(c.answered for c in api.callbacks.values()))
            assert len(api.callbacks) == 2 and api.via_webhook_response == 2
            answers = api.requests_for("answerCallbackQuery")
            assert len(answers) == 2 and all(r.ok for r in answers)
            assert "question 1/" in claire.text
        finally:
            await runtime.stop()
