"""The Bot API's HTTP client: at most ``size`` calls in flight, the others waiting their turn (so
that a pool timeout never fires however long the queue); timeouts as python-telegram-bot raises
them; getUpdates waiting for room in the flow. The contract is run both ways (``FORMABOT_FAST_PATHS``:
``BoundedRequest`` on a cookieless client, or python-telegram-bot's stock ``HTTPXRequest``); with
the fast paths on, no cookie is kept or sent."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TypeVar

import pytest
from aiohttp import web
from telegram import InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from telegram.request._requestparameter import RequestParameter

from bot.http_client import BoundedRequest, bot_request
from bot.ordering import FlowControlledRequest, UpdateFlow

SIZE = 3
CALLS = 9
POOL_TIMEOUT = 0.1
HOLD = 3 * POOL_TIMEOUT  # a slow Telegram: each call keeps its connection longer than the pool timeout
FAST_PATHS = [pytest.param(True, id="fast"), pytest.param(False, id="stock")]
R = TypeVar("R", bound=BaseRequest)


def _request(size: int, fast_paths: bool, **timeouts: float) -> BaseRequest:
    """What the application builds (``bot_request``); the fast one also with a pool timeout
    shorter than the queue's wait, to show that it never fires (the stock one has none)."""
    if fast_paths:
        timeouts.setdefault("pool_timeout", POOL_TIMEOUT)
    return bot_request(size, fast_paths=fast_paths, **timeouts)


@contextlib.asynccontextmanager
async def _open(request: R) -> AsyncIterator[R]:
    """The request initialised, shut down afterwards."""
    await request.initialize()
    try:
        yield request
    finally:
        await request.shutdown()


