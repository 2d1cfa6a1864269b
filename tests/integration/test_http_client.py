"""The Bot API's HTTP client: at most ``size`` calls in flight, the others waiting their turn outside
httpx's pool (so that its pool timeout never fires however long the queue); no cookies."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.http_client import BoundedRequest

SIZE = 3
CALLS = 9
POOL_TIMEOUT = 0.1
HOLD = 3 * POOL_TIMEOUT  # a slow Telegram: each call keeps its connection longer than the pool timeout


class SlowServer:
    """Holds each request until ``SIZE`` are in flight at once (or 5 s), then ``HOLD`` seconds more,
    and counts them."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.most_in_flight = 0
        self.served = 0
        self.crowded = asyncio.Event()
        self.cookie_headers: list[str | None] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        if self.in_flight >= SIZE:
            self.crowded.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.crowded.wait(), 5)
        await asyncio.sleep(HOLD)
        self.in_flight -= 1
        self.served += 1
        return web.json_response({"ok": True, "result": True})

    async def set_cookie(self, request: web.Request) -> web.Response:
        self.cookie_headers.append(request.headers.get("Cookie"))
        response = web.json_response({"ok": True, "result": True})
        response.set_cookie("session", "abc", path="/")
        return response


@pytest.fixture
async def server() -> AsyncIterator[tuple[SlowServer, str]]:
    slow = SlowServer()
    app = web.Application()
    app.router.add_post("/cookie/{method}", slow.set_cookie)
    app.router.add_post("/{method}", slow.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield slow, f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_calls_beyond_the_size_wait_outside_the_pool_and_all_are_served(server: tuple[SlowServer, str]) -> None:
    slow, url = server
    request = BoundedRequest(SIZE, pool_timeout=POOL_TIMEOUT)
    await request.initialize()
    try:
        results = await asyncio.gather(*(request.post(f"{url}/sendMessage") for _ in range(CALLS)))
    finally:
        await request.shutdown()
    assert results == [True] * CALLS
    assert slow.served == CALLS
    assert slow.most_in_flight == SIZE  # as many as allowed, never more


async def test_cookies_set_by_the_server_are_neither_kept_nor_sent(server: tuple[SlowServer, str]) -> None:
    slow, url = server
    request = BoundedRequest(SIZE)
    await request.initialize()
    try:
        for _ in range(2):
            assert await request.post(f"{url}/cookie/getMe") is True
    finally:
        await request.shutdown()
    assert slow.cookie_headers == [None, None]
