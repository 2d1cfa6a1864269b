"""The HTTP client under python-telegram-bot's Bot API calls, trimmed of work the Bot API never needs.

``BoundedRequest`` implements python-telegram-bot's public ``BaseRequest`` on httpx:
- no cookies: httpx parses every response for cookies (building urllib adapters for
  ``http.cookiejar``); the Bot API sets none. ``CookielessClient`` neither keeps nor sends them.
- at most ``size`` calls in flight, in a pool of as many connections; callers beyond wait on a
  semaphore, outside httpx's pool, which re-scans every idle connection each time a request enters
  or leaves it (queued requests make every request dearer).
The bot's size is ``FORMABOT_TELEGRAM_CONNECTIONS`` (default 8). What each choice saves is measured
in ``bench/README.md``.

With ``FORMABOT_FAST_PATHS`` off (``bot_request``), python-telegram-bot's stock ``HTTPXRequest``
serves instead, with the same bound (its pool of ``size`` connections, waited for without a pool
timeout): the same calls, answers and errors.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData


class _NoCookies(httpx.Cookies):
    def extract_cookies(self, response: httpx.Response) -> None:
        return None


_NO_COOKIES = _NoCookies()  # stays empty: nothing is ever extracted into it
_DEFAULT = type(BaseRequest.DEFAULT_NONE)  # a timeout python-telegram-bot leaves to the request


class CookielessClient(httpx.AsyncClient):
    """An httpx client that neither stores nor sends cookies."""

    @property
    def cookies(self) -> httpx.Cookies:
        return _NO_COOKIES

    @cookies.setter
    def cookies(self, value: object) -> None:
        raise TypeError("this client keeps no cookies")


class BoundedRequest(BaseRequest):
    """At most ``size`` Bot API calls in flight on a ``CookielessClient`` of as many connections;
    the others wait their turn here. The wait is not bounded (so httpx's pool timeout never fires
    for a long queue): every call in a slot has its own connect, read and write timeouts, given
    here or per call as python-telegram-bot passes them (its defaults: 5 s, 20 s to upload)."""

    def __init__(
        self,
        size: int = 8,
        *,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._slots = asyncio.Semaphore(size)
        self._timeout = httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=write_timeout, pool=pool_timeout
        )
        self._media_write_timeout = media_write_timeout
        self._limits = httpx.Limits(max_connections=size)
        self._client: httpx.AsyncClient | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._timeout.read

    async def initialize(self) -> None:
        if self._client is None or self._client.is_closed:
            self._client = CookielessClient(timeout=self._timeout, limits=self._limits)

    async def shutdown(self) -> None:
        client, self._client = self._client, None
        if client is not None and not client.is_closed:
            await client.aclose()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        client = self._client
        if client is None or client.is_closed:
            raise RuntimeError("this BoundedRequest is not initialized")
        files = request_data.multipart_data if request_data else None
        default = self._timeout
        media_write = self._media_write_timeout if files else default.write
        timeout = httpx.Timeout(
            connect=default.connect if isinstance(connect_timeout, _DEFAULT) else connect_timeout,
            read=default.read if isinstance(read_timeout, _DEFAULT) else read_timeout,
            write=media_write if isinstance(write_timeout, _DEFAULT) else write_timeout,
            pool=default.pool if isinstance(pool_timeout, _DEFAULT) else pool_timeout,
        )
        async with self._slots:
            try:
                response = await client.request(
                    method=method,
                    url=url,
                    headers={"User-Agent": self.USER_AGENT},
                    timeout=timeout,
                    files=files,
                    data=request_data.json_parameters if request_data else None,
                )
            except httpx.TimeoutException as error:  # as python-telegram-bot's HTTPXRequest raises it
                raise TimedOut from error
            except httpx.HTTPError as error:
                raise NetworkError(f"httpx.{error.__class__.__name__}: {error}") from error
        return response.status_code, response.content


def bot_request(size: int, *, fast_paths: bool = True, **timeouts: float | None) -> BaseRequest:
    """The request for Bot API calls: ``BoundedRequest``, or with the fast paths off
    python-telegram-bot's ``HTTPXRequest`` bounded by its own pool (waited for without a pool
    timeout, as ``BoundedRequest`` waits on its semaphore). ``timeouts``: ``read_timeout``,
    ``write_timeout``, ``connect_timeout``, ``media_write_timeout``."""
    if fast_paths:
        return BoundedRequest(size, **timeouts)
    return HTTPXRequest(connection_pool_size=size, **{"pool_timeout": None, **timeouts})  # type: ignore[arg-type]