class SlowServer:
    """Holds each request until ``SIZE`` are in flight at once (or 5 s), then ``HOLD`` seconds more,
    and counts them."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.most_in_flight = 0
        self.served = 0
        self.crowded = asyncio.Event()
        self.cookie_headers: list[str | None] = []
        self.released = asyncio.Event()  # set at the end of a test: the held requests end
        self.forms: list[dict[str, object]] = []  # what ``record`` received, decoded by aiohttp

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

    async def never(self, request: web.Request) -> web.Response:
        with contextlib.suppress(TimeoutError):  # past every read timeout here, until released
            await asyncio.wait_for(self.released.wait(), 30)
        return web.json_response({"ok": True, "result": True})

    async def record(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.forms.append(
            {
                name: (value.filename, value.content_type, value.file.read())
                if isinstance(value, web.FileField) else value
                for name, value in form.items()
            }
        )
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
    app.router.add_post("/never/{method}", slow.never)
    app.router.add_post("/record/{method}", slow.record)
    app.router.add_post("/{method}", slow.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield slow, f"http://127.0.0.1:{port}"
    finally:
        slow.released.set()
        await runner.cleanup()


@pytest.mark.parametrize("fast_paths", FAST_PATHS)
async def test_calls_beyond_the_size_wait_their_turn_and_all_are_served(
    server: tuple[SlowServer, str], fast_paths: bool
) -> None:
    slow, url = server
    async with _open(_request(SIZE, fast_paths)) as request:
        results = await asyncio.gather(*(request.post(f"{url}/sendMessage") for _ in range(CALLS)))
    assert results == [True] * CALLS
    assert slow.served == CALLS
    assert slow.most_in_flight == SIZE  # as many as allowed, never more


@pytest.mark.parametrize("fast_paths", FAST_PATHS)
async def test_a_call_past_its_read_timeout_raises_timed_out(
    server: tuple[SlowServer, str], fast_paths: bool
) -> None:
    _slow, url = server
    async with _open(_request(SIZE, fast_paths, read_timeout=0.2)) as request:
        assert request.read_timeout == 0.2
        with pytest.raises(TimedOut):
            await asyncio.wait_for(request.post(f"{url}/never/sendMessage"), 5)
        # A per-call read timeout (python-telegram-bot's getUpdates passes one) wins.
        began = asyncio.get_running_loop().time()
        with pytest.raises(TimedOut):
            await request.post(f"{url}/never/getUpdates", read_timeout=0.5)
        assert asyncio.get_running_loop().time() - began >= 0.5


@pytest.mark.parametrize("fast_paths", FAST_PATHS)
async def test_get_updates_waits_for_room_in_the_flow(
    server: tuple[SlowServer, str], fast_paths: bool
) -> None:
    slow, url = server
    flow = UpdateFlow(busy=1, max_wait=60)
    async with _open(FlowControlledRequest(flow, _request(1, fast_paths, read_timeout=2.0))) as request:
        assert request.read_timeout == 2.0
        flow.started()  # one update in progress: as many as ``busy``
        poll = asyncio.ensure_future(request.post(f"{url}/cookie/getUpdates"))
        await asyncio.sleep(0.3)
        assert not poll.done() and slow.cookie_headers == []  # not sent while the flow is full
        flow.finished()
        assert await asyncio.wait_for(poll, 5) is True
        assert len(slow.cookie_headers) == 1


@pytest.mark.parametrize("fast_paths", FAST_PATHS)
async def test_cookies_set_by_the_server(server: tuple[SlowServer, str], fast_paths: bool) -> None:
    slow, url = server
    async with _open(_request(SIZE, fast_paths)) as request:
        for _ in range(2):
            assert await request.post(f"{url}/cookie/getMe") is True
    if fast_paths:  # neither kept nor sent
        assert isinstance(request, BoundedRequest)
        assert slow.cookie_headers == [None, None]
    else:  # python-telegram-bot's client sends back what it was given
        assert slow.cookie_headers == [None, "session=abc"]


async def test_a_call_before_initialize_is_refused() -> None:
    with pytest.raises(RuntimeError):
        await BoundedRequest(SIZE).do_request("http://127.0.0.1:9/getMe", "POST")


@pytest.mark.parametrize("fast_paths", FAST_PATHS)
async def test_parameters_and_files_reach_the_bot_api_as_sent(
    server: tuple[SlowServer, str], fast_paths: bool
) -> None:
    """A message's parameters (url-encoded) and a document's bytes, name and type (multipart)
    arrive as python-telegram-bot gives them, whichever client sends them."""
    slow, url = server
    message = RequestData(
        [
            RequestParameter.from_input("chat_id", 42),
            RequestParameter.from_input("text", "Récapitulatif & co = 100 %"),
            RequestParameter.from_input("reply_markup", {"inline_keyboard": [[{"text": "✅", "callback_data": "a"}]]}),
        ]
    )
    pdf = b"%PDF-1.7\n" + bytes(range(256)) * 64
    document = RequestData(
        [
            RequestParameter.from_input("chat_id", 42),
            RequestParameter.from_input(
                "document", InputFile(pdf, filename="récapitulatif.pdf", attach=False)
            ),
        ]
    )
    async with _open(_request(SIZE, fast_paths)) as request:
        assert await request.post(f"{url}/record/sendMessage", request_data=message) is True
        assert await request.post(f"{url}/record/sendDocument", request_data=document) is True
    sent_message, sent_document = slow.forms
    assert sent_message == {
        "chat_id": "42",
        "text": "Récapitulatif & co = 100 %",
        "reply_markup": '{"inline_keyboard": [[{"text": "\\u2705", "callback_data": "a"}]]}',
    }
    assert sent_document["chat_id"] == "42"
    assert sent_document["document"] == ("récapitulatif.pdf", "application/pdf", pdf)


@pytest.mark.parametrize("fast_paths", FAST_PATHS)
async def test_a_refused_connection_raises_network_error(fast_paths: bool) -> None:
    async with _open(_request(SIZE, fast_paths)) as request:
        with pytest.raises(NetworkError):
            await request.post("http://127.0.0.1:9/getMe")
