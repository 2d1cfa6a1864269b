"""The HTTP side of the fake Bot API: the aiohttp application, its socket, and request recording.

``HttpMixin`` serves ``/bot<token>/<method>`` (every call is recorded as a ``RecordedRequest``,
then handed to ``_dispatch``, which ``FakeBotApi`` implements) and ``/file/bot<token>/<path>``
(file downloads). It owns the listening socket, hence ``pause()`` / ``resume()``: connections
refused while paused, then the same port again.
"""

from __future__ import annotations

import socket
from typing import Any

from aiohttp import web

from .models import RecordedRequest
from .protocol import ApiError, json_response, normalized, read_params
from .state import ServerState


class HttpMixin(ServerState):
    """The aiohttp application, the listening socket and the recording of every call."""

    def _init_http(self) -> None:
        self._runner: web.AppRunner | None = None
        self._site: web.SockSite | None = None
        self._port: int | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeBotApi is not started")
        return self._port

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """The value for python-telegram-bot's ``base_url`` (``http://127.0.0.1:PORT/bot``)."""
        return f"{self.root_url}/bot"

    @property
    def base_file_url(self) -> str:
        """The value for python-telegram-bot's ``base_file_url``."""
        return f"{self.root_url}/file/bot"

    async def _serve(self) -> None:
        """Build the application and listen on a free port."""
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        await self._listen(0)

    async def _stop_serving(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self._site = None

    async def _listen(self, port: int) -> None:
        assert self._runner is not None
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.setblocking(False)
        self._port = sock.getsockname()[1]
        self._site = web.SockSite(self._runner, sock)
        await self._site.start()

    async def pause(self) -> None:
        """Close the listening socket and every open connection: connections are refused."""
        if self._site is None:
            return
        await self._site.stop()
        self._site = None
        assert self._runner is not None and self._runner.server is not None
        for connection in self._runner.server.connections:
            connection.force_close()

    async def resume(self) -> None:
        """Listen again, on the same port."""
        if self._site is None:
            await self._listen(self.port)

    # ------------------------------------------------------------------ requests

    #: Kept as a method: tests call ``api._normalized(...)``.
    _normalized = staticmethod(normalized)

    async def _dispatch(
        self, token: str, method: str, values: dict[str, Any]
    ) -> tuple[Any, str | None]:
        """Answer one Bot API call: (result, description) or ApiError (see FakeBotApi)."""
        raise NotImplementedError

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            values = await read_params(request)
        except ValueError:
            values = {}
        return await self._call(request.match_info["token"], method, values)

    async def _call(
        self, token: str, method: str, values: dict[str, Any], *, in_response: bool = False
    ) -> web.Response:
        """One Bot API call, recorded: over HTTP, or found in a webhook response's body
        (``in_response``)."""
        record = RecordedRequest(method, normalized(values), in_response=in_response)
        self.requests.append(record)
        await self._notify()
        try:
            result, description = await self._dispatch(token, method, values)
        except ApiError as error:
            record.status = error.code
            record.description = error.description
            if error.code == 429:
                self.stats.too_many_requests += 1
            elif error.code >= 500:
                self.stats.server_errors += 1
            await self._notify()
            return json_response(error.code, error.body())
        record.status = 200
        record.result = result
        body: dict[str, Any] = {"ok": True, "result": result}
        if description:
            body["description"] = description
        await self._notify()
        return json_response(200, body)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        """Download of a file by its ``file_path`` (as answered by getFile)."""
        if request.match_info["token"] != self.token:
            return json_response(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        path = request.match_info["path"]
        for stored in self.files.values():
            if stored.file_path == path:
                return web.Response(
                    body=stored.data,
                    content_type=stored.mime_type or "application/octet-stream",
                )
        return json_response(404, {"ok": False, "error_code": 404, "description": "Not Found"})
