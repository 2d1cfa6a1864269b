"""The HTTP client under python-telegram-bot's Bot API calls, trimmed of work the Bot API never needs.

Measured on a busy bot (``bench/e2e_throughput.py``), the HTTP client costs more CPU than the dialogs:
- httpx parses every response for cookies (building urllib request and response adapters for
  ``http.cookiejar``); the Bot API sets none. ``CookielessClient`` skips it.
- httpcore re-scans its whole pool, probing every idle socket, each time a request enters or leaves
  it, so requests queued inside the pool make every request dearer: 32 callers on loopback, 4.7 ms
  of CPU per call with python-telegram-bot's pool of 256, 2.4 ms behind 8 slots, 2.0 ms behind 4
  (every idle connection is probed on each pass). ``BoundedRequest`` makes callers beyond its size
  wait on a semaphore instead. The bot's default size is 8 (``FORMABOT_TELEGRAM_CONNECTIONS``): at
  Telegram's usual 50–100 ms per call, room for its 30 messages per second and the replies beside them.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from telegram.request import HTTPXRequest


class _NoCookies(httpx.Cookies):
    def extract_cookies(self, response: httpx.Response) -> None:
        return None


_NO_COOKIES = _NoCookies()  # stays empty: nothing is ever extracted into it


class CookielessClient(httpx.AsyncClient):
    """An httpx client that neither stores nor sends cookies."""

    @property
    def cookies(self) -> httpx.Cookies:
        return _NO_COOKIES

    @cookies.setter
    def cookies(self, value: object) -> None:
        raise TypeError("this client keeps no cookies")


class TelegramRequest(HTTPXRequest):
    """python-telegram-bot's httpx request on a ``CookielessClient``."""

    def _build_client(self) -> httpx.AsyncClient:
        return CookielessClient(**self._client_kwargs)


class BoundedRequest(TelegramRequest):
    """At most ``size`` calls in flight, in a pool of as many connections; the others wait their
    turn here. The wait is not bounded (so httpx's pool timeout never fires for a long queue):
    every call in a slot has its own connect, read and write timeouts."""

    def __init__(self, size: int, **kwargs: Any) -> None:
        super().__init__(connection_pool_size=size, **kwargs)
        self._slots = asyncio.Semaphore(size)

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        async with self._slots:
            return await super().do_request(*args, **kwargs)
