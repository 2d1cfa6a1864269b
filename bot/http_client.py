"""The HTTP client under python-telegram-bot's Bot API calls: aiohttp, trimmed of work the Bot API
never needs.

``BoundedRequest`` implements python-telegram-bot's public ``BaseRequest`` on an aiohttp session:
- aiohttp instead of python-telegram-bot's httpx: on loopback httpx (with httpcore and anyio under
  it) cost about 1.5 ms of CPU per Bot API call, a quarter of everything the bot spends on an
  update; aiohttp's C parser and its connector cost a fraction of that (``bench/README.md``).
- no cookies (``DummyCookieJar``): the Bot API sets none.
- at most ``size`` calls in flight, on as many keep-alive connections; callers beyond wait on a
  semaphore, never on a pool timeout.
- the parameters are sent url-encoded exactly as python-telegram-bot's ``HTTPXRequest`` sends them
  (``RequestData.json_parameters``), multipart when there are files.
The bot's size is ``FORMABOT_TELEGRAM_CONNECTIONS`` (default 8).

With ``FORMABOT_FAST_PATHS`` off (``bot_request``), python-telegram-bot's stock ``HTTPXRequest``
serves instead, with the same bound (its pool of ``size`` connections, waited for without a pool
timeout): the same calls, answers and errors.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlencode

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

_DEFAULT = type(BaseRequest.DEFAULT_NONE)  # a timeout python-telegram-bot leaves to the request
_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _given(value: Any, default: float | None) -> float | None:
    return default if isinstance(value, _DEFAULT) else value


def _sum(*parts: float | None) -> float | None:
    """The total of several timeouts; None (no limit) if any is None."""
    return None if any(part is None for part in parts) else sum(part for part in parts if part is not None)


class BoundedRequest(BaseRequest):
    """At most ``size`` Bot API calls in flight on an aiohttp session of as many connections; the
    others wait their turn here. The wait is not bounded: every call in a slot has its own connect
    and read timeouts, given here or per call as python-telegram-bot passes them (its defaults:
    5 s). aiohttp has no write timeout: the write timeout bounds the whole call together with the
    read timeout (the media write timeout, 20 s, when files are uploaded)."""

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
        self._size = size
        self._slots = asyncio.Semaphore(size)
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        # No pool to wait for beyond the semaphore: kept for python-telegram-bot's signature.
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._size, limit_per_host=self._size),
                cookie_jar=aiohttp.DummyCookieJar(),
                headers={"User-Agent": self.USER_AGENT},
                timeout=aiohttp.ClientTimeout(total=None),
            )

    async def shutdown(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    def _timeout(
        self, files: bool, read: Any, write: Any, connect: Any
    ) -> aiohttp.ClientTimeout:
        read_s = _given(read, self._read_timeout)
        write_s = _given(write, self._media_write_timeout if files else self._write_timeout)
        connect_s = _given(connect, self._connect_timeout)
        return aiohttp.ClientTimeout(
            total=_sum(connect_s, write_s, read_s), sock_connect=connect_s, sock_read=read_s
        )

    @staticmethod
    def _body(request_data: RequestData | None) -> tuple[Any, dict[str, str] | None]:
        """The request's body and its content type: url-encoded, or multipart with files."""
        if request_data is None:
            return None, None
        if not request_data.contains_files:
            return urlencode(request_data.json_parameters).encode(), _FORM
        form = aiohttp.FormData(quote_fields=False)
        for name, value in request_data.json_parameters.items():
            form.add_field(name, value)
        for name, part in request_data.multipart_data.items():
            filename, content, *mime = part
            form.add_field(
                name, content, filename=filename, content_type=mime[0] if mime else None
            )
        return form, None

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
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("this BoundedRequest is not initialized")
        body, headers = self._body(request_data)
        files = request_data is not None and request_data.contains_files
        timeout = self._timeout(files, read_timeout, write_timeout, connect_timeout)
        async with self._slots:
            try:
                async with session.request(
                    method, url, data=body, headers=headers, timeout=timeout
                ) as response:
                    return response.status, await response.read()
            except (TimeoutError, aiohttp.ServerTimeoutError) as error:  # as HTTPXRequest raises it
                raise TimedOut from error
            except aiohttp.ClientError as error:
                raise NetworkError(f"aiohttp.{error.__class__.__name__}: {error}") from error


def bot_request(size: int, *, fast_paths: bool = True, **timeouts: float | None) -> BaseRequest:
    """The request for Bot API calls: ``BoundedRequest``, or with the fast paths off
    python-telegram-bot's ``HTTPXRequest`` bounded by its own pool (waited for without a pool
    timeout, as ``BoundedRequest`` waits on its semaphore). ``timeouts``: ``read_timeout``,
    ``write_timeout``, ``connect_timeout``, ``media_write_timeout``."""
    if fast_paths:
        return BoundedRequest(size, **timeouts)
    return HTTPXRequest(connection_pool_size=size, **{"pool_timeout": None, **timeouts})  # type: ignore[arg-type]
