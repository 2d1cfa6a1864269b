"""Several ``formabot run --webhook-url`` processes behind a round-robin proxy, on one database.

Used by ``tests/e2e/test_multi_process.py`` and ``bench/multi_process.py``. Telegram (the fake Bot
API) posts every update to the proxy's URL; the proxy hands each request to the next process in
turn and answers with what that process answered (502 when it cannot be reached: Telegram sends the
update again later). Each process listens on its own loopback port, with its own environment.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.config import Settings
from storage.database import create_engine
from storage.uow import SqlUnitOfWorkFactory
from tests.e2e.processes import REPO_ROOT, START_TIMEOUT
from tests.e2e.support import TODAY, new_link_code
from tests.fakebotapi import FakeBotApi

SECRET = "multi-process-secret"
FORWARDED = ("Content-Type", "X-Telegram-Bot-Api-Secret-Token")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RoundRobinProxy:
    """An HTTP proxy on loopback: each POST goes to the next backend port, round robin."""

    def __init__(self, backends: list[int]) -> None:
        self.backends = backends
        self._turn = itertools.cycle(range(len(backends)))
        self.forwarded = [0] * len(backends)  # answered (any status), per backend
        self.in_flight = [0] * len(backends)
        self.failed = 0
        self.port = free_port()
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram"

    async def start(self) -> None:
        self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        app = web.Application()
        app.router.add_post("/{path:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._client is not None:
            await self._client.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._client is not None
        index = next(self._turn)
        body = await request.read()
        headers = {k: request.headers[k] for k in FORWARDED if k in request.headers}
        url = f"http://127.0.0.1:{self.backends[index]}{request.path}"
        self.in_flight[index] += 1
        try:
            async with self._client.post(url, data=body, headers=headers) as answer:
                payload = await answer.read()
                self.forwarded[index] += 1
                return web.Response(
                    status=answer.status,
                    body=payload,
                    content_type=answer.content_type or "text/plain",
                )
        except (aiohttp.ClientError, OSError, TimeoutError):
            self.failed += 1
            return web.Response(status=502)
        finally:
            self.in_flight[index] -= 1


class WebhookProcess:
    """One ``formabot run --webhook-url PROXY`` listening on ``port``; output to ``log_path``."""

    def __init__(
        self, api: FakeBotApi, database_url: str, webhook_url: str, *, port: int, log_path: Path,
        env: dict[str, str] | None = None,
    ) -> None:  # fmt: skip
        self.api = api
        self.database_url = database_url
        self.webhook_url = webhook_url
        self.port = port
        self.log_path = log_path
        self.extra_env = env or {}
        self.process: asyncio.subprocess.Process | None = None

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FORMABOT_")}
        env.update({
            "FORMABOT_TELEGRAM_TOKEN": self.api.token,
            "FORMABOT_TELEGRAM_API_URL": self.api.base_url,
            "FORMABOT_DATABASE_URL": self.database_url,
            "FORMABOT_TODAY": TODAY.isoformat(),
            "FORMABOT_CHAT_RATE": "1000",
            "FORMABOT_GLOBAL_RATE": "100000",
            "FORMABOT_EXPORT_DIR": str(self.log_path.parent / "exports"),
            "FORMABOT_WEBHOOK_SECRET": SECRET,
            "FORMABOT_WEBHOOK_PORT": str(self.port),
            "FORMABOT_PRINT_WORKERS": "0",
            "PYTHONPATH": str(REPO_ROOT),
            "PYTHONDONTWRITEBYTECODE": "1",
        })  # fmt: skip
        env.update(self.extra_env)
        return env

    async def start(self) -> None:
        """Spawn it; returns once it accepts connections on its port."""
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", "--webhook-url", self.webhook_url,
                env=self.environment(), cwd=self.log_path.parent,
                stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
            )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.returncode is not None:
                raise AssertionError(f"formabot run exited:\n{self.log_tail()}")
            with contextlib.suppress(OSError):
                _reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return
            await asyncio.sleep(0.05)  # polling the port: no event to wait on in another process
        raise AssertionError(
            f"formabot run did not listen within {START_TIMEOUT} s:\n{self.log_tail()}"
        )

    async def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        await self.process.wait()

    async def stop(self, timeout: float = 30.0) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


@contextlib.asynccontextmanager
async def webhook_processes(
    api: FakeBotApi, database_url: str, count: int, directory: Path
) -> AsyncIterator[tuple[RoundRobinProxy, list[WebhookProcess]]]:
    """``count`` processes behind a proxy, all started; stopped (SIGTERM) at the end."""
    ports = [free_port() for _ in range(count)]
    proxy = RoundRobinProxy(ports)
    await proxy.start()
    processes = [
        WebhookProcess(api, database_url, proxy.url, port=port, log_path=directory / f"bot{i}.log")
        for i, port in enumerate(ports)
    ]
    try:
        await asyncio.gather(*(p.start() for p in processes))
        await api.wait_until(lambda: api.webhook_url == proxy.url, START_TIMEOUT)
        yield proxy, processes
    finally:
        await asyncio.gather(*(p.stop() for p in processes))
        await proxy.stop()


async def member_codes(settings: Settings, count: int) -> list[str]:
    """One organisation (the database migrated first) and ``count`` one-time link codes to it."""
    from domain.ports import Role

    organisation_id, first = await new_link_code(settings)
    engine = create_engine(settings.database_url)
    try:
        async with SqlUnitOfWorkFactory(engine)() as uow:
            codes = [first] + [
                await uow.link_codes.create(Role.MEMBER, organisation_id=organisation_id)
                for _ in range(count - 1)
            ]
            await uow.commit()
    finally:
        await engine.dispose()
    return codes
