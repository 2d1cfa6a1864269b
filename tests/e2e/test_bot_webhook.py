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
